import argparse
import json

import pytest

from robosmplx.bench import startup
from robosmplx.cli import COMMANDS, main


def test_building_every_parser_imports_no_heavy_library():
    # a fresh process: this one has torch loaded by other tests already
    assert startup.heavy_imports_of_parser() == []


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS), ["bench", "startup"]])
def test_every_help_exits_cleanly(command, capsys):
    with pytest.raises(SystemExit) as e:
        main([*command, "--help"])
    assert e.value.code == 0
    assert "usage: robosmplx" in capsys.readouterr().out


def test_startup_bench_reports_each_command(monkeypatch, capsys):
    monkeypatch.setattr("robosmplx.cli.COMMANDS", {"info": COMMANDS["info"]})
    result = startup.run(argparse.Namespace(runs=1))
    assert set(result["help_s"]) == {"robosmplx", "info"}
    assert result["max_help_s"] == max(result["help_s"].values()) > 0
    assert result["heavy_imports_after_parser"] == []
    json.dumps(result)
