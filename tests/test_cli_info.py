import json

from robosmplx.cli import main


def test_info_json_reports_both_families(capsys, monkeypatch):
    monkeypatch.delenv("ROBOSMPLX_MODEL_DIR", raising=False)
    assert main(["info", "--json", "--body", "anny-small"]) == 0
    info = json.loads(capsys.readouterr().out)["body_models"]
    assert (
        info["anny-small"]["available"] and info["anny-small"]["keypoints"]["num_keypoints"] == 137
    )
    assert info["anny-small"]["parts"] == {"body": 24, "hand": 16, "face": 15}
    for name in ("smplx", "smpl", "mano", "flame"):
        assert info[name]["available"] is False
        assert "ROBOSMPLX_MODEL_DIR" in info[name]["reason"]


def test_info_with_standin_files(tmp_path, capsys):
    from support.standin import write_standin_model_files

    write_standin_model_files(tmp_path, names=("smplx",))
    assert main(["info", "--json", "--model-dir", str(tmp_path), "--body", "smplx"]) == 0
    info = json.loads(capsys.readouterr().out)["body_models"]["smplx"]
    assert info["available"] and info["keypoints"]["num_keypoints"] == 137
    assert info["params"]["body_pose"]["size"] == 21


def test_unknown_command_and_missing_files_are_one_line(tmp_path, capsys):
    from robosmplx.body import load_body_model
    from robosmplx.errors import ModelFileError

    try:
        load_body_model("smplx", model_dir=tmp_path / "nowhere")
    except ModelFileError as e:
        assert "SMPLX_NEUTRAL.npz" in str(e) and "\n" not in str(e)
    else:
        raise AssertionError("expected ModelFileError")
