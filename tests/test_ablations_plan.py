"""The ablation plan: rows x seeds in order, and the exact config each row trains."""

import pytest
import yaml

from robosmplx.ablate.plan import (
    Budget,
    format_override,
    load_spec,
    plan_runs,
    select_rows,
    supervision,
)
from robosmplx.errors import ConfigError

SPEC = load_spec()
BUDGET = Budget(data="data/synth/hand", steps=300, seeds=(0, 1))


@pytest.fixture(scope="module")
def configs(tmp_path_factory):
    """Row -> config of its seed-1 run, for every row of the bundled spec."""
    out = tmp_path_factory.mktemp("abl")
    runs = plan_runs(SPEC, tuple(SPEC.rows), BUDGET, out)
    return {r.row: r.config() for r in runs if r.seed == 1}, runs, out


def test_plan_expands_every_row_over_the_seeds_in_order(configs):
    _, runs, out = configs
    assert [(r.row, r.seed) for r in runs] == [(row, s) for row in SPEC.rows for s in (0, 1)]
    assert runs[0].run_dir == out / "hmr" / "seed0" and runs[-1].run_dir.name == "seed1"
    assert len(SPEC.rows) == 22 and SPEC.rows["full"].label.startswith("Full")


def test_budget_and_seed_reach_every_config(configs):
    cfgs, runs, out = configs
    for row, cfg in cfgs.items():
        steps = 300 * (6 if row.endswith("-long") else 1)
        assert cfg.stage == "hand" and cfg.trainer.max_steps == steps
        assert cfg.optim.milestones == (steps * 3 // 4,) and cfg.trainer.seed == 1
        assert [s.path for s in cfg.data.train] == ["data/synth/hand"] and cfg.data.val == ()
        assert cfg.logging.run_dir == str(out / row / "seed1")
        assert cfg.data.batch_size == 8 and cfg.augment.crop_size == 128
    assert {r.config().trainer.seed for r in runs if r.row == "lf-all"} == {0, 1}


def test_baseline_rows_are_hmr_on_the_small_trunk(configs):
    cfgs, _, _ = configs
    hmr, strong = cfgs["hmr"], cfgs["hmr-strongaug"]
    for cfg in (hmr, strong):
        ov = cfg.model.overrides
        assert cfg.model.preset == "hmr-hand"
        assert (ov.backbone, ov.width, ov.out_channels, ov.input_size, ov.hidden) == (
            "resnet18", 0.5, 256, 128, 512,
        )  # fmt: skip
        w = cfg.loss.weights
        assert (w.heatmap_joints, w.segm, w.proj, w.contrastive) == (0, 0, 0, 0)
        assert not cfg.data.twins and supervision(cfg) == "-"
    assert (hmr.augment.scale_factor, hmr.augment.center_jitter) == (0.2, 0.2)
    assert (strong.augment.scale_factor, strong.augment.center_jitter) == (0.4, 0.4)


@pytest.mark.parametrize(
    ("row", "lf", "weights", "twins", "rep", "sup"),
    [
        ("base-lks", "none", (1, 0, 0, 0), False, "keypoints", "L_KS"),
        ("lf-pose", "pose", (1, 0, 0, 0), False, "keypoints", "L_KS"),
        ("lf-all", "all", (1, 0, 0, 0), False, "keypoints", "L_KS"),
        ("lf-all-con", "all", (1, 0, 0, 2), False, "keypoints", "L_KS, L_con"),
        ("lf-all-con-twins", "all", (1, 0, 0, 2), True, "keypoints", "L_KS, L_con, +ve"),
        ("lf-all-segm", "all", (1, 10, 0, 0), False, "keypoints", "L_KS, L_segm"),
        ("lf-all-segm-proj", "all", (1, 10, 10, 0), False, "keypoints", "L_KS, L_segm, L_proj"),
        ("full", "all", (1, 10, 10, 2), True, "keypoints", "L_KS, L_segm, L_proj, L_con, +ve"),
        ("con-pose", "all", (1, 0, 0, 2), False, "pose", "L_KS, L_con"),
        ("con-gopose-twins", "all", (1, 0, 0, 2), True, "go+pose", "L_KS, L_con, +ve"),
    ],
)
def test_module_rows_set_variant_weights_twins_and_representation(
    configs, row, lf, weights, twins, rep, sup
):
    cfg = configs[0][row]
    w = cfg.loss.weights
    assert cfg.model.preset == "small-hand" and cfg.model.overrides.lf_variant == lf
    assert (w.heatmap_joints, w.segm, w.proj, w.contrastive) == weights
    assert (w.keypoints3d, w.keypoints2d, w.rotation, w.shape_prior) == (1, 1, 1, 1)
    assert cfg.data.twins is twins and cfg.loss.options.contrastive_representation == rep
    assert supervision(cfg) == sup
    assert (cfg.augment.scale_factor, cfg.augment.center_jitter) == (0.2, 0.2)


@pytest.mark.parametrize(
    ("row", "kinds", "rep"),
    [
        ("con-pose-twins", ("color", "location", "color+location"), "pose"),
        ("con-pose-twins-color", ("color",), "pose"),
        ("con-pose-twins-pose", ("pose",), "pose"),
        ("con-pose-twins-location", ("location",), "pose"),
        ("con-twins-pose", ("pose",), "keypoints"),
    ],
)
def test_twin_rows_choose_the_twin_kinds(configs, row, kinds, rep):
    cfg = configs[0][row]
    assert cfg.data.twins and cfg.twin.kinds == kinds and cfg.twin.flip_prob == 0.0
    assert cfg.loss.options.contrastive_representation == rep


def test_tables_name_their_rows_and_rows_select_by_table():
    tables = SPEC.table_rows()
    assert set(tables) == {"table11", "table9", "table10", "table10k", "table4"}
    assert tables["table4"] == ("hmr", "full", "hmr-long", "full-long")
    assert select_rows(SPEC, ["table4", "lf-all"]) == (
        "hmr",
        "lf-all",
        "full",
        "hmr-long",
        "full-long",
    )
    assert select_rows(SPEC, None) == tuple(SPEC.rows)
    with pytest.raises(ConfigError, match="not a row or table"):
        select_rows(SPEC, ["table99"])


def test_set_overrides_apply_after_the_row(tmp_path):
    budget = Budget(
        data="d", steps=8, seeds=(3,), batch_size=2, extra=("model.overrides.width=0.25",)
    )
    (run,) = plan_runs(SPEC, ("hmr",), budget, tmp_path)
    cfg = run.config()
    assert cfg.model.overrides.width == 0.25 and cfg.data.batch_size == 2
    assert cfg.optim.milestones == (6,) and cfg.checkpoint.every_n_steps == 2
    assert run.row_overrides[0] == "model.preset=hmr-hand"
    with pytest.raises(ConfigError, match="ablation row 'hmr'"):
        plan_runs(
            SPEC, ("hmr",), Budget(data="d", steps=8, seeds=(0,), extra=("loss.nope=1",)), tmp_path
        )


@pytest.mark.parametrize("value", ["hmr-hand", "go+pose", "none", "1e-4", "true", 0.4, True, ["color"],
                                   [{"path": "a b/c"}]])  # fmt: skip
def test_overrides_read_back_as_their_values(value):
    key, _, raw = format_override("k", value).partition("=")
    assert key == "k" and yaml.safe_load(raw) == value


@pytest.mark.parametrize(
    "bad", [dict(steps=0), dict(seeds=()), dict(seeds=(1, 1)), dict(batch_size=0)]
)
def test_bad_budgets_are_refused(bad):
    with pytest.raises(ConfigError):
        Budget(**{"data": "d", "steps": 10, "seeds": (0,), **bad})


def test_like_rows_repeat_their_row_with_a_scaled_budget(configs):
    cfgs, runs, _ = configs
    for long, short in (("hmr-long", "hmr"), ("full-long", "full")):
        a, b = cfgs[long], cfgs[short]
        assert (a.model, a.loss, a.augment, a.data.twins) == (
            b.model,
            b.loss,
            b.augment,
            b.data.twins,
        )
        assert (a.trainer.max_steps, b.trainer.max_steps) == (1800, 300)
    own = next(r.row_overrides for r in runs if r.row == "hmr-long")
    assert own[0] == "trainer.max_steps=1800" and "model.preset=hmr-hand" in own


def test_like_must_name_a_plain_row(tmp_path):
    text = yaml.safe_dump({
        "format": "robosmplx-ablations", "base": "ablations/hand",
        "rows": {"a": {"label": "A"}, "b": {"label": "B", "like": "a"}, "c": {"label": "C", "like": "b"}},
    })  # fmt: skip
    (tmp_path / "s.yaml").write_text(text)
    with pytest.raises(ConfigError, match="row 'c': like: 'b' must name another row"):
        load_spec(tmp_path / "s.yaml")
