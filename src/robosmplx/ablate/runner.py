"""Train, evaluate and stress every (row, seed) run of an ablation plan, resumably.

A run whose ``final/model.safetensors`` exists is not trained again (a run stopped midway resumes
from its newest checkpoint); its scores are cached beside it (``eval.json``,
``robustness.json``) under a key made of the network's and the test file's sha256, so they are
recomputed only when either changes. A finished run whose saved config differs from the planned
one is never reused: training it again would mix two settings in one table.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from robosmplx.ablate.plan import RunSpec
from robosmplx.config import to_dict
from robosmplx.errors import ConfigError, DataError
from robosmplx.io import atomic_write_text

PROTOCOL = "synthetic-hand"
PART = "rhand"
POSITIONAL = ("translate_x", "translate_y", "scale")


@dataclass(frozen=True)
class RunOptions:
    """test: the held-out HumanData file (or its folder); the evaluation's device, batch and
    sample limit; robustness: also score the spec's robustness rows under the positional
    perturbations; progress: progress bars."""

    test: str
    device: str = "cpu"
    eval_batch_size: int = 16
    test_limit: int | None = None
    robustness: bool = True
    progress: bool = True


def resolve_test(test: str | Path) -> Path:
    """The test HumanData file: ``test`` itself or the one ``.npz`` in that folder."""
    from robosmplx.train.datamodule import resolve_data_path

    p = Path(test)
    if not p.exists():
        raise DataError(
            f"{test}: test set not found; make a held-out one with a seed the training data "
            f"did not use, e.g. robosmplx synth --task hand --count 200 --out {test} --seed 3001"
        )
    return resolve_data_path(str(p), "hand", "test")


def synth_settings(path: Path) -> dict | None:
    """The ``robosmplx synth`` settings of a dataset folder (or of the folder of its file)."""
    folder = path if path.is_dir() else path.parent
    f = folder / "synth_config.json"
    if not f.is_file():
        return None
    try:
        out = json.loads(f.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return out if isinstance(out, dict) else None


def _synth_seed(path: Path) -> int | None:
    seed = (synth_settings(path) or {}).get("seed")
    return seed if isinstance(seed, int) else None


def check_held_out(train_data: str | Path, test_file: Path) -> None:
    """DataError when the test set is the training file or was synthesised with its seed
    (``robosmplx synth`` sample i depends on (seed, i) only, so it would repeat samples)."""
    train = Path(train_data)
    if train.exists() and test_file.resolve() in {train.resolve(), *_npz_in(train)}:
        raise DataError(f"--test {test_file} is the training data; use a held-out set")
    a, b = _synth_seed(train), _synth_seed(test_file)
    if a is not None and a == b:
        raise DataError(
            f"--test {test_file} was synthesised with seed {b}, the training data's ({train}); "
            "generate the test set with another --seed"
        )


def dataset_info(path: str | Path) -> tuple[int | None, dict | None]:
    """(sample count, ``robosmplx synth`` settings) of a HumanData file or folder; None where
    unknown."""
    import numpy as np

    p = Path(path)
    files = [p] if p.is_file() else sorted(p.glob("*.npz")) if p.is_dir() else []
    count = None
    if len(files) == 1:
        try:
            with np.load(files[0], allow_pickle=False) as z:
                count = int(z["bbox_xywh"].shape[0]) if "bbox_xywh" in z.files else None
        except (OSError, ValueError):
            count = None
    return count, synth_settings(p) if p.exists() else None


def environment(cfg) -> dict:
    """Where a run trained: the device, torch's version and CPU threads."""
    import torch

    t = cfg.trainer
    cuda = t.accelerator in ("gpu", "cuda") or (
        t.accelerator == "auto" and torch.cuda.is_available()
    )
    device = torch.cuda.get_device_name(0) if cuda else "cpu"
    return {"device": device, "threads": torch.get_num_threads(), "torch": torch.__version__}


