from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from geo.errors import InputError, SchemaError
from maps import charts

from .conftest import make_parcels


def test_status_tables_counts_and_mu():
    parcels = make_parcels(12)
    by_status, by_reason = charts.status_tables(parcels)
    row = by_status.set_index("label").loc["闲置（满一年未满两年）"]
    # statuses cycle every 7 parcels: YL-001 and YL-008 are idle, 13.5 亩 each
    assert (row["count"], row["mu"]) == (2, 27.0)
    reasons = by_reason.set_index("label")
    # YL-001, YL-007 carry far_below_min;tax_below_avg_share → both counted under each reason
    assert reasons.loc["容积率低于行业下限", "count"] == 2
    assert reasons.loc["亩均税收低于平均水平的规定比例", "count"] == 2
    assert "豁免" not in " ".join(reasons.index)


def test_indicator_scores_known_answers():
    scores = charts.indicator_scores(
        {"overall_far": 0.9, "idle_land_rate": 0.05, "industrial_far": 1.5},
        {"overall_far": 1.2, "idle_land_rate": 0.02, "industrial_far": 1.0, "building_density": 0.4},
    ).set_index("key")
    assert scores.loc["overall_far", "score"] == pytest.approx(75.0)  # 0.9 / 1.2
    assert scores.loc["idle_land_rate", "score"] == pytest.approx(40.0)  # negative: 0.02 / 0.05
    assert scores.loc["industrial_far", "score"] == pytest.approx(100.0)  # capped at the ideal
    assert "building_density" not in scores.index  # no actual value


def test_charts_build(tmp_path: Path):
    frontier = pd.DataFrame({"epsilon": [0, 1, 2], "coverage": [100, 300, 420], "cost_wan": [0, 800, 1600]})
    sweep = pd.DataFrame({"budget_wan": [1000, 2000], "objective": [300, 420], "coverage_ratio": [0.5, 0.7]})
    figs = [
        charts.frontier_chart(frontier),
        charts.sweep_chart(sweep),
        charts.status_chart(make_parcels(12)),
        charts.indicator_profile({"overall_far": 0.9}, {"overall_far": 1.2}),
    ]
    assert all(isinstance(f, Figure) for f in figs)
    line = figs[0].axes[0].lines[0]
    assert list(line.get_xdata()) == [0, 800, 1600] and list(line.get_ydata()) == [100, 300, 420]
    figs[1].savefig(tmp_path / "sweep.png")
    assert (tmp_path / "sweep.png").stat().st_size > 5000


def test_curve_csv_columns(tmp_path: Path):
    path = tmp_path / "frontier.csv"
    pd.DataFrame({"epsilon": [0], "coverage": [1.0]}).to_csv(path, index=False)
    with pytest.raises(SchemaError, match="cost_wan"):
        charts.read_curve(path, charts.FRONTIER_COLUMNS)
    pd.DataFrame(columns=list(charts.FRONTIER_COLUMNS)).to_csv(path, index=False)
    with pytest.raises(InputError, match="no rows"):
        charts.read_curve(path, charts.FRONTIER_COLUMNS)


def test_status_chart_needs_columns():
    with pytest.raises(InputError):
        charts.status_chart(make_parcels(3).drop(columns=["idle_status", "low_eff_reasons"]))


def test_indicator_profile_labels_read_like_a_report():
    fig = charts.indicator_profile(
        {"land_supply_rate": 0.788, "industrial_invest_intensity": 8283.8, "overall_far": 1.252},
        {"land_supply_rate": 1.0, "industrial_invest_intensity": 9000.0, "overall_far": 1.2},
    )
    labels = sorted(t.get_text() for t in fig.axes[0].texts)
    assert labels == ["1.25 / 理想 1.20", "78.8% / 理想 100.0%", "8,284 / 理想 9,000"]


def test_charts_choose_agg_where_the_figure_is_made():
    """Each chart carries its own Agg canvas; no pyplot state and no global ``matplotlib.use``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    frontier = pd.DataFrame({"epsilon": [0, 1], "coverage": [100, 300], "cost_wan": [0, 800]})
    sweep = pd.DataFrame({"budget_wan": [1000, 2000], "objective": [300, 420], "coverage_ratio": [0.5, 0.7]})
    figs = [
        charts.frontier_chart(frontier),
        charts.sweep_chart(sweep),
        charts.status_chart(make_parcels(12)),
        charts.indicator_profile({"overall_far": 0.9}, {"overall_far": 1.2}),
    ]
    assert all(type(f.canvas) is FigureCanvasAgg for f in figs)
