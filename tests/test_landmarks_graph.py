"""The TensorFlow.js graph interpreter and the person detector built on it.

Graphs are written here by hand in the TF.js format (GraphDef as JSON + a weight shard), and the
interpreter's results are checked against the ops' definitions computed independently."""

import base64
import json
from pathlib import Path

import numpy as np
import pytest

from robosmplx.landmarks import landmarks_available
from robosmplx.landmarks.graph import GraphError, GraphModel

needs_models = pytest.mark.skipif(
    landmarks_available() is not None, reason=f"landmark models absent: {landmarks_available()}"
)


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def _write(tmp_path: Path, nodes: list[dict], weights: dict[str, np.ndarray], f16=()) -> Path:
    manifest, blobs = [], []
    for name, arr in weights.items():
        entry = {"name": name, "shape": list(arr.shape), "dtype": "float32"}
        if arr.dtype == np.int32:
            entry["dtype"] = "int32"
        if name in f16:
            entry["quantization"] = {"dtype": "float16", "original_dtype": "float32"}
            blobs.append(arr.astype(np.float16).tobytes())
        else:
            blobs.append(arr.tobytes())
        manifest.append(entry)
        nodes.append({"name": name, "op": "Const"})
    (tmp_path / "w.bin").write_bytes(b"".join(blobs))
    spec = {"modelTopology": {"node": nodes},
            "weightsManifest": [{"paths": ["w.bin"], "weights": manifest}]}  # fmt: skip
    path = tmp_path / "model.json"
    path.write_text(json.dumps(spec))
    return path


def _conv_ref(x, w, stride):
    """TensorFlow SAME convolution, NHWC / HWIO, written out with loops."""
    n, h, wd, c = x.shape
    kh, kw, _, o = w.shape
    oh, ow = -(-h // stride), -(-wd // stride)
    ph = max((oh - 1) * stride + kh - h, 0)
    pw = max((ow - 1) * stride + kw - wd, 0)
    xp = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    out = np.zeros((n, oh, ow, o), np.float32)
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, i * stride : i * stride + kh, j * stride : j * stride + kw, :]
            out[:, i, j] = np.einsum("nhwc,hwco->no", patch, w)
    return out


def test_fused_conv_same_padding_bias_relu6_and_float16_weights(tmp_path):
    rng = np.random.default_rng(0)
    w = rng.normal(size=(3, 3, 2, 4)).astype(np.float32)
    bias = rng.normal(size=4).astype(np.float32)
    attr = {"strides": {"list": {"i": ["1", "2", "2", "1"]}}, "padding": {"s": _b64("SAME")},
            "data_format": {"s": _b64("NHWC")},
            "fused_ops": {"list": {"s": [_b64("BiasAdd"), _b64("Relu6")]}}}  # fmt: skip
    nodes = [{"name": "x", "op": "Placeholder"},
             {"name": "y", "op": "_FusedConv2D", "input": ["x", "w", "b"], "attr": attr}]  # fmt: skip
    g = GraphModel(_write(tmp_path, nodes, {"w": w, "b": bias}, f16=("w",)))
    x = rng.normal(size=(1, 7, 6, 2)).astype(np.float32)  # odd side: padding split unevenly
    (y,) = g({"x": x}, ["y"])
    w16 = w.astype(np.float16).astype(np.float32)
    ref = np.clip(_conv_ref(x, w16, 2) + bias, 0.0, 6.0)
    assert y.shape == (1, 4, 3, 4) and np.allclose(y, ref, atol=1e-4)


def test_resize_bilinear_follows_tensorflows_coordinate_modes(tmp_path):
    x = np.arange(4, dtype=np.float32).reshape(1, 1, 4, 1)  # one row 0 1 2 3
    size = np.array([1, 8], np.int32)

    def run(ac, hp):
        attr = {"align_corners": {"b": ac}, "half_pixel_centers": {"b": hp}}
        nodes = [{"name": "x", "op": "Placeholder"},
                 {"name": "y", "op": "ResizeBilinear", "input": ["x", "size"], "attr": attr}]  # fmt: skip
        return GraphModel(_write(tmp_path, nodes, {"size": size}))({"x": x}, ["y"])[0][0, 0, :, 0]

    out = np.arange(8)
    assert np.allclose(run(False, True), np.clip((out + 0.5) * 0.5 - 0.5, 0, 3))
    assert np.allclose(run(True, False), out * 3 / 7)
    assert np.allclose(run(False, False), np.minimum(out * 0.5, 3))