def _npz_in(p: Path) -> set[Path]:
    return {q.resolve() for q in p.glob("*.npz")} if p.is_dir() else set()


def _comparable(cfg_dict: dict) -> dict:
    """A config without what may differ between two starts of the same run."""
    d = json.loads(json.dumps(cfg_dict))
    d.pop("logging", None)
    d.get("checkpoint", {}).pop("resume", None)
    return d


def saved_config_matches(run: RunSpec, cfg) -> bool | None:
    """Whether the run folder's ``config.yaml`` is the planned config (None: no saved one)."""
    import yaml

    f = run.run_dir / "config.yaml"
    if not f.is_file():
        return None
    saved = yaml.safe_load(f.read_text()) or {}
    return _comparable(saved) == _comparable(to_dict(cfg))


def run_state(run: RunSpec, cfg) -> str:
    """``done`` (final network), ``partial`` (checkpoints only), ``todo``, or ``stale`` (the
    folder holds a run of another config)."""
    if saved_config_matches(run, cfg) is False:
        return "stale"
    if run.final_model.is_file():
        return "done"
    if (run.run_dir / "checkpoints" / "last.json").is_file():
        return "partial"
    return "todo"


def _read_json(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return None


def _sha256(path: Path) -> str:
    from robosmplx.train.checkpoint import file_record

    return file_record(path)["sha256"]


class AblationRunner:
    """Runs (or only reads back) the runs of a plan; one loaded body model per name. Without a
    test set (``require_test=False`` and no file) nothing can be scored or read back."""

    def __init__(
        self, options: RunOptions, log: Callable[[str], None] = print, require_test: bool = True
    ):
        self.options = options
        self.log = log
        self.test_file: Path | None = None
        self.test_sha: str | None = None
        if require_test or Path(options.test).exists():
            self.test_file = resolve_test(options.test)
            self.test_sha = _sha256(self.test_file)
        self._bodies: dict[str, object] = {}

    def body_model(self, name: str):
        if name not in self._bodies:
            from robosmplx.body import load_body_model

            self._bodies[name] = load_body_model(name)
        return self._bodies[name]

    def _key(self, run: RunSpec, what: str) -> dict:
        return {
            "what": what,
            "protocol": PROTOCOL,
            "model_sha256": _sha256(run.final_model),
            "test_sha256": self.test_sha,
            "limit": self.options.test_limit,
        }

    # -- one run ---------------------------------------------------------------------------
    def train(self, run: RunSpec, cfg) -> dict | None:
        """Train unless the final network exists; the train summary (None if never recorded)."""
        from robosmplx.train.runner import train

        summary_file = run.run_dir / "train_result.json"
        if run.final_model.is_file():
            return _read_json(summary_file)
        self.log(f"ablate: training {run.row} seed {run.seed} -> {run.run_dir}")
        result = train(cfg, body_model=self.body_model(cfg.body_model))
        summary = {**result.to_dict(), **environment(cfg)}
        atomic_write_text(summary_file, json.dumps(summary, indent=1))
        return summary

    def _options(self):
        from robosmplx.eval.evaluator import EvalOptions

        o = self.options
        return EvalOptions(
            batch_size=o.eval_batch_size, device=o.device, limit=o.test_limit, progress=o.progress
        )

    def _cached(self, run: RunSpec, what: str) -> tuple[Path, dict, dict | None]:
        """``RUN/<what>.json``, the key its scores must carry, and those scores when the file
        holds that key (None without a test set or for a stale or missing file)."""
        path = run.run_dir / f"{what}.json"
        if self.test_file is None:
            return path, {}, None
        key = self._key(run, what)
        cached = _read_json(path)
        return path, key, cached if cached is not None and cached.get("key") == key else None

    def evaluate(self, run: RunSpec, cfg, compute: bool) -> dict | None:
        """The run's test-set scores (``rhand`` metrics, mm), from the cache when valid."""
        from robosmplx.eval.evaluator import Evaluator

        path, key, cached = self._cached(run, "eval")
        if cached is not None or not compute or self.test_file is None:
            return cached
        self.log(f"ablate: evaluating {run.row} seed {run.seed} on {self.test_file}")
        ev = Evaluator(
            PROTOCOL, self.test_file, run.final_model, body_model=self.body_model(cfg.body_model),
            options=self._options(), label=run.row,
        )  # fmt: skip
        res = ev.run()
        out = {
            "key": key,
            "metrics": res["metrics"][PART],
            "num_samples": res["num_samples"],
            "excluded": res["excluded"],
        }
        atomic_write_text(path, json.dumps(out, indent=1))
        return out

    def robustness(self, run: RunSpec, cfg, compute: bool) -> dict | None:
        """Scores under the positional columns of the paper's Table 4, from the cache when valid."""
        from robosmplx.eval.robustness import (
            POSITIONAL_COLUMNS,
            Checkpoint,
            run_robustness,
            sweep_plan,
        )

        path, key, cached = self._cached(run, "robustness")
        if cached is not None or not compute or self.test_file is None:
            return cached
        self.log(f"ablate: positional perturbations for {run.row} seed {run.seed}")
        plan = sweep_plan(POSITIONAL, {n: () for n in POSITIONAL}, positional=True)
        res = run_robustness(
            PROTOCOL, self.test_file, [Checkpoint(run.row, str(run.final_model))], plan,
            body_model=self.body_model(cfg.body_model), options=self._options(),
        )  # fmt: skip
        r = res["runs"][0]
        columns = {}
        for label, name, m in POSITIONAL_COLUMNS:
            entry = r["normal"] if name is None else _at(r["sweep"][name], m)
            columns[label] = entry["metrics"][PART]
        out = {"key": key, "columns": columns, "num_samples": r["normal"]["num_samples"]}
        atomic_write_text(path, json.dumps(out, indent=1))
        return out

    # -- the plan --------------------------------------------------------------------------
    def run(
        self,
        runs: Iterable[RunSpec],
        work_rows: set[str],
        robustness_rows: set[str],
    ) -> list[dict]:
        """Every run's record. Runs of ``work_rows`` are trained and scored as needed; the
        others only contribute what their folders already hold (valid caches). A run whose
        training stops on a ConfigError (a setting the stage cannot train) gets ``error`` and
        the others go on."""
        records = []
        for run in runs:
            cfg = run.config()
            state = run_state(run, cfg)
            work = run.row in work_rows
            if state == "stale" and work:
                raise ConfigError(
                    f"{run.run_dir}: holds a run of another config (its config.yaml differs from "
                    f"row {run.row!r} seed {run.seed} as planned now, e.g. other --steps or "
                    "--set); use another --out, or delete that folder to train it again"
                )
            rec = {"row": run.row, "seed": run.seed, "run_dir": str(run.run_dir), "state": state}
            rec.update(train=None, eval=None, robustness=None)
            if state != "stale" and (work or state == "done"):
                t0 = time.time()
                if work:
                    try:
                        rec["train"] = self.train(run, cfg)
                    except ConfigError as e:  # a row this code cannot train yet; go on
                        rec["error"] = str(e)
                        self.log(f"ablate: {run.row} seed {run.seed} cannot be trained: {e}")
                        records.append(rec)
                        continue
                elif state == "done":
                    rec["train"] = _read_json(run.run_dir / "train_result.json")
                if run.final_model.is_file():
                    rec["eval"] = self.evaluate(run, cfg, work)
                    if self.options.robustness and run.row in robustness_rows:
                        rec["robustness"] = self.robustness(run, cfg, work)
                rec["state"] = run_state(run, cfg)
                rec["seconds"] = round(time.time() - t0, 2)
            records.append(rec)
        return records


def _at(entries: list[dict], magnitude: float) -> dict:
    for e in entries:
        if abs(e["magnitude"] - magnitude) < 1e-9:
            return e
    raise DataError(f"magnitude {magnitude} missing from the robustness sweep; rerun the ablation")
