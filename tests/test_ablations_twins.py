"""Twin kinds for Table 10: each kind changes only what it names, the default draws are the
ones the twins always had, and pose twins of real hand crops turn about the optical axis."""

import dataclasses

import numpy as np
import pytest
import torch

from robosmplx.data.augment import AugParams, sample_color, sample_location
from robosmplx.data.twins import TwinConfig, sample_twin
from robosmplx.errors import ConfigError

ANCHOR = AugParams(scale=1.1, rotation=20.0, flip=False, shift=(0.1, 0.0))


def _legacy_twin(anchor, cfg, rng):
    """The twin draw before kinds existed: uniform over colour, location, both."""
    acfg = cfg.as_augment()
    which = int(rng.integers(3))
    scale, shift = sample_location(acfg, rng)
    color = sample_color(acfg, rng)
    out = anchor
    if which in (1, 2):
        shift = (anchor.shift[0] + shift[0], anchor.shift[1] + shift[1])
        out = dataclasses.replace(out, scale=anchor.scale * scale, shift=shift)
    if which in (0, 2):
        out = dataclasses.replace(out, **color)
    return out


def test_default_kinds_draw_exactly_as_before():
    a, b = np.random.default_rng(7), np.random.default_rng(7)
    for _ in range(100):
        assert sample_twin(ANCHOR, TwinConfig(), a) == _legacy_twin(ANCHOR, TwinConfig(), b)


@pytest.mark.parametrize("kind", ["color", "location", "pose"])
def test_each_kind_changes_only_its_own_fields(kind):
    rng = np.random.default_rng(0)
    cfg = TwinConfig(kinds=(kind,))
    for _ in range(50):
        t = sample_twin(ANCHOR, cfg, rng)
        moved = (t.scale, t.shift) != (ANCHOR.scale, ANCHOR.shift)
        recoloured = t.color != ANCHOR.color
        turned = t.rotation != ANCHOR.rotation
        assert (moved, recoloured, turned) == (kind == "location", kind == "color", kind == "pose")
        assert not t.flip  # flip_prob 0 by default: hand crops stay right hands
        if kind == "pose":
            assert abs(t.rotation - ANCHOR.rotation) <= 2 * cfg.rot_factor


def test_pose_twin_flips_with_flip_prob_one_and_range_follows_rot_factor():
    rng = np.random.default_rng(1)
    flips = [
        sample_twin(ANCHOR, TwinConfig(kinds=("pose",), flip_prob=1.0), rng) for _ in range(20)
    ]
    assert all(t.flip for t in flips)
    small = [
        sample_twin(ANCHOR, TwinConfig(kinds=("pose",), rot_factor=1.0), rng) for _ in range(50)
    ]
    assert max(abs(t.rotation - ANCHOR.rotation) for t in small) <= 2.0


@pytest.mark.parametrize(
    "bad",
    [dict(kinds=()), dict(kinds=("colour",)), dict(kinds=("pose", "pose")), dict(flip_prob=1.5),
     dict(rot_factor=-1.0), dict(scale_factor=1.5)],
)  # fmt: skip
def test_bad_twin_settings_are_refused(bad):
    with pytest.raises(ConfigError):
        TwinConfig(**bad)


def test_train_config_reads_twin_kinds_from_overrides():
    from robosmplx.train.config import load_train_config

    cfg = load_train_config("ablations/hand", ["twin.kinds=[pose]", "twin.rot_factor=15"])
    assert cfg.twin.kinds == ("pose",) and cfg.twin.rot_factor == 15.0
    with pytest.raises(ConfigError):
        load_train_config("ablations/hand", ["twin.kinds=[spin]"])


def test_pose_twin_of_a_hand_crop_turns_about_the_optical_axis(tmp_path, anny_small):
    """Same fingers, same depths and distances from the optical axis; other x and y."""
    from robosmplx.data.augment import stage_augment
    from robosmplx.data.datasets import HandDataset
    from robosmplx.synth.config import SynthConfig
    from robosmplx.synth.generate import generate

    path = generate(
        SynthConfig(task="hand", size=64, body_model="anny-small", frame_size=256), 2, tmp_path,
        progress=False,
    )  # fmt: skip
    aug = stage_augment("hand", crop_size=64)
    ds = HandDataset(
        path, anny_small, augment=aug, twins=True, twin_config=TwinConfig(kinds=("pose",)), seed=3
    )
    for j in range(len(ds)):
        anchor, twin = ds[j]
        a, t = anchor["gt_keypoints3d"][:, :3], twin["gt_keypoints3d"][:, :3]  # (K, 3)
        torch.testing.assert_close(
            anchor["gt_right_hand_pose_rotmat"], twin["gt_right_hand_pose_rotmat"]
        )
        torch.testing.assert_close(a[:, 2], t[:, 2], atol=1e-5, rtol=0)
        torch.testing.assert_close(a[:, :2].norm(dim=1), t[:, :2].norm(dim=1), atol=1e-5, rtol=0)
        assert not torch.allclose(a[:, :2], t[:, :2], atol=1e-4)