def test_bad_graphs_are_one_line_errors(tmp_path):
    nodes = [{"name": "x", "op": "Placeholder"}, {"name": "y", "op": "Mystery", "input": ["x"]}]
    with pytest.raises(GraphError, match=r"unsupported ops \['Mystery'\]"):
        GraphModel(_write(tmp_path, nodes, {}))
    path = _write(tmp_path, [{"name": "x", "op": "Placeholder"}], {"c": np.ones(4, np.float32)})
    (tmp_path / "w.bin").write_bytes(b"\0" * 8)  # a shard cut short
    with pytest.raises(GraphError, match="model.json"):
        GraphModel(path)


def test_person_boxes_decode_from_a_side_distribution():
    from robosmplx.landmarks.persons import decode

    scores = np.zeros((4, 80), np.float32)  # a 2 x 2 grid at stride 8
    scores[3, 0] = 0.9  # cell (1, 1): corner point (8, 8)
    dists = np.full((4, 44), -50.0, np.float32)
    for side, b in enumerate((2, 1, 3, 4)):  # bins: left 2, top 1, right 3, bottom 4
        dists[3, side * 11 + b] = 50.0
    boxes, s = decode(scores, dists, 8, 0.5)
    assert np.allclose(boxes, [[8 - 16, 8 - 8, 8 + 24, 8 + 32]]) and np.allclose(s, [0.9])
    assert decode(scores, dists, 8, 0.95)[0].shape == (0, 4)


@needs_models
def test_the_person_detector_boxes_a_portrait_and_finds_nobody_in_noise():
    from matplotlib import cbook
    from PIL import Image

    from robosmplx.landmarks.models import open_graph
    from robosmplx.landmarks.persons import PersonDetector

    det = PersonDetector(open_graph("person_detector"))
    image = np.asarray(Image.open(cbook.get_sample_data("grace_hopper.jpg")).convert("RGB"))
    (hit, *_) = det(image)
    h, w = image.shape[:2]
    assert hit.score > 0.6
    assert hit.box[0] < 0.2 * w and hit.box[2] > 0.8 * w and hit.box[3] > 0.9 * h  # the sitter
    flat = np.full((416, 416, 3), 127, np.uint8)
    assert det(flat) == []


@needs_models
def test_a_person_box_nobody_covers_becomes_a_person_and_a_covered_one_costs_nothing():
    from PIL import Image

    from robosmplx.landmarks import LandmarkDetector
    from robosmplx.landmarks.runners import Detection

    image = np.asarray(
        Image.open(Path(__file__).parent / "data" / "landmarks" / "synth_0004.jpg").convert("RGB")
    )
    det = LandmarkDetector(hands=False, face=False, segmentation=False)
    (person,) = det(image)
    x, y, w, h = person.box
    box = np.array([x - 0.1 * w, y - 0.05 * h, x + 1.1 * w, y + 1.05 * h])

    class OneBox:
        def __call__(self, img):
            return [Detection(box, np.zeros((0, 2)), 0.9)]

    det.person_detector = OneBox()
    (body,) = det.bodies_from_boxes(image, [])  # nobody found before: the box gives the person
    nose = body.landmarks[0, :2] - 0.5
    assert np.hypot(*(nose - person.body2d[0, :2])) < 0.1 * h
    before = dict(det.timings)
    assert det.bodies_from_boxes(image, [body]) == []  # covered: no landmark call at all
    assert {k: v for k, v in det.timings.items() if k.startswith("pose_")} == {
        k: v for k, v in before.items() if k.startswith("pose_")
    }


@needs_models
def test_slivers_and_mostly_hidden_box_people_are_not_people():
    """The portrait at 512 px has a thin box at its left edge (score ~0.35): no landmark call
    for a sliver, and the portrait stays one person."""
    from matplotlib import cbook
    from PIL import Image

    from robosmplx.landmarks import LandmarkDetector
    from robosmplx.landmarks.runners import Detection

    im = Image.open(cbook.get_sample_data("grace_hopper.jpg")).convert("RGB").resize((437, 512))
    image = np.asarray(im)
    det = LandmarkDetector(hands=False, face=False, segmentation=False)
    assert len(det(image)) == 1

    class Sliver:
        def __call__(self, img):
            return [Detection(np.array([-8.0, 111.0, 40.0, 484.0]), np.zeros((0, 2)), 0.4)]

    det.person_detector = Sliver()
    before = {k: v for k, v in det.timings.items() if k.startswith("pose_")}
    assert det.bodies_from_boxes(image, []) == []
    assert {k: v for k, v in det.timings.items() if k.startswith("pose_")} == before
