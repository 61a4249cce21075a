"""Rule presets: bundled presets load, user files override, bad files are refused before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.analysis import run_analysis
from geo.errors import ConfigError
from geo.rules.presets import REASON_CODES, available_presets, deep_merge, load_preset


def write(tmp_path: Path, text: str, name: str = "user.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_bundled_presets():
    assert available_presets() == ["guangxi-provisional", "national", "zhejiang-jinhua"]
    national = load_preset("national")
    rules = national.rules.low_efficiency.rules
    assert rules.far_below_min.table["40"] == 1.0
    assert rules.far_below_min.table["26"] == 0.6
    assert rules.coef_below_min.min == 0.30
    assert rules.admin_over_max.max == 0.07
    assert rules.green_over_max.max == 0.20
    assert national.rules.idle.fee_rate == 0.20
    # 1001 工业用地 and 1101 物流仓储用地; not 1002 采矿 / 1003 盐田 / 1102 储备库
    assert national.rules.scopes["industrial"] == ["1001", "1101"]
    assert national.rules.scopes["manufacturing"] == ["1001"]
    assert not national.rules.provisional
    guangxi = load_preset("guangxi-provisional")
    assert guangxi.rules.provisional
    assert guangxi.rules.low_efficiency.rules.invest_below_min.min == 3750.0
    assert guangxi.rules.provenance["status"].kind == "assumption"
    assert guangxi.rules.provenance_of("low_efficiency.rules.tax_below_avg_share.share").kind == "assumption"
    assert guangxi.rules.provenance_of("low_efficiency.rules.invest_below_min.min").kind == "local"
    # inherited from national, untouched
    assert guangxi.rules.low_efficiency.rules.far_below_min.table == rules.far_below_min.table
    jinhua = load_preset("zhejiang-jinhua")
    assert jinhua.rules.low_efficiency.rules.far_below_min.absolute_min == 1.0
    assert jinhua.mujun.name == "zhejiang-huangyan"
    assert set(jinhua.rules.low_efficiency.exemptions) == {
        "newly_in_production",
        "above_scale",
        "strategic_high_tech",
        "far_with_high_tax",
    }


def test_every_rule_is_configured():
    """Every reason code has a rule in every preset, and every rule's scope has a source of stated kind."""
    for name in available_presets():
        preset = load_preset(name)
        for code in REASON_CODES:
            getattr(preset.rules.low_efficiency.rules, code)
            origin = preset.rules.provenance_of(f"low_efficiency.rules.{code}.scope")
            assert origin is not None and origin.kind in {"national", "local", "assumption"}, (name, code)


def test_jinhua_carries_its_own_list_only():
    """金华: "符合下列标准之一" — plot ratio, tax, JGJ 125 C/D, prohibited/eliminated industry only."""
    rules = load_preset("zhejiang-jinhua").rules.low_efficiency
    on = {code for code in REASON_CODES if getattr(rules.rules, code).enabled}
    assert on == {"far_below_min", "tax_below_avg_share", "dangerous_building", "policy_eliminated"}
    for exemption in rules.exemptions.values():
        assert exemption.discretionary and exemption.scope == "manufacturing"
        assert set(exemption.waives) == on
    assert rules.exemptions["far_with_high_tax"].control_below == 1.0
    assert rules.exemptions["far_with_high_tax"].tax_per_mu_min == 8.0


def test_user_file_overrides_one_value_and_inherits_the_rest(tmp_path: Path):
    path = write(tmp_path, "extends: national\nlow_efficiency:\n  rules:\n    coef_below_min: {min: 0.4}\n")
    preset = load_preset(path)
    assert preset.rules.low_efficiency.rules.coef_below_min.min == 0.4
    assert preset.rules.low_efficiency.rules.coef_below_min.scope == "manufacturing"
    assert preset.rules.low_efficiency.rules.admin_over_max.max == 0.07
    assert preset.name == "national+user"
    assert preset.source == path


def test_extends_defaults_to_national_and_chains(tmp_path: Path):
    write(tmp_path, "extends: guangxi-provisional\nname: yulin\nidle: {fee_rate: 0.1}\n", "yulin.yaml")
    child = write(tmp_path, "extends: yulin.yaml\nname: yulin-2\n", "child.yaml")
    preset = load_preset(child)
    assert preset.name == "yulin-2"
    assert preset.rules.idle.fee_rate == 0.1
    assert preset.rules.low_efficiency.rules.invest_below_min.min == 3750.0
    assert (
        load_preset(write(tmp_path, "idle: {fee_rate: 0.15}\n")).rules.low_efficiency.rules.coef_below_min.min
        == 0.3
    )


