"""亩均效益 grading: min–max and benchmark normalisation, missing values, rank classes (hand-worked)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from geo.analysis import run_analysis
from geo.rules.mujun import _classes, grade_mujun
from geo.rules.presets import MujunScheme, load_mujun_scheme, load_preset
from tests.geo.test_idle import facts_of, parcels_frame

AS_OF = "2026-06-30"


def firm(**facts: Any) -> dict[str, Any]:
    return {"land_use": "100101", "supply_type": "出让", "enterprise": "某企业", "above_scale": True, **facts}


MINMAX = {
    "name": "test-minmax",
    "title": "test",
    "normalisation": "minmax",
    "above_scale": {"indicators": {"tax_per_mu": {"weight": 60}, "rd_share": {"weight": 40}}},
    "below_scale": {"indicators": {"tax_per_mu": {"weight": 100}}},
    "classes": {"A": 0.25, "B": 0.45, "C": 0.25, "D": 0.05},
}


def test_minmax_scores_missing_average_and_classes():
    # four firms of 15 亩: tax 15/30/45/60 万元 → 1, 2, 3, 4 万元/亩; R&D share 0.04, 0.01, 0.02, missing
    rows = [
        firm(parcel_id="F1", tax_wan=15.0, revenue_wan=100.0, rd_wan=4.0),
        firm(parcel_id="F2", tax_wan=30.0, revenue_wan=100.0, rd_wan=1.0),
        firm(parcel_id="F3", tax_wan=45.0, revenue_wan=100.0, rd_wan=2.0),
        firm(parcel_id="F4", tax_wan=60.0, revenue_wan=100.0, rd_wan=None),
    ]
    scheme = MujunScheme.model_validate(MINMAX)
    out = grade_mujun(facts_of(parcels_frame(rows), AS_OF), scheme, load_preset("national").rules)
    # tax item 60 × [20 + 80 (x − 1)/3] / 100: 12, 28, 44, 60
    # R&D item 40 × [20 + 80 (x − 0.01)/0.03] / 100: 40, 8, 18.667; F4 missing → mean 22.222
    expected = [12 + 40, 28 + 8, 44 + 40 * (20 + 80 / 3) / 100, 60 + (40 + 8 + 40 * (20 + 80 / 3) / 100) / 3]
    assert out["mujun_score"].to_numpy() == pytest.approx(expected)
    # ranks F4, F3, F1, F2 at positions 0, 1/4, 2/4, 3/4 → A, B, B, C with cumulative 25/70/95/100 %
    assert out["mujun_class"].tolist() == ["B", "C", "B", "A"]
    assert out["mujun_group"].tolist() == ["above_scale"] * 4


def test_benchmark_normalisation_huangyan():
    # X sits exactly on every 黄岩 benchmark → 30 + 20 + 20 + 10 + 10 = 90; Y pays twice the tax → 120.
    va = 136.16 * 15
    common = {
        "value_added_wan": va,
        "energy_tce": va / 2.694,
        "employees": va / 18.14,
        "revenue_wan": 1000.0,
        "rd_wan": 30.2,
    }
    rows = [
        firm(parcel_id="X", tax_wan=24.097 * 15, **common),
        firm(parcel_id="Y", tax_wan=2 * 24.097 * 15, **common),
        # a 规下 firm at the 规下 benchmark 11.5932 万元/亩 → 50
        firm(parcel_id="Z", tax_wan=11.5932 * 15, above_scale=False),
    ]
    scheme = load_mujun_scheme("zhejiang-huangyan")
    out = grade_mujun(facts_of(parcels_frame(rows), AS_OF), scheme, load_preset("national").rules)
    assert out["mujun_score"].to_numpy() == pytest.approx([90.0, 120.0, 50.0])
    assert out["mujun_group"].tolist() == ["above_scale", "above_scale", "below_scale"]


def test_benchmark_mean_and_missing_zero():
    # 1 and 3 万元/亩, mean 2 → 50 and 150; the firm without revenue scores 0 for it; the firm with
    # nothing to grade is not graded
    scheme = MujunScheme.model_validate(
        {
            **MINMAX,
            "normalisation": "benchmark",
            "missing": "zero",
            "above_scale": {
                "indicators": {
                    "tax_per_mu": {"weight": 100, "benchmark": "mean"},
                    "revenue_per_mu": {"weight": 100, "benchmark": 10.0},
                }
            },
        }
    )
    rows = [
        firm(parcel_id="a", tax_wan=15.0, revenue_wan=150.0),
        firm(parcel_id="b", tax_wan=45.0),
        firm(parcel_id="c"),
    ]
    out = grade_mujun(facts_of(parcels_frame(rows), AS_OF), scheme, load_preset("national").rules)
    # a: 100 × 1/2 + 100 × 10/10 = 150; b: 100 × 3/2 + 0 = 150
    assert out["mujun_score"].to_numpy()[:2] == pytest.approx([150.0, 150.0])
    assert np.isnan(out["mujun_score"].iloc[2]) and pd.isna(out["mujun_class"].iloc[2])


def test_rank_shares_ten_firms():
    # A 20 %, B 50 %, C 25 %, D 5 %: positions 0.0 … 0.9 → A A B B B B B C C C (5 % of 10 firms is < 1)
    scores = np.arange(10, 0, -1, dtype=float)
    assert _classes(scores, {"A": 0.2, "B": 0.5, "C": 0.25, "D": 0.05}).tolist() == list("AABBBBBCCC")
    # twenty firms: the last one (position 0.95) is D
    assert _classes(np.arange(20, 0, -1, dtype=float), {"A": 0.2, "B": 0.5, "C": 0.25, "D": 0.05})[-1] == "D"
    # ties share the better class
    assert _classes(
        np.array([5.0, 5.0, 1.0, 1.0]), {"A": 0.25, "B": 0.45, "C": 0.25, "D": 0.05}
    ).tolist() == [
        "A",
        "A",
        "B",
        "B",
    ]


def test_non_enterprise_land_is_not_graded():
    rows = [
        firm(parcel_id="ok", tax_wan=15.0),
        {"parcel_id": "road", "land_use": "1207", "supply_type": "划拨", "tax_wan": None},
        firm(parcel_id="nobody", enterprise=None, tax_wan=15.0),
        firm(parcel_id="unsupplied", supply_type="未供"),
        firm(parcel_id="shop", land_use="090101", tax_wan=15.0),
    ]
    out = run_analysis(parcels_frame(rows), as_of=AS_OF).parcels.set_index("parcel_id")
    assert out.loc["ok", "mujun_class"] == "A"
    for pid in ("road", "nobody", "unsupplied", "shop"):
        assert pd.isna(out.loc[pid, "mujun_score"]) and pd.isna(out.loc[pid, "mujun_class"])


def test_scale_unknown_not_graded(tmp_path: Path):
    user = tmp_path / "m.yaml"
    user.write_text(
        "mujun:\n  scheme: anhui\n  overrides:\n    scale_unknown: not_graded\n", encoding="utf-8"
    )
    rows = [firm(parcel_id="k", tax_wan=15.0), firm(parcel_id="u", tax_wan=15.0, above_scale=None)]
    out = run_analysis(parcels_frame(rows), as_of=AS_OF, rules=str(user)).parcels.set_index("parcel_id")
    assert out.loc["k", "mujun_group"] == "above_scale"
    assert pd.isna(out.loc["u", "mujun_class"])
    assert load_preset(str(user)).mujun.name == "anhui"


def test_bundled_schemes_load_with_weights():
    anhui = load_mujun_scheme("anhui")
    assert {k: v.weight for k, v in anhui.above_scale.indicators.items()} == {
        "tax_per_mu": 45,
        "revenue_per_mu": 20,
        "value_added_per_energy": 15,
        "rd_share": 15,
        "labour_productivity": 5,
    }
    assert anhui.classes == {"A": 0.25, "B": 0.45, "C": 0.25, "D": 0.05}
    guangxi = load_mujun_scheme("guangxi-provisional")
    assert guangxi.provisional
    assert sum(v.weight for v in guangxi.above_scale.indicators.values()) == 100
