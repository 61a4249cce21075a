"""Geometry of the sample park: boundary, river, roads, blocks and their subdivision into parcels.

Everything is built in a local frame (metres from the park's south-west corner) and shifted to
EPSG:4546 at the end (:data:`data.sample_params.ORIGIN_E`, ``ORIGIN_N``). Blocks are the park minus
the road corridors (each road buffered by half its red-line width, round caps so that no sliver
is left where a road meets the slanted boundary) and minus the
ecological red line; each block is cut recursively across its longer axis (the axis of its minimum
rotated rectangle) at a random fraction until every piece is below the block's size target. Pieces
are complementary (``difference``), so parcels never overlap each other or the road corridors.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from data import sample_params as sp
from geo.units import M2_PER_MU

#: park boundary (local metres); the south edge follows the river bank
BOUNDARY_XY = [(0, 60), (900, 30), (1800, 0), (2700, 30), (3600, 80), (3600, 2550), (3150, 3000), (0, 3000)]
#: 南流江 centre line, south of the park
RIVER_XY = [(-400, -40), (900, -110), (1800, -150), (2700, -120), (4000, -60)]
RIVER_WIDTH_M = 90.0

#: (name, class, local coordinates); interior roads are clipped to the boundary
ROADS: tuple[tuple[str, str, list[tuple[float, float]]], ...] = (
    ("二环东路", "主干路", [(0, 60), (0, 3000)]),
    ("玉林大道", "主干路", [(0, 3000), (3150, 3000)]),
    ("科技大道", "主干路", [(1200, -50), (1200, 3000)]),
    ("创业大道", "主干路", [(2450, -50), (2450, 3000)]),
    ("高新大道", "主干路", [(0, 1450), (3600, 1620)]),
    ("兴业路", "次干路", [(600, -50), (600, 3000)]),
    ("智造路", "次干路", [(1820, -50), (1820, 3000)]),
    ("新材路", "次干路", [(3050, -50), (3050, 3000)]),
    ("东环路", "次干路", [(3600, 80), (3600, 2550)]),
    ("工业一路", "次干路", [(0, 760), (3600, 720)]),
    ("工业二路", "次干路", [(0, 2250), (3600, 2290)]),
    ("锦园路", "支路", [(300, 2238), (300, 3000)]),
    ("和美路", "支路", [(0, 2620), (1200, 2620)]),
    ("商业街", "支路", [(1200, 2620), (1820, 2620)]),
    ("创新路", "支路", [(900, 1478), (900, 2272)]),
    ("科园路", "支路", [(1200, 1120), (3050, 1120)]),
    ("汇智路", "支路", [(1820, 1880), (3050, 1880)]),
)


@dataclass(frozen=True)
class Layout:
    """The park's geometry in EPSG:4546 (all shapely geometries, metres)."""

    boundary: Polygon
    river: LineString
    red_line: Polygon
    road_lines: list[tuple[str, str, float, LineString]]  # name, class, width, noded segment
    road_corridors: BaseGeometry
    parcels: list[Polygon]
    zones: list[str]
    blocks: list[int]


def _shift(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda xy: xy + np.array([sp.ORIGIN_E, sp.ORIGIN_N]))


def zone_of(cx: float, cy: float) -> str:
    """Zone of a block by the position of its centroid in the local frame (the park's master plan)."""
    if cx > 3050:
        return "reserve"
    if cy > 2250:
        if cx < 1200:
            return "residential"
        return "commercial" if cx < 1820 else "industrial"
    if cy > 1500 and cx < 1200:
        return "public_mixed"
    if cy < 740:
        if cx < 1200:
            return "green_reserve"
        return "warehouse" if cx > 1820 else "industrial"
    return "industrial"


def _node_roads(lines: list[tuple[str, str, LineString]]) -> list[tuple[str, str, float, LineString]]:
    """Split every road at its crossings so the lines form one routable network.

    Each crossing is computed once and its coordinates are written into the segments of both
    roads, so segments meet at exactly the same point. A road that ends on another is drawn a
    little past it; the short dangling stub this leaves is dropped.
    """
    n = len(lines)
    #: per road: distance along it -> (x, y, is_crossing)
    cuts: list[dict[float, tuple[float, float, bool]]] = [{} for _ in range(n)]
    for i, (_, _, line) in enumerate(lines):
        for end in (line.coords[0], line.coords[-1]):
            cuts[i][round(float(line.project(Point(end))), 6)] = (end[0], end[1], False)
    for i, j in itertools.combinations(range(n), 2):
        a, b = lines[i][2], lines[j][2]
        points: list[Point] = []
        for part in shapely.get_parts(a.intersection(b)):
            if isinstance(part, Point) and not part.is_empty:
                points.append(part)
            elif isinstance(part, LineString) and not part.is_empty:  # collinear overlap
                points.extend([Point(part.coords[0]), Point(part.coords[-1])])
        for pt in points:
            cuts[i][round(float(a.project(pt)), 6)] = (pt.x, pt.y, True)
            cuts[j][round(float(b.project(pt)), 6)] = (pt.x, pt.y, True)

    segments: list[tuple[str, str, float, LineString]] = []
    for i, (name, cls, line) in enumerate(lines):
        stops: list[tuple[float, tuple[float, float, bool]]] = []
        for dist, cut in sorted(cuts[i].items()):
            if stops and dist - stops[-1][0] < 1.0:  # the same place: keep the crossing
                if cut[2] and not stops[-1][1][2]:
                    stops[-1] = (dist, cut)
                continue
            stops.append((dist, cut))
        for (da, pa), (db, pb) in itertools.pairwise(stops):
            inner = list(substring(line, da, db).coords)[1:-1]
            geom = LineString([(pa[0], pa[1]), *inner, (pb[0], pb[1])])
            segments.append((name, cls, sp.ROAD_WIDTH_M[cls], geom))
    ends = Counter(pt for *_, g in segments for pt in (g.coords[0], g.coords[-1]))
    return [
        s
        for s in segments
        if not (s[3].length < 20.0 and min(ends[s[3].coords[0]], ends[s[3].coords[-1]]) == 1)
    ]


