"""Predicting on synthetic images through the API and the CLI: every output file is checked for
consistency (random weights: no accuracy, but parameters, meshes, camera and pictures agree)."""

import json

import numpy as np
import pytest
import torch

from infer_support import example_png, small_checkpoint
from robosmplx.cli import main
from robosmplx.geometry.camera import project
from robosmplx.infer.cropping import crop_region, person_box_problem, virtual_focal
from robosmplx.infer.export import UPRIGHT, load_params
from robosmplx.infer.predictor import Predictor
from robosmplx.losses.keypoints2d import project_keypoints


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return small_checkpoint(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def predictor(ckpt):
    return Predictor(ckpt, rounds=1, refine="none")


def body_mesh(body, record):
    """Camera-frame vertices (V, 3) from a saved record's parameters (the way docs say)."""
    params = {g.name: torch.as_tensor(record[g.name])[None] for g in body.spec.groups}
    with torch.no_grad():
        return (body(**params).vertices[0] + torch.as_tensor(record["transl"])).numpy()


def network_projection(body, record, crop_size, keypoints=False):
    """The network's own 2D projection of its mesh (or keypoints), in original-image pixels:
    its crop camera (weak perspective -> far virtual camera) on the crop, mapped through the
    region."""
    params = {g.name: torch.as_tensor(record[g.name])[None] for g in body.spec.groups}
    with torch.no_grad():
        out = body(**params)
    v = out.keypoints if keypoints else out.vertices
    cam = torch.as_tensor(record["crop_cam"])[None]
    ndc = project_keypoints(v, cam, crop_size, "perspective", virtual_focal(crop_size))[0]
    crop_px = (ndc + 1.0) * crop_size / 2.0 - 0.5
    region = torch.as_tensor(record["region_xywh"], dtype=torch.float32)
    return (region[:2] + (crop_px + 0.5) * region[2] / crop_size - 0.5).numpy()


def assert_on_network_projection(body, record, crop_size, root_tol=1e-2):
    """The saved parameters, translation and K put the body root on the network's own pixel
    (the conversion to the image's camera is exact there) and the mesh within 10 % of the
    region side of the network's projection (the real perspective of a near camera, seen off
    the optical axis, instead of the crop's far virtual camera moves the rest a little)."""
    root = body.keypoint_layout.roots["body"]
    params = {g.name: torch.as_tensor(record[g.name])[None] for g in body.spec.groups}
    with torch.no_grad():
        out = body(**params)
    k = torch.as_tensor(record["K"])[None]
    t = torch.as_tensor(record["transl"])
    kp = project((out.keypoints[0] + t)[None], k)[0].numpy()
    own_kp = network_projection(body, record, crop_size, keypoints=True)
    assert np.abs(kp[root] - own_kp[root]).max() < root_tol
    uv = project((out.vertices[0] + t)[None], k)[0].numpy()
    own = network_projection(body, record, crop_size)
    assert np.abs(uv - own).max() < 0.1 * float(record["region_xywh"][2])


def test_api_person_is_consistent(predictor, tmp_path):
    img = example_png(tmp_path / "a.png", 0, 160)
    people = predictor.predict_image(img)
    assert len(people) == 1
    p = people[0]
    assert p.image_size == (160, 160) and p.box_source == "whole-image" and 0 <= p.score <= 1
    rec = p.record()
    v = body_mesh(predictor.body, rec)
    assert np.abs(v - p.vertices).max() < 1e-4
    assert_on_network_projection(predictor.body, rec, predictor.crop_size)
    kp = project(torch.as_tensor(p.keypoints3d)[None], torch.as_tensor(p.K)[None])[0].numpy()
    assert np.abs(kp - p.keypoints2d).max() < 1e-2
    assert set(p.part_boxes) == {"lhand", "rhand", "face"}


def test_api_array_input_and_refinement(predictor, ckpt, tmp_path):
    from PIL import Image

    img = np.asarray(Image.open(example_png(tmp_path / "b.png", 1, 192)))
    first = predictor.predict_image(img)[0]
    two = Predictor.from_network(
        predictor.net, predictor.body, refine="none", rounds=2
    ).predict_image(img)[0]
    assert two.box_source == "refined"
    # round 2 crops the square (x1.25) around round 1's heatmap-joint box; random weights put
    # every joint at one spot, so this network falls back to its mesh keypoints' box
    assert person_box_problem(first.joint_box, *first.image_size) is not None
    assert np.allclose(two.region, crop_region(first.keypoint_box), atol=1e-3)
    assert np.allclose(two.bbox, first.keypoint_box, atol=1e-3)


def test_downscaled_input_keeps_original_pixels(predictor, tmp_path):
    img = example_png(tmp_path / "big.png", 2, 200)
    small = Predictor.from_network(
        predictor.net, predictor.body, refine="none", rounds=1, max_side=100
    )
    pred = small.predict(img)
    assert pred.scale == 0.5 and any("downscaled" in n for n in pred.notes)
    p = pred.people[0]
    assert p.image_size == (200, 200)
    uv = project(torch.as_tensor(p.vertices)[None], torch.as_tensor(p.K)[None])[0].numpy()
    # the saved region is mapped to original pixels as a point: half a working-copy pixel off
    assert_on_network_projection(predictor.body, p.record(), predictor.crop_size, root_tol=0.6)
    assert uv.max() > 100  # original pixels, not the 100 px working copy


def test_cli_writes_consistent_files(predictor, ckpt, tmp_path, capsys):
    import trimesh
    from PIL import Image

    img = example_png(tmp_path / "in" / "person.png", 3, 160)
    out = tmp_path / "out"
    code = main([
        "predict", "--refine", "none",
        str(img), "--out", str(out), "--checkpoint", str(ckpt), "--rounds", "1",
        "--mesh-format", "obj", "ply", "glb", "--json",
    ])  # fmt: skip
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["failed"] == 0 and summary["body_model"] == "anny-small"
    folder = out / "person"
    names = {p.name for p in folder.iterdir()}
    assert names == {
        "person_0.npz", "person_0.json", "person_0.obj", "person_0.ply", "person_0.glb",
        "overlay.png", "side.png", "result.json", "camera.json",
    }  # fmt: skip
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary leftovers
    rec = load_params(folder / "person_0.npz")
    js = json.loads((folder / "person_0.json").read_text())
    assert (
        np.allclose(js["K"], rec["K"]) and js["focal_length"] == rec["K"][[0, 1], [0, 1]].tolist()
    )
    assert str(rec["body_model"]) == "anny-small" and "camera_convention" in js
    v = body_mesh(predictor.body, rec)
    for ext in ("obj", "ply"):  # world frame by default: Y up, the camera's pose beside
        m = trimesh.load(folder / f"person_0.{ext}", process=False, force="mesh")
        assert np.abs(np.asarray(m.vertices) - v @ rec["world_from_camera"][:3, :3].T).max() < 1e-4
        assert len(m.faces) == predictor.body.num_faces
    glb = trimesh.load(folder / "person_0.glb", force="mesh")
    assert np.abs(np.asarray(glb.vertices) - v @ UPRIGHT.T).max() < 1e-4
    uv = project(torch.as_tensor(v)[None], torch.as_tensor(rec["K"])[None])[0].numpy()
    assert_on_network_projection(predictor.body, rec, predictor.crop_size)
    # the overlay differs from the input only where the projected mesh is
    src = np.asarray(Image.open(img)).astype(int)
    over = np.asarray(Image.open(folder / "overlay.png")).astype(int)
    changed = np.abs(over - src).sum(-1) > 0
    assert changed.any()
    lo, hi = np.floor(uv.min(0)) - 2, np.ceil(uv.max(0)) + 2
    ys, xs = np.nonzero(changed)
    assert (
        (xs >= lo[0]).all() and (xs <= hi[0]).all() and (ys >= lo[1]).all() and (ys <= hi[1]).all()
    )
    side = np.asarray(Image.open(folder / "side.png"))
    assert side.shape == src.shape and (side < 250).any() and (side == 255).all(-1).mean() > 0.5
    result = json.loads((folder / "result.json").read_text())
    assert result["people"][0]["files"][0] == "person_0.npz" and result["image_size"] == [160, 160]
    assert json.loads((out / "summary.json").read_text())["inputs"][0]["status"] == "ok"


def test_cli_boxes_several_people(predictor, ckpt, tmp_path, capsys):
    from robosmplx.infer.boxes_io import boxes_document

    img = example_png(tmp_path / "two.png", 0, 128)
    boxes = tmp_path / "boxes.json"
    doc = boxes_document(
        {"two.png": [[10, 10, 50, 100], [60, 20, 50, 100, 0.9], [500, 500, 10, 10]]}
    )
    boxes.write_text(json.dumps(doc))
    code = main([
        "predict", "--refine", "none",
        str(img), "--out", str(tmp_path / "o"), "--checkpoint", str(ckpt),
        "--boxes", str(boxes), "--mesh-format", "none", "--json",
    ])  # fmt: skip
    assert code == 0
    capsys.readouterr()
    result = json.loads((tmp_path / "o" / "two" / "result.json").read_text())
    assert [p["box_source"] for p in result["people"]] == ["given", "given"]
    assert np.allclose(result["people"][1]["bbox_xywh"], [60, 20, 50, 100])
    assert any("outside" in s for s in result["skipped"])
    assert sorted(p.name for p in (tmp_path / "o" / "two").iterdir()) == [
        "camera.json", "overlay.png", "person_0.json", "person_0.npz", "person_1.json",
        "person_1.npz", "result.json", "side.png",
    ]  # fmt: skip
    # two people, two colours in the overlay, both drawn in the side view
    from PIL import Image

    src = np.asarray(Image.open(img)).astype(int)
    over = np.asarray(Image.open(tmp_path / "o" / "two" / "overlay.png")).astype(int)
    changed = np.abs(over - src).sum(-1) > 0
    assert changed[:, :60].any() and changed[:, 70:].any()
    side = np.asarray(Image.open(tmp_path / "o" / "two" / "side.png"))
    assert (side < 250).any()


def test_detector_boxes_are_used(predictor, tmp_path):
    class TwoPeople:
        def detect(self, image):
            h, w = image.shape[:2]
            return np.array([[0, 0, w / 2, h, 0.8], [w / 2, 0, w / 2, h, 0.95], [0, 0, 9, 9, 0.1]])

    det = Predictor.from_network(
        predictor.net, predictor.body, refine="none", rounds=2, detector=TwoPeople()
    )
    people = det.predict_image(example_png(tmp_path / "d.png", 0, 128))
    assert [p.box_source for p in people] == ["detector", "detector"]
    assert np.allclose(people[0].bbox, [64, 0, 64, 128])  # highest score first
    # given boxes win over the detector
    given = det.predict_image(example_png(tmp_path / "d.png", 0, 128), boxes=[[10, 10, 40, 90]])
    assert [p.box_source for p in given] == ["given"]


def test_one_camera_per_photo_and_camera_frame_meshes(predictor, ckpt, tmp_path, capsys):
    import trimesh
    from PIL import Image

    left = np.asarray(Image.open(example_png(tmp_path / "l.png", 0, 160)))
    right = np.asarray(Image.open(example_png(tmp_path / "r.png", 1, 160)))
    img = tmp_path / "in" / "pair.png"
    img.parent.mkdir()
    Image.fromarray(np.concatenate((left, right), 1)).save(img)
    boxes = tmp_path / "boxes.json"
    boxes.write_text(json.dumps({"pair.png": [[30, 10, 100, 140], [190, 10, 100, 140]]}))
    out = tmp_path / "out"
    code = main([
        "predict", "--refine", "none",
        str(img), "--out", str(out), "--checkpoint", str(ckpt), "--boxes", str(boxes),
        "--camera", "camera", "--focal", "300", "--no-render", "--json",
    ])  # fmt: skip
    assert code == 0
    capsys.readouterr()
    folder = out / "pair"
    cam = json.loads((folder / "camera.json").read_text())
    k = np.array(cam["K"])
    assert np.allclose(k, [[300, 0, 159.5], [0, 300, 79.5], [0, 0, 1]])
    assert cam["focal_source"] == "option" and cam["mesh_frame"] == "camera"
    assert cam["world_from_camera"] == np.diag([1.0, -1.0, -1.0, 1.0]).tolist()
    for i in range(2):
        rec = load_params(folder / f"person_{i}.npz")
        assert np.allclose(rec["K"], k) and str(rec["focal_source"]) == "option"
        m = trimesh.load(folder / f"person_{i}.obj", process=False, force="mesh")
        assert np.abs(np.asarray(m.vertices) - body_mesh(predictor.body, rec)).max() < 1e-4
        assert_on_network_projection(predictor.body, rec, predictor.crop_size)


def test_focal_from_exif_and_prior(tmp_path):
    from PIL import Image

    from robosmplx.infer.cropping import field_of_view, image_intrinsics
    from robosmplx.infer.images import load_image

    path = tmp_path / "exif.jpg"
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0xA405] = 50  # FocalLengthIn35mmFilm: a normal lens
    Image.new("RGB", (300, 200)).save(path, exif=exif)
    loaded = load_image(path)
    assert abs(loaded.focal - 50 * np.hypot(300, 200) / 43.2666) < 1e-6
    Image.new("RGB", (300, 200)).save(tmp_path / "plain.jpg")
    assert load_image(tmp_path / "plain.jpg").focal is None
    k = image_intrinsics(300, 200)
    assert k[0, 0] == np.hypot(300, 200) and abs(field_of_view(k, 300, 200) - 53.13) < 0.01
