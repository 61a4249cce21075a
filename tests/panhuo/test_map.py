"""`panhuo map` and `panhuo brief` through the real CLI door (contract.md §7)."""

from pathlib import Path

import pytest

from panhuo.cli import main
from tests.maps.conftest import make_parcels, write_analysis_dir, write_plan_dir


def run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def test_map_of_analysis_dir_and_plan_dir(tmp_path: Path, capsys):
    adir = write_analysis_dir(tmp_path / "analysis")
    pdir = write_plan_dir(tmp_path / "plan")
    assert run(["map", str(adir), "--out", str(tmp_path / "a.html")]) == 0
    assert "地图已写入" in capsys.readouterr().out
    assert (
        run(["map", str(adir / "parcels.gpkg"), "--out", str(tmp_path / "g.html"), "--basemap", "gaode"]) == 0
    )
    assert run(["map", str(pdir), "--out", str(tmp_path / "p.html"), "--offline"]) == 0
    for name in ("a.html", "g.html", "p.html"):
        assert (tmp_path / name).read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert (
        "https://cdn"
        not in (tmp_path / "p.html").read_text(encoding="utf-8").split("<body>")[0].split("<style>")[0]
    )


def test_missing_tianditu_key_fails_before_writing(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    adir = write_analysis_dir(tmp_path / "analysis")
    out = tmp_path / "t.html"
    assert run(["map", str(adir), "--out", str(out), "--basemap", "tianditu"]) == 2
    assert "TIANDITU_KEY" in capsys.readouterr().err
    assert not out.exists()
    monkeypatch.setenv("TIANDITU_KEY", "abc123")
    assert run(["map", str(adir), "--out", str(out), "--basemap", "tianditu"]) == 0
    assert "tk=abc123" in out.read_text(encoding="utf-8")


@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")
def test_layer_without_crs_is_refused(tmp_path: Path, capsys):
    gpkg = tmp_path / "raw.gpkg"
    make_parcels(3, crs=None).to_file(gpkg, layer="raw", engine="pyogrio")
    out = tmp_path / "r.html"
    code = run(["map", str(gpkg), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "CRS" in err or "坐标系" in err
    assert not out.exists()


def test_brief_with_parcel_list(tmp_path: Path, capsys):
    adir = write_analysis_dir(tmp_path / "analysis")
    out = tmp_path / "b.pdf"
    code = run(
        [
            "brief",
            "--analysis",
            str(adir),
            "--parcels",
            "YL-001",
            "YL-005",
            "--out",
            str(out),
            "--png",
            "--date",
            "2026-11-26",
        ]
    )
    assert code == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "简报已写入" in printed and "2 页" in printed
    assert out.is_file() and (tmp_path / "b-1.png").is_file() and (tmp_path / "b-2.png").is_file()


def test_brief_idle_group_only(tmp_path: Path, capsys):
    adir = write_analysis_dir(tmp_path / "analysis")
    out = tmp_path / "idle.pdf"
    assert run(["brief", "--analysis", str(adir), "--group", "idle", "--out", str(out)]) == 0
    assert "2 页" in capsys.readouterr().out  # the idle group and the statistics, no low-efficiency page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--group", "vacant"], "unknown group"),
        (["--parcels", "YL-404"], "YL-404"),
        (["--parcels", ","], "empty selection"),
    ],
)
def test_brief_bad_selection(tmp_path: Path, capsys, args, message):
    adir = write_analysis_dir(tmp_path / "analysis")
    out = tmp_path / "b.pdf"
    assert run(["brief", "--analysis", str(adir), *args, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_brief_plan_without_solution(tmp_path: Path, capsys):
    pdir = write_plan_dir(tmp_path / "plan", status="no_solution")
    out = tmp_path / "p.pdf"
    assert run(["brief", "--plan", str(pdir), "--out", str(out)]) == 2
    assert "no solution" in capsys.readouterr().err
    assert not out.exists()