def _split(poly: Polygon, frac: float) -> list[Polygon]:
    """Cut ``poly`` across the long axis of its minimum rotated rectangle at ``frac`` of its extent."""
    rect = shapely.minimum_rotated_rectangle(poly)
    corners = np.asarray(rect.exterior.coords)[:4]
    e1, e2 = corners[1] - corners[0], corners[2] - corners[1]
    u = e1 if np.hypot(*e1) >= np.hypot(*e2) else e2
    u = u / np.hypot(*u)
    v = np.array([-u[1], u[0]])
    pts = np.asarray(poly.exterior.coords)
    s, t = pts @ u, pts @ v
    cut = s.min() + frac * (s.max() - s.min())
    lo_s, lo_t, hi_t = s.min() - 10.0, t.min() - 10.0, t.max() + 10.0
    half = Polygon([lo_s * u + lo_t * v, cut * u + lo_t * v, cut * u + hi_t * v, lo_s * u + hi_t * v])
    parts: list[Polygon] = []
    for piece in (poly.intersection(half), poly.difference(half)):
        parts.extend(p for p in shapely.get_parts(piece) if isinstance(p, Polygon) and p.area > 30.0)
    return parts


def _subdivide(block: Polygon, max_m2: float, min_m2: float, rng: np.random.Generator) -> list[Polygon]:
    out: list[Polygon] = []
    stack = [block]
    while stack:
        piece = stack.pop()
        if piece.area <= max_m2 or piece.area < 2.0 * min_m2:
            out.append(piece)
            continue
        lo = max(0.35, min_m2 / piece.area)
        parts = _split(piece, float(rng.uniform(lo, 1.0 - lo)))
        if len(parts) < 2:  # degenerate cut: keep the piece whole
            out.append(piece)
            continue
        stack.extend(parts)
    return out


def build_layout(rng: np.random.Generator) -> Layout:
    """Build boundary, roads, red line, blocks and parcels (EPSG:4546)."""
    boundary = Polygon(BOUNDARY_XY)
    lines: list[tuple[str, str, LineString]] = []
    for name, cls, xy in ROADS:
        clipped = LineString(xy).intersection(boundary)
        for part in shapely.get_parts(clipped):
            if isinstance(part, LineString) and part.length > 1.0:
                lines.append((name, cls, part))
    noded = _node_roads(lines)
    corridors = shapely.union_all(
        [shapely.buffer(g, w / 2.0, cap_style="round", quad_segs=8) for _, _, w, g in noded]
    )
    red_line = Point(sp.RED_LINE_CENTRE).buffer(sp.RED_LINE_RADIUS_M, quad_segs=16).intersection(boundary)
    developable = boundary.difference(corridors).difference(red_line)
    blocks = [b for b in shapely.get_parts(developable) if isinstance(b, Polygon) and b.area > 500.0]
    blocks.sort(key=lambda b: (-round(b.centroid.y, 0), round(b.centroid.x, 0)))

    parcels: list[Polygon] = []
    zones: list[str] = []
    block_ids: list[int] = []
    for bi, block in enumerate(blocks):
        zone = zone_of(block.centroid.x, block.centroid.y)
        sizes, weights = sp.ZONE_SPLIT_MU[zone]
        max_mu = float(rng.choice(np.asarray(sizes), p=np.asarray(weights)))
        min_mu = sp.MIN_INDUSTRIAL_MU if zone == "industrial" else 0.3 * max_mu
        pieces = _subdivide(block, max_mu * M2_PER_MU, min_mu * M2_PER_MU, rng)
        pieces.sort(key=lambda p: (-round(p.centroid.y, 0), round(p.centroid.x, 0)))
        parcels.extend(pieces)
        zones.extend([zone] * len(pieces))
        block_ids.extend([bi] * len(pieces))

    return Layout(
        boundary=_shift(boundary),
        river=_shift(LineString(RIVER_XY)),
        red_line=_shift(red_line),
        road_lines=[(n, c, w, _shift(g)) for n, c, w, g in noded],
        road_corridors=_shift(corridors),
        parcels=[_shift(p) for p in parcels],
        zones=zones,
        blocks=block_ids,
    )


def carve_corner(parcel: Polygon, side: float) -> tuple[Polygon, Polygon]:
    """Cut a ``side`` × ``side`` square out of the parcel's south-west-most corner.

    Returns ``(rest, square)``; used for the tiny 10 kV substation plots (开闭所).
    """
    pts = np.asarray(parcel.exterior.coords)[:-1]
    corner = pts[np.argmin(pts[:, 0] + pts[:, 1])]
    square = shapely.box(corner[0], corner[1], corner[0] + side, corner[1] + side).intersection(parcel)
    rest = parcel.difference(square)
    return rest, square
