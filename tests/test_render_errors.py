"""Bad renderer inputs raise ShapeError / InputError with a message that names the problem."""

import pytest
import torch

from robosmplx.errors import InputError, ShapeError
from robosmplx.render import part_map, rasterize, soft_part_masks, soft_silhouette

VERTS = torch.tensor([[[-0.5, -0.5, 2.0], [0.5, -0.5, 2.0], [0.0, 0.5, 2.0]]])
FACES = torch.tensor([[0, 2, 1]])
K = torch.tensor([[20.0, 0.0, 7.5], [0.0, 20.0, 7.5], [0.0, 0.0, 1.0]])


def call_all(verts=VERTS, faces=FACES, k=K, size=(16, 16), labels=None, num_parts=2, **kw):
    labels = torch.tensor([1]) if labels is None else labels
    rasterize(verts, faces, k, size)
    soft_silhouette(verts, faces, k, size, **kw)
    soft_part_masks(verts, faces, k, size, labels, num_parts, **kw)
    part_map(verts, faces, k, size, labels, num_parts)


def test_valid_inputs_pass():
    call_all()
    call_all(k=K[None])
    call_all(verts=VERTS.double(), k=K.double())


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"verts": torch.zeros(1, 0, 3), "faces": torch.zeros(0, 3, dtype=torch.long)},
         InputError, "empty mesh"),
        ({"faces": torch.zeros(0, 3, dtype=torch.long)}, InputError, "empty mesh"),
        ({"verts": VERTS.clone().index_fill_(1, torch.tensor([1]), float("nan"))},
         InputError, "NaN"),
        ({"faces": torch.tensor([[0, 1, 3]])}, InputError, "3 vertices"),
        ({"faces": torch.tensor([[0, -1, 2]])}, InputError, "vertices -1..2"),
        ({"faces": FACES.float()}, InputError, "integer"),
        ({"size": (0, 16)}, InputError, "positive"),
        ({"size": (16,)}, ShapeError, "(H, W)"),
        ({"verts": VERTS[0]}, ShapeError, "(B, V, 3)"),
        ({"verts": VERTS[..., :2]}, ShapeError, "(B, V, 3)"),
        ({"faces": torch.tensor([[0, 1, 2, 0]])}, ShapeError, "(F, 3)"),
        ({"k": K.expand(2, 3, 3)}, ShapeError, "K: got shape (2, 3, 3)"),
        ({"k": torch.zeros(3, 3)}, InputError, "focal"),
        ({"labels": torch.tensor([2])}, InputError, "part labels range"),
        ({"labels": torch.tensor([-2])}, InputError, "part labels range"),
        ({"labels": torch.tensor([0, 1])}, ShapeError, "F=1"),
        ({"num_parts": 0, "labels": torch.tensor([0])}, InputError, "num_parts"),
        ({"sigma": 0.0}, InputError, "sigma"),
        ({"silhouette": "max"}, InputError, "silhouette"),
    ],
)  # fmt: skip
def test_bad_inputs_raise_clear_errors(kwargs, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        call_all(**kwargs)


def test_errors_are_robosmplx_errors():
    from robosmplx.errors import RoboSMPLXError

    with pytest.raises(RoboSMPLXError):
        rasterize(VERTS, FACES, K, (0, 0))
