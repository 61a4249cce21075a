"""Vectorised geometry checks and repair for ingest (hardening.md A17).

For an array of shapely geometries this finds NULL and empty geometries, non-finite coordinates,
geometries of a type the layer may not hold, Z/M dimensions (dropped, counted), GeometryCollections
(reduced to their polygonal parts when polygons are wanted) and invalid polygons, which are repaired
with :func:`shapely.make_valid` keeping only the polygonal parts. Every repair is reported per row
with the area before and after; the area of an invalid polygon "before" is the shoelace area GEOS
computes for its rings as drawn (a symmetric bow-tie has area 0 before and the area of its two
triangles after).

Only the invalid subset is repaired, so the cost on a valid layer is one vectorised
:func:`shapely.is_valid` call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from geo.errors import GeometryError

POLYGONAL = ("Polygon", "MultiPolygon")
_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}
_POLYGON, _MULTIPOLYGON, _COLLECTION = 3, 6, 7


@dataclass(frozen=True)
class GeometryCheck:
    """Outcome of :func:`check_geometries`; masks and positions refer to the input order."""

    geometries: np.ndarray  # repaired, 2-D geometries (None where NULL)
    types: dict[str, int]  # input geometry type → count
    null: np.ndarray  # positions of NULL geometries
    empty: np.ndarray  # positions of empty geometries (including repairs that left nothing)
    wrong_type: np.ndarray  # positions whose type is not allowed
    wrong_type_names: np.ndarray  # their type names
    non_finite: np.ndarray  # positions with NaN/inf coordinates
    collections_reduced: np.ndarray  # positions of collections reduced to polygonal parts
    repaired: np.ndarray  # positions repaired with make_valid
    repair_reasons: np.ndarray  # GEOS validity reason per repaired position
    area_before: np.ndarray  # per repaired position
    area_after: np.ndarray  # per repaired position
    multipart: int
    z_dropped: int
    m_dropped: int


def polygonal_parts(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal parts of each geometry (a Polygon when one part, else a MultiPolygon).

    Geometries without any polygonal part become empty polygons.
    """
    n = len(geoms)
    parts, index = shapely.get_parts(geoms, return_index=True)
    # a collection may hold MultiPolygons: flatten once more
    parts2, index2 = shapely.get_parts(parts, return_index=True)
    owner = index[index2]
    keep = shapely.get_type_id(parts2) == _POLYGON
    keep &= ~shapely.is_empty(parts2)
    parts2, owner = parts2[keep], owner[keep]
    out = np.array([shapely.Polygon()] * n, dtype=object)
    if parts2.size:
        counts = np.bincount(owner, minlength=n)
        single = counts == 1
        multi = counts > 1
        first = np.full(n, -1)
        first[owner[::-1]] = np.arange(len(owner))[::-1]
        out[single] = parts2[first[single]]
        if multi.any():
            sel = np.isin(owner, np.flatnonzero(multi))
            holders, dense = np.unique(owner[sel], return_inverse=True)
            # multipolygons() wants indices 0..k-1, sorted: ``dense`` is that, ``holders`` maps back
            out[holders] = shapely.multipolygons(parts2[sel], indices=dense)
    return out


def _repair(geoms: np.ndarray) -> np.ndarray:
    """Repair invalid polygons, keeping their polygonal parts; the result is always valid.

    GEOS's default ``linework`` method keeps every edge and is the least surprising repair, but on
    near-degenerate input (a vertex 1e-16 from an edge) its output can itself fail ``is_valid``.
    Those few are repaired again with the ``structure`` method (shell minus holes, GEOS ≥ 3.10),
    which works on rings rather than linework and so does not reproduce the degeneracy.
    """
    fixed = polygonal_parts(shapely.make_valid(geoms))
    still = ~shapely.is_valid(fixed)
    if still.any():
        fixed[still] = polygonal_parts(shapely.make_valid(geoms[still], method="structure"))
    return fixed


def check_geometries(
    geoms: np.ndarray,
    allowed: tuple[str, ...] | None = POLYGONAL,
) -> GeometryCheck:
    """Check and repair an object array of shapely geometries (``None`` for NULL).

    Parameters
    ----------
    geoms
        Geometries in file order.
    allowed
        Geometry type names the layer may hold (``None`` = any). When polygons are allowed, a
        GeometryCollection is reduced to its polygonal parts, and invalid polygons are repaired.

    """
    with np.errstate(invalid="ignore"):  # NaN coordinates are found and reported, not warned about
        return _check(geoms, allowed)


