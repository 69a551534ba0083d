"""Pictures: shaded overlay, side view and part colours, for boxes and both body-model families."""

import numpy as np
import pytest
import torch

from robosmplx.geometry.camera import CANONICAL_TO_CAMERA
from robosmplx.render import (
    part_map,
    part_palette,
    rasterize,
    render_overlay,
    render_part_colors,
    render_side_view,
)

K64 = torch.tensor([[60.0, 0.0, 31.5], [0.0, 60.0, 31.5], [0.0, 0.0, 1.0]])


def box(centre, half):
    """Closed box (8 vertices, 12 outward faces) in camera space."""
    c = torch.tensor(centre)
    h = torch.tensor(half)
    corners = torch.tensor([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)])
    faces = torch.tensor(
        [[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
         [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]]
    )  # fmt: skip
    return corners * h + c, faces


def background(h=64, w=64):
    return np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)


def dilate(mask, r):
    m = torch.as_tensor(mask)[None, None].float()
    return torch.nn.functional.max_pool2d(m, 2 * r + 1, 1, r)[0, 0] > 0


def test_overlay_changes_pixels_under_the_mesh_only():
    img = background()
    verts, faces = box((0.1, 0.0, 2.0), (0.3, 0.4, 0.3))
    out = render_overlay(img, [(verts, faces)], K64)
    assert out.dtype == np.uint8 and out.shape == img.shape
    mask = rasterize(verts[None], faces, K64, (64, 64)).mask[0].numpy()
    changed = (out != img).any(-1)
    assert changed[mask].mean() > 0.95
    assert not changed[~dilate(mask, 1).numpy()].any()
    assert np.array_equal(render_overlay(img, [(verts, faces)], K64, alpha=0.0), img)
    # numpy inputs and a torch image give the same picture
    same = render_overlay(torch.from_numpy(img), [(verts.numpy(), faces.numpy())], K64.numpy())
    assert np.array_equal(same, out)


def test_overlay_several_people_occlude_each_other():
    img = np.zeros((64, 64, 3), dtype=np.uint8)
    back = box((0.0, 0.0, 3.0), (0.5, 0.5, 0.2))
    front = box((0.2, 0.0, 2.0), (0.15, 0.15, 0.1))
    red, blue = (1.0, 0.0, 0.0), (0.0, 0.0, 1.0)
    out = render_overlay(img, [back, front], K64, colors=[red, blue], alpha=1.0)
    front_mask = rasterize(front[0][None], front[1], K64, (64, 64)).mask[0].numpy()
    back_only = rasterize(back[0][None], back[1], K64, (64, 64)).mask[0].numpy() & ~front_mask
    assert (out[front_mask][:, 2] > 0).all() and (out[front_mask][:, 0] == 0).all()
    assert (out[back_only][:, 0] > 0).all() and (out[back_only][:, 2] == 0).all()


def test_side_view_turns_the_mesh_about_the_vertical_axis():
    # a slab thin across the image and deep along the view: narrow from the front, wide sideways
    verts, faces = box((0.0, 0.0, 3.0), (0.05, 0.3, 0.5))
    front = render_overlay((64, 64), [(verts, faces)], K64, alpha=1.0)
    side = render_side_view((64, 64), [(verts, faces)], K64)
    assert side.shape == (64, 64, 3) and side.dtype == np.uint8
    assert (side[0, 0] == 255).all()  # plain white background

    def width(pic):
        return int((pic != 255).any(-1).any(0).sum())

    assert width(front) <= 4 and width(side) >= 18
    # a quarter turn back and forth: 360 degrees gives the front view again
    assert np.array_equal(render_side_view((64, 64), [(verts, faces)], K64, angle_deg=360.0), front)


def test_part_colors_follow_the_part_map():
    verts, faces = box((0.0, 0.0, 2.0), (0.4, 0.4, 0.4))
    rot = torch.tensor([[0.8, 0.0, 0.6], [0.0, 1.0, 0.0], [-0.6, 0.0, 0.8]])
    verts = (verts - torch.tensor([0.0, 0.0, 2.0])) @ rot.T + torch.tensor([0.0, 0.0, 2.0])
    labels = torch.arange(12) // 4  # three parts, two box sides each
    out = render_part_colors((64, 64), [(verts, faces)], K64, [labels], 3)
    pm = part_map(verts[None], faces, K64, (64, 64), labels, 3)[0]
    palette = part_palette(3).numpy()
    for k in range(1, 4):
        px = out[(pm == k).numpy()].astype(float)
        if len(px) == 0:
            continue
        want = palette[k - 1] / np.linalg.norm(palette[k - 1])
        got = px / np.linalg.norm(px, axis=1, keepdims=True)
        assert np.abs(got - want).max() < 0.03  # shading scales the colour, keeps its hue


def body_picture(model):
    with torch.no_grad():
        out = model(**model.neutral_params(1))
    verts = out.vertices[0] @ CANONICAL_TO_CAMERA.T + torch.tensor([0.0, 0.0, 2.5])
    k = torch.tensor([[90.0, 0.0, 47.5], [0.0, 90.0, 63.5], [0.0, 0.0, 1.0]])
    img = background(128, 96)
    pictures = (
        render_overlay(img, [(verts, model.faces)], k),
        render_side_view(img, [(verts, model.faces)], k),
        render_part_colors(img, [(verts, model.faces)], k, [model.body_part_labels], 24),
    )
    uv = (verts @ k.T)[:, :2] / verts[:, 2:]
    return img, pictures, uv


def check_body_pictures(img, pictures, uv):
    overlay, side, parts = pictures
    changed = (overlay != img).any(-1)
    ys, xs = changed.nonzero()
    # the shaded person covers its projected extent, and nothing beyond it
    assert abs(xs.min() - uv[:, 0].min()) < 2 and abs(xs.max() - uv[:, 0].max()) < 2
    assert abs(ys.min() - uv[:, 1].min()) < 2 and abs(ys.max() - uv[:, 1].max()) < 2
    assert 0.02 < changed.mean() < 0.5
    assert (side != 255).any(-1).mean() > 0.02 and (side[0, 0] == 255).all()
    assert len(np.unique(parts[changed].reshape(-1, 3), axis=0)) > 24


def test_body_pictures_anny(anny_small):
    check_body_pictures(*body_picture(anny_small))


def test_body_pictures_smplx_standin(tmp_path):
    from robosmplx.body.smplx_family import load_smplx_family
    from support.standin import write_standin_smplx

    write_standin_smplx(tmp_path)
    check_body_pictures(*body_picture(load_smplx_family("smplx", tmp_path)))


@pytest.mark.parametrize("bad", ["empty_list", "bad_image", "bad_colors", "bad_alpha", "faces"])
def test_picture_inputs_are_checked(bad):
    from robosmplx.errors import InputError, ShapeError

    verts, faces = box((0.0, 0.0, 2.0), (0.3, 0.3, 0.3))
    args = {"image": background(), "meshes": [(verts, faces)], "colors": None, "alpha": 0.8}
    if bad == "empty_list":
        args["meshes"] = []
    elif bad == "bad_image":
        args["image"] = background().astype(np.float32)
    elif bad == "bad_colors":
        args["colors"] = [(1.0, 0.0)]
    elif bad == "bad_alpha":
        args["alpha"] = 1.5
    else:
        args["meshes"] = [(verts, faces + 8)]
    with pytest.raises((InputError, ShapeError)):
        render_overlay(args["image"], args["meshes"], K64, args["colors"], args["alpha"])
