"""A result directory is whatever path the user names: it is read under geo.io's GDAL settings."""

from __future__ import annotations

import pyogrio

import maps.results as results


def test_result_layers_are_read_with_the_ingest_gdal_settings(analysis_dir, monkeypatch):
    seen: list[str | None] = []
    read = results._read_layer

    def spy(path, layer):
        seen.append(pyogrio.get_gdal_config_option("GDAL_VRT_ENABLE_PYTHON"))
        return read(path, layer)

    monkeypatch.setattr(results, "_read_layer", spy)
    before = pyogrio.get_gdal_config_option("GDAL_VRT_ENABLE_PYTHON")
    results.load_analysis(analysis_dir)
    assert seen == ["NO"]
    assert pyogrio.get_gdal_config_option("GDAL_VRT_ENABLE_PYTHON") == before  # restored after
