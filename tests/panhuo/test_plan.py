"""``panhuo plan`` and ``panhuo compare`` as a user runs them, on the tiny park of tests/optimizer."""

from __future__ import annotations

import json

import pytest

from panhuo.cli import main
from tests.optimizer.park import base_scenario

FAC = [{"type": "clinic", "count": 1, "radius_m": 150, "cost_wan": 100}]


def run(argv, capsys):
    try:
        main([str(a) for a in argv])
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_plan_writes_the_contract_files(tiny_park, write_scenario, tmp_path, capsys):
    sc = write_scenario(base_scenario(facilities=FAC, weights={"coverage": 1, "net_return": 0.001}))
    code, out, err = run(["plan", sc, "--out", tmp_path / "out"], capsys)
    assert code == 0, err
    assert "已证明最优" in out
    for name in ("plan.json", "plan.gpkg", "map.html"):
        assert (tmp_path / "out" / name).exists()
    plan = json.loads((tmp_path / "out" / "plan.json").read_text(encoding="utf-8"))
    assert plan["status"] == "optimal"
    assert plan["objective"] == pytest.approx(80.43)


def test_plan_with_highs_gives_the_same_answer(tiny_park, write_scenario, tmp_path, capsys):
    sc = write_scenario(base_scenario(facilities=FAC, weights={"coverage": 1, "net_return": 0.001}))
    code, _, err = run(
        ["plan", sc, "--out", tmp_path / "h", "--solver", "highs", "--time-limit", "20"], capsys
    )
    assert code == 0, err
    plan = json.loads((tmp_path / "h" / "plan.json").read_text(encoding="utf-8"))
    assert plan["solver"]["name"] == "highs" and plan["solver"]["time_limit_s"] == 20
    assert plan["objective"] == pytest.approx(80.43)


def test_infeasible_plan_exits_3_with_a_diagnosis(tiny_park, write_scenario, tmp_path, capsys):
    sc = write_scenario(base_scenario(facilities=FAC, budget_wan=10))
    code, out, _ = run(["plan", sc, "--out", tmp_path / "inf"], capsys)
    assert code == 3
    assert "budget_wan" in out
    plan = json.loads((tmp_path / "inf" / "plan.json").read_text(encoding="utf-8"))
    assert plan["status"] == "infeasible" and plan["diagnosis"]


def test_bad_input_is_one_line_no_traceback(tiny_park, write_scenario, tmp_path, capsys):
    code, _, err = run(["plan", tmp_path / "missing.yaml", "--out", tmp_path / "x"], capsys)
    assert code == 2 and "missing.yaml" in err and "Traceback" not in err
    sc = write_scenario(base_scenario(facilities=FAC))
    code, _, err = run(["plan", sc, "--out", tmp_path / "x", "--solver", "gurobi"], capsys)
    assert code == 2 and "cbc, highs" in err


def test_compare_two_scenarios(tiny_park, write_scenario, tmp_path, capsys):
    a = write_scenario(base_scenario(name="A", facilities=FAC, weights={"coverage": 1}), "a.yaml")
    b = write_scenario(base_scenario(name="B", facilities=FAC, weights={"net_return": 1}), "b.yaml")
    code, _, err = run(["compare", a, b, "--out", tmp_path / "cmp"], capsys)
    assert code == 0, err
    csv_text = (tmp_path / "cmp" / "compare.csv").read_bytes()
    assert csv_text.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    doc = json.loads((tmp_path / "cmp" / "compare.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in doc["scenarios"]] == ["A", "B"]
    assert (tmp_path / "cmp" / "map.html").exists()


def test_budget_sweep_and_frontier(tiny_park, write_scenario, tmp_path, capsys):
    sc = write_scenario(
        base_scenario(facilities=[{**FAC[0], "count": None, "max_count": 2}], weights={"coverage": 1})
    )
    code, _, err = run(["plan", sc, "--out", tmp_path / "t", "--budget-sweep", "50,150"], capsys)
    assert code == 0, err
    assert (tmp_path / "t" / "budget_sweep.csv").exists() and (tmp_path / "t" / "budget_sweep.png").exists()
    code, _, err = run(
        ["plan", sc, "--out", tmp_path / "t", "--frontier", "coverage:cost", "--steps", "2"], capsys
    )
    assert code == 0, err
    rows = (tmp_path / "t" / "frontier_coverage_cost.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(rows) == 3


def test_frontier_of_another_pair_and_bad_pairs(tiny_park, write_scenario, tmp_path, capsys):
    sc = write_scenario(
        base_scenario(facilities=[{**FAC[0], "count": None, "max_count": 1}], weights={"coverage": 1})
    )
    code, out, err = run(
        ["plan", sc, "--out", tmp_path / "f", "--frontier", "net_return:coverage", "--steps", "2"], capsys
    )
    assert code == 0, err
    assert "最大化 maximise net_return" in out and "coverage ≥ ε" in out
    assert (tmp_path / "f" / "frontier_net_return_coverage.csv").exists()
    assert (tmp_path / "f" / "frontier_net_return_coverage.png").exists()
    assert not (tmp_path / "f" / "frontier.csv").exists()  # the briefing's file is coverage:cost only
    for pair, allowed in (("coverage:speed", "coverage, cost, net_return"), ("cost:cost", "same")):
        code, _, err = run(["plan", sc, "--out", tmp_path / "g", "--frontier", pair], capsys)
        assert code == 2 and allowed in err and "Traceback" not in err