def test_misspelled_key_names_the_key_path_and_allowed_keys(tmp_path: Path):
    path = write(tmp_path, "low_efficiency:\n  rules:\n    coef_below_min: {minimum: 0.4}\n")
    with pytest.raises(ConfigError) as info:
        load_preset(path)
    message = str(info.value)
    assert "'minimum'" in message
    assert "low_efficiency.rules.coef_below_min.minimum" in message
    assert "allowed keys: enabled, scope, min" in message
    assert path in message


def test_misspelled_top_level_and_rule_keys(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"'idel'.*allowed keys: name, title, provisional"):
        load_preset(write(tmp_path, "idel: {fee_rate: 0.2}\n"))
    with pytest.raises(ConfigError, match=r"'far_below_minimum' at low_efficiency.rules.far_below_minimum"):
        load_preset(write(tmp_path, "low_efficiency:\n  rules:\n    far_below_minimum: {enabled: false}\n"))
    with pytest.raises(ConfigError, match=r"mujun.overrides.above_scale.indicators.tax_per_mu.wieght"):
        load_preset(
            write(
                tmp_path,
                "mujun:\n  overrides:\n    above_scale:\n"
                "      indicators:\n        tax_per_mu: {wieght: 5}\n",
            )
        )


def test_bad_values_are_refused(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"idle.fee_rate"):
        load_preset(write(tmp_path, "idle: {fee_rate: -0.2}\n"))
    with pytest.raises(ConfigError, match=r"waives"):
        load_preset(
            write(
                tmp_path,
                "low_efficiency:\n  exemptions:\n    x: {kind: above_scale, waives: [far_below]}\n",
            )
        )
    with pytest.raises(ConfigError, match=r"unknown scope 'factories'"):
        load_preset(write(tmp_path, "low_efficiency:\n  rules:\n    far_below_min: {scope: factories}\n"))
    with pytest.raises(ConfigError, match=r"sum to 1"):
        load_preset(write(tmp_path, "mujun:\n  overrides:\n    classes: {A: 0.5, B: 0.5, C: 0.5, D: 0.0}\n"))
    with pytest.raises(ConfigError, match=r"fallback_min"):
        load_preset(
            write(tmp_path, "low_efficiency:\n  rules:\n    far_below_min: {unknown_industry: fallback}\n")
        )


def test_unknown_names_and_files(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"unknown preset.*national"):
        load_preset("guangxi")
    with pytest.raises(ConfigError, match=r"not found"):
        load_preset(str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigError, match=r"unknown scheme.*anhui"):
        load_preset(write(tmp_path, "mujun: {scheme: hunan}\n"))
    with pytest.raises(ConfigError, match=r"invalid YAML"):
        load_preset(write(tmp_path, "idle: [unclosed\n"))
    with pytest.raises(ConfigError, match=r"mapping"):
        load_preset(write(tmp_path, "- a\n- b\n"))
    with pytest.raises(ConfigError, match=r"cycle"):
        load_preset(write(tmp_path, "extends: loop.yaml\n", "loop.yaml"))


def test_bad_preset_is_refused_before_the_layer_is_looked_at(tmp_path: Path):
    # the layer is not even a GeoDataFrame: the preset error must come first
    with pytest.raises(ConfigError):
        run_analysis(None, rules=write(tmp_path, "idel: {}\n"))  # type: ignore[arg-type]


def test_deep_merge_merges_mappings_and_replaces_lists():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    assert deep_merge(base, {"a": {"c": [3]}, "e": 2}) == {"a": {"b": 1, "c": [3]}, "d": 1, "e": 2}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}


def test_a_rules_document_without_files(tmp_path: Path) -> None:
    """``files=False`` (the service): a name or a document only; no path is ever opened."""
    doc = load_preset({"extends": "national", "idle": {"fee_rate": 0.1}}, files=False)
    assert doc.rules.idle.fee_rate == 0.1 and doc.name == "national+custom"
    planted = write(tmp_path, "idle: {fee_rate: 0.15}\n")
    for spec in (str(planted), {"extends": str(planted)}, {"mujun": {"scheme": str(planted)}}):
        with pytest.raises(ConfigError, match="未知") as error:
            load_preset(spec, files=False)
        assert "0.15" not in str(error.value)
    assert load_preset(str(planted)).rules.idle.fee_rate == 0.15  # the CLI still reads user files