def _check(geoms: np.ndarray, allowed: tuple[str, ...] | None) -> GeometryCheck:
    geoms = np.asarray(geoms, dtype=object).copy()
    null = shapely.is_missing(geoms)
    type_ids = shapely.get_type_id(geoms)
    present = ~null
    type_names = np.array([_TYPE_NAMES.get(int(t), "Unknown") for t in range(8)], dtype=object)
    names = np.where(type_ids >= 0, type_names[np.clip(type_ids, 0, 7)], "NULL")
    types = dict(zip(*np.unique(names[present], return_counts=True), strict=True)) if present.any() else {}
    types = {str(k): int(v) for k, v in types.items()}

    has_z = shapely.has_z(geoms) & present
    has_m = shapely.has_m(geoms) & present if hasattr(shapely, "has_m") else np.zeros(len(geoms), bool)
    if (has_z | has_m).any():
        geoms[has_z | has_m] = shapely.force_2d(geoms[has_z | has_m])

    empty = present & shapely.is_empty(geoms)
    polygons_ok = allowed is None or "Polygon" in allowed or "MultiPolygon" in allowed

    reduced = np.zeros(len(geoms), dtype=bool)
    if polygons_ok and allowed is not None:
        collection = present & ~empty & (type_ids == _COLLECTION)
        if collection.any():
            geoms[collection] = polygonal_parts(geoms[collection])
            reduced = collection & ~shapely.is_empty(geoms)
            empty |= collection & shapely.is_empty(geoms)

    current_ids = shapely.get_type_id(geoms)
    current_names = np.where(current_ids >= 0, type_names[np.clip(current_ids, 0, 7)], "NULL")
    if allowed is None:
        wrong = np.zeros(len(geoms), dtype=bool)
    else:
        wrong = present & ~empty & ~np.isin(current_names, list(allowed))

    candidates = present & ~empty & ~wrong
    valid = np.ones(len(geoms), dtype=bool)
    valid[candidates] = shapely.is_valid(geoms[candidates])
    invalid = candidates & ~valid

    non_finite = np.zeros(len(geoms), dtype=bool)
    if invalid.any():
        # NaN/inf coordinates make a geometry invalid; they cannot be repaired, only reported
        idx = np.flatnonzero(invalid)
        coords, owner = shapely.get_coordinates(geoms[idx], return_index=True)
        bad_owner = np.unique(owner[~np.isfinite(coords).all(axis=1)])
        non_finite[idx[bad_owner]] = True
    invalid &= ~non_finite

    repaired = np.flatnonzero(invalid & np.isin(current_names, POLYGONAL))
    reasons = np.array([], dtype=object)
    before = np.array([], dtype=float)
    after = np.array([], dtype=float)
    if repaired.size:
        reasons = np.asarray(shapely.is_valid_reason(geoms[repaired]), dtype=object)
        before = shapely.area(geoms[repaired])
        fixed = _repair(geoms[repaired])
        after = shapely.area(fixed)
        geoms[repaired] = fixed
        empty[repaired[shapely.is_empty(fixed)]] = True

    parts = shapely.get_num_geometries(geoms)
    multipart = int(((shapely.get_type_id(geoms) == _MULTIPOLYGON) & (parts > 1) & present).sum())
    return GeometryCheck(
        geometries=geoms,
        types=types,
        null=np.flatnonzero(null),
        empty=np.flatnonzero(empty),
        wrong_type=np.flatnonzero(wrong),
        wrong_type_names=current_names[wrong],
        non_finite=np.flatnonzero(non_finite),
        collections_reduced=np.flatnonzero(reduced),
        repaired=repaired,
        repair_reasons=reasons,
        area_before=np.asarray(before, dtype=float),
        area_after=np.asarray(after, dtype=float),
        multipart=multipart,
        z_dropped=int(has_z.sum()),
        m_dropped=int(has_m.sum()),
    )


def check_vertex_caps(
    geoms: np.ndarray, ids: np.ndarray | None, file: str, per_feature: int, per_layer: int
) -> None:
    """Refuse a layer with a feature of more than ``per_feature`` vertices, or more than ``per_layer``.

    Runs right after reading, before any geometry operation: GEOS' validity check and repair are
    far from linear on pathological rings, so a single hostile polygon of a million vertices would
    otherwise hold a worker for minutes (hardening A17). One vectorised count
    (:func:`shapely.get_num_coordinates`); the message names each feature over the cap (parcel id and
    row, at most 10) with its vertex count, and the cap.

    Raises
    ------
    GeometryError
        A feature or the layer is over its cap.

    """
    counts = shapely.get_num_coordinates(geoms)
    over = np.flatnonzero(counts > per_feature)
    if over.size:
        shown = ", ".join(
            (f"{ids[i]} (row {i + 1})" if ids is not None and ids[i] is not None else f"row {i + 1}")
            + f": {int(counts[i]):,}"
            for i in over[:10]
        ) + (f" … (+{over.size - 10})" if over.size > 10 else "")
        raise GeometryError(
            f"{file}: 要素顶点数超过上限 {per_feature:,} / features with more than {per_feature:,} "
            f"vertices: {shown}; simplify them (e.g. ogr2ogr -simplify) or split them"
        )
    total = int(counts.sum())
    if total > per_layer:
        raise GeometryError(
            f"{file}: 图层顶点总数 {total:,} 超过上限 {per_layer:,} / the layer holds {total:,} vertices, "
            f"more than the cap of {per_layer:,}; split the layer or simplify it"
        )
