"""``robosmplx annotate``: fitted people become HumanData samples that the training dataset reads
(stand-in landmark evidence made from known poses, so the landmark models are not needed)."""

import numpy as np
import torch
from PIL import Image

from infer_support import small_checkpoint


def test_annotate_writes_humandata_the_training_dataset_reads(anny_small, tmp_path):
    from robosmplx.data.datasets import WholeBodyDataset
    from robosmplx.data.humandata import load_humandata
    from robosmplx.fit import FitConfig
    from robosmplx.fit.synthetic import synthetic_people
    from robosmplx.infer.annotate import Annotator
    from robosmplx.infer.evidence import EvidenceStage
    from robosmplx.infer.predictor import Predictor

    truth = synthetic_people(anny_small, n=2, seed=1, image_size=(160, 160), masks=False)
    ckpt = small_checkpoint(tmp_path)
    pred = Predictor(ckpt, rounds=1, refine="none", focal=float(truth.K[0, 0]))
    cfg = FitConfig(steps=8, rigid_steps=8, silhouette=False, diverged_ratio=100.0)
    pred.evidence = EvidenceStage("landmarks", cfg)
    pred.evidence._detector = lambda pixels: truth.evidence
    image = np.full((160, 160, 3), 128, np.uint8)
    out = pred.predict(image)
    assert [p.fit["ok"] for p in out.people] == [True, True]
    assert set(out.people[0].fit["losses"]) >= {"body2d", "total"}
    ann = Annotator(pred, tmp_path / "mine.npz")
    assert ann.add("grey", out) == 2
    path = ann.write()
    hd = load_humandata(path)
    assert len(hd) == 2 and str(hd["config"]) == "robosmplx_annotate"
    assert np.allclose(hd["K"][0], truth.K.numpy(), atol=1e-3)
    parts = (tmp_path / "mine_files" / "parts" / "body").iterdir()
    maps = [np.asarray(Image.open(p)) for p in sorted(parts)]
    assert all(m.shape == (160, 160) and m.max() > 0 for m in maps)
    assert not ((maps[0] > 0) & (maps[1] > 0)).any()  # each map holds its own person only
    ds = WholeBodyDataset(path, anny_small, train=False)
    batch = torch.utils.data.default_collate([ds[0], ds[1]])
    assert batch["img"].shape[0] == 2 and torch.isfinite(batch["img"]).all()
    for key in ("has_body_pose", "has_betas", "has_keypoints3d", "has_segm", "has_transl"):
        assert (batch[key] == 1).all(), key
