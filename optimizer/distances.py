"""Distances between demand points and candidate sites, computed sparsely.

Two oracles share one small interface:

* :class:`EuclideanDistances` — straight-line distance in the projected metric CRS, with
  :class:`scipy.spatial.cKDTree` (``sparse_distance_matrix`` for pairs within a radius, ``query`` for
  the k nearest), so a 10 000 × 1 000 instance never builds a dense matrix. Up to
  :data:`DENSE_PAIRS` demand × site pairs the pairs within a radius are found with one numpy
  array instead, with the tree's own test (squared distance ≤ radius², distance = its square
  root), so the answer is the same pair for pair and a small plan does not pay the ~0.3 s import
  of :mod:`scipy.spatial`.
* :class:`NetworkDistances` — shortest path along the road network: every demand point and site
  is projected onto the nearest point of its nearest road segment, that segment is split there
  (in the graph only), and :func:`scipy.sparse.csgraph.dijkstra` runs from the sites with
  ``limit=`` the radius, in blocks of sites, so only the reachable part of the graph is explored
  and the result is kept as sparse pairs, never a dense sites × demand matrix.

* :class:`MatrixDistances` — a precomputed cost or distance matrix (a transport model's travel
  times, a road-network tool's distances), read from a long or wide table by :func:`cost_matrix`.

All return pairs as three aligned arrays ``(i, j, d)``: demand index, site index, metres (or the
matrix's own unit).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import shapely

from geo.errors import InputError
from optimizer.scenario import CostMatrixRef

if TYPE_CHECKING:
    from scipy.spatial import cKDTree

#: up to this many demand × site pairs ``within`` uses one dense numpy array (~24 MB at most)
DENSE_PAIRS = 1_000_000

Pairs = tuple[np.ndarray, np.ndarray, np.ndarray]


class DistanceOracle(Protocol):
    """Distances from demand points to sites (site indices refer to the caller's site array)."""

    def within(self, radius: float, sites: np.ndarray) -> Pairs:
        """Return every (demand, site, distance) with distance <= radius, sites limited to ``sites``."""
        ...

    def nearest(self, k: int, sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (site index, distance) arrays of shape (n, k) of the k nearest of ``sites``, sorted.

        Missing neighbours (fewer than k reachable) have index -1 and distance ``inf``.
        """
        ...


def _empty() -> Pairs:
    return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0, dtype=float)


@dataclass
class EuclideanDistances:
    """Straight-line distances between ``demand_xy`` (n, 2) and ``site_xy`` (m, 2), metres."""

    demand_xy: np.ndarray
    site_xy: np.ndarray
    _demand_tree: cKDTree | None = field(default=None, init=False, repr=False)

    @property
    def demand_tree(self) -> cKDTree:
        """KD-tree of the demand points (built once)."""
        if self._demand_tree is None:
            from scipy.spatial import cKDTree

            self._demand_tree = cKDTree(np.asarray(self.demand_xy, dtype=float))
        return self._demand_tree

    def within(self, radius: float, sites: np.ndarray) -> Pairs:
        """Pairs within ``radius`` metres (inclusive), via ``sparse_distance_matrix``."""
        sites = np.asarray(sites, dtype=np.int64)
        if len(sites) == 0 or len(self.demand_xy) == 0:
            return _empty()
        if len(self.demand_xy) * len(sites) <= DENSE_PAIRS:
            return self._within_dense(radius, sites)
        from scipy.spatial import cKDTree

        site_tree = cKDTree(np.asarray(self.site_xy, dtype=float)[sites])
        found = self.demand_tree.sparse_distance_matrix(site_tree, radius, output_type="ndarray")
        order = np.lexsort((found["j"], found["i"]))
        found = found[order]
        return found["i"].astype(np.int64), sites[found["j"]], found["v"].astype(float)

    def _squared(self, sites: np.ndarray) -> np.ndarray:
        """Squared distances (n, len(sites)), summed as ``cKDTree`` sums them (x² then + y²)."""
        demand = np.asarray(self.demand_xy, dtype=float)
        site = np.asarray(self.site_xy, dtype=float)[sites]
        dx = demand[:, 0][:, None] - site[:, 0][None, :]
        dy = demand[:, 1][:, None] - site[:, 1][None, :]
        return dx * dx + dy * dy

    def _within_dense(self, radius: float, sites: np.ndarray) -> Pairs:
        """Pairs within ``radius`` by one dense array, tested as ``cKDTree`` does (d² ≤ r²)."""
        d2 = self._squared(sites)
        i, j = np.nonzero(d2 <= float(radius) * float(radius))  # row-major: sorted by (i, j)
        return i.astype(np.int64), sites[j], np.sqrt(d2[i, j])

    def nearest(self, k: int, sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the ``k`` nearest of ``sites`` for every demand point (``query`` on a KD-tree).

        Up to :data:`DENSE_PAIRS` pairs, one dense array answers instead when no two of a point's
        k + 1 nearest are equally far (the order is then unique, so it is the tree's); a tie
        goes to the tree, whose order among equals is its own.
        """
        sites = np.asarray(sites, dtype=np.int64)
        n = len(self.demand_xy)
        idx = np.full((n, k), -1, dtype=np.int64)
        dist = np.full((n, k), np.inf)
        if len(sites) == 0 or n == 0:
            return idx, dist
        kk = min(k, len(sites))
        if n * len(sites) <= DENSE_PAIRS:
            d2 = self._squared(sites)
            order = np.argsort(d2, axis=1, kind="stable")[:, : min(kk + 1, len(sites))]
            top = np.take_along_axis(d2, order, axis=1)
            if not (np.diff(np.sqrt(top), axis=1) == 0).any():
                idx[:, :kk] = sites[order[:, :kk]]
                dist[:, :kk] = np.sqrt(top[:, :kk])
                return idx, dist
        from scipy.spatial import cKDTree

        d, j = cKDTree(np.asarray(self.site_xy, dtype=float)[sites]).query(self.demand_xy, k=kk)
        d = np.asarray(d, dtype=float).reshape(n, kk)
        j = np.asarray(j, dtype=np.int64).reshape(n, kk)
        idx[:, :kk] = sites[j]
        dist[:, :kk] = d
        return idx, dist


#: entries of the dense (sites in one Dijkstra block) × (graph nodes) array; bounds memory (~32 MB)
BLOCK_ENTRIES = 4_000_000


@dataclass
class NetworkDistances:
    """Shortest-path distances along a road graph, points attached to the nearest edge point.

    Parameters
    ----------
    node_xy : (N, 2) array
        Road node coordinates (metres).
    edges : (E, 2) int array and ``lengths`` (E,)
        Undirected straight segments between nodes and their lengths in metres (as built by
        :func:`network_from_lines`).
    demand_xy, site_xy : arrays
        Points. Each is projected onto the nearest point ``q`` of its nearest segment
        ``(a, b)`` (an STR-tree nearest query, then the projection parameter
        ``t = clip((p − a)·(b − a) / |b − a|², 0, 1)``); the segment is split in the graph at every
        projection on it (sorted by ``t``), so ``q`` is a graph node joined to its neighbours
        along the segment. The straight leg ``|p − q|`` is added at both ends, so a point far
        from every road is not made closer.

    Notes
    -----
    ``d(i, j) = |p_i − q_i| + D(q_i, q_j) + |q_j − p_j|`` where ``D`` is the shortest path in the
    split graph. Two points projected on the same segment are joined along it directly.
    Unreachable pairs (another component) have ``D = ∞`` and never fall within a radius.

    """

    node_xy: np.ndarray
    edges: np.ndarray
    lengths: np.ndarray
    demand_xy: np.ndarray
    site_xy: np.ndarray
    block_entries: int = BLOCK_ENTRIES

    def __post_init__(self) -> None:
        node_xy = np.asarray(self.node_xy, dtype=float).reshape(-1, 2)
        e = np.asarray(self.edges, dtype=np.int64).reshape(-1, 2)
        w = np.asarray(self.lengths, dtype=float)
        if len(node_xy) == 0 or len(e) == 0:
            raise InputError(
                "道路网络为空 the road network has no edges; use distance: euclidean or give roads"
            )
        demand = np.asarray(self.demand_xy, dtype=float).reshape(-1, 2)
        sites = np.asarray(self.site_xy, dtype=float).reshape(-1, 2)
        points = np.vstack([demand, sites])
        q_node, leg, rows, cols, vals = _split_edges(node_xy, e, w, points)
        n_nodes = len(node_xy) + len(points)
        # a zero-length edge would vanish from a sparse matrix; keep it as a tiny length
        vals = np.maximum(vals, 1e-6)
        from scipy.sparse import coo_matrix  # only road networks need sparse graphs (start-up: ~0.3 s)

        self._graph = coo_matrix(
            (np.concatenate([vals, vals]), (np.concatenate([rows, cols]), np.concatenate([cols, rows]))),
            shape=(n_nodes, n_nodes),
        ).tocsr()
        n = len(demand)
        self._d_node, self._d_leg = q_node[:n], leg[:n]
        self._s_node, self._s_leg = q_node[n:], leg[n:]

    def _blocks(self, sites: np.ndarray, limit: float):
        """Yield ``(block of sites, distances block × demand)`` with ``inf`` beyond ``limit``."""
        from scipy.sparse.csgraph import dijkstra

        n_nodes = self._graph.shape[0]
        size = max(1, int(self.block_entries // max(n_nodes, len(self._d_node), 1)))
        for start in range(0, len(sites), size):
            block = sites[start : start + size]
            uniq, inverse = np.unique(self._s_node[block], return_inverse=True)
            node_dist = dijkstra(self._graph, directed=False, indices=uniq, limit=limit)
            d = node_dist[inverse.ravel()][:, self._d_node]
            yield block, d + self._s_leg[block][:, None] + self._d_leg[None, :]

    def within(self, radius: float, sites: np.ndarray) -> Pairs:
        """Pairs whose road distance (with both legs) is within ``radius``, as sparse arrays."""
        sites = np.asarray(sites, dtype=np.int64)
        if len(sites) == 0 or len(self._d_node) == 0:
            return _empty()
        ii, jj, dd = [], [], []
        for block, d in self._blocks(sites, radius):
            js, iis = np.nonzero(d <= radius)
            ii.append(iis)
            jj.append(block[js])
            dd.append(d[js, iis])
        i, j, dist = np.concatenate(ii), np.concatenate(jj), np.concatenate(dd)
        order = np.lexsort((j, i))
        return i[order].astype(np.int64), j[order].astype(np.int64), dist[order]

    def nearest(self, k: int, sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the ``k`` nearest of ``sites`` by road (unlimited search, a running top-k per block)."""
        sites = np.asarray(sites, dtype=np.int64)
        n = len(self._d_node)
        idx = np.full((n, k), -1, dtype=np.int64)
        dist = np.full((n, k), np.inf)
        if len(sites) == 0 or n == 0:
            return idx, dist
        for block, d in self._blocks(sites, np.inf):
            cand_d = np.hstack([dist, d.T])  # n × (k + block)
            cand_j = np.hstack([idx, np.broadcast_to(block, (n, len(block)))])
            part = np.argsort(cand_d, axis=1, kind="stable")[:, :k]
            dist = np.take_along_axis(cand_d, part, axis=1)
            idx = np.take_along_axis(cand_j, part, axis=1)
        idx = np.where(np.isfinite(dist), idx, -1)
        return idx, dist


def _split_edges(
    node_xy: np.ndarray, edges: np.ndarray, lengths: np.ndarray, points: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Project ``points`` onto their nearest segment and split the segments there (vectorised).

    Returns the graph node of every point's projection (numbered after the road nodes), the leg
    length ``|p − q|``, and the undirected edge list ``(rows, cols, lengths)`` of the split
    graph: untouched segments, plus for each segment with projections the chain
    ``a – q_1 – … – q_m – b`` in order of ``t``.
    """
    n_road, n_pts = len(node_xy), len(points)
    if n_pts == 0:
        return (np.empty(0, dtype=np.int64), np.empty(0), edges[:, 0], edges[:, 1], lengths)
    a_xy, b_xy = node_xy[edges[:, 0]], node_xy[edges[:, 1]]
    tree = shapely.STRtree(shapely.linestrings(np.stack([a_xy, b_xy], axis=1)))
    which, seg = tree.query_nearest(shapely.points(points), all_matches=False)
    edge_of = np.empty(n_pts, dtype=np.int64)
    edge_of[which] = seg
    a, b = a_xy[edge_of], b_xy[edge_of]
    ab = b - a
    den = np.einsum("ij,ij->i", ab, ab)
    t = np.clip(np.einsum("ij,ij->i", points - a, ab) / np.where(den > 0, den, 1.0), 0.0, 1.0)
    q = a + t[:, None] * ab
    leg = np.hypot(*(points - q).T)
    q_node = n_road + np.arange(n_pts)
    # the chain along each split segment, projections sorted by t
    order = np.lexsort((t, edge_of))
    e_s, t_s, q_s = edge_of[order], t[order], q_node[order]
    first = np.concatenate([[True], e_s[1:] != e_s[:-1]])
    last = np.concatenate([e_s[1:] != e_s[:-1], [True]])
    prev_node = np.where(first, edges[e_s, 0], np.roll(q_s, 1))
    prev_t = np.where(first, 0.0, np.roll(t_s, 1))
    seg_len = lengths[e_s]
    split = np.zeros(len(edges), dtype=bool)
    split[e_s] = True
    keep = ~split
    rows = np.concatenate([edges[keep, 0], prev_node, q_s[last]])
    cols = np.concatenate([edges[keep, 1], q_s, edges[e_s[last], 1]])
    vals = np.concatenate([lengths[keep], (t_s - prev_t) * seg_len, (1.0 - t_s[last]) * seg_len[last]])
    return q_node, leg, rows, cols, vals


def network_from_lines(lines, snap_tolerance: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Build (node_xy, edges, lengths) from a GeoSeries/array of (Multi)LineStrings.

    The lines are first noded as one set (:func:`shapely.node`: every crossing or touching of two
    lines becomes a vertex of both), so roads that cross without a shared vertex are joined at
    their intersection; a grade-separated crossing (bridge, flyover) is joined too — a road
    layer that must keep one should split the layer or set ``distance: euclidean``. Every vertex
    becomes a node; vertices closer than ``snap_tolerance`` metres (rounded to a grid of that
    size) are merged, so lines ending a hair apart still meet. Each straight segment between
    consecutive vertices is an edge with its length.
    """
    geoms = shapely.get_parts(np.asarray(lines, dtype=object))
    geoms = geoms[(shapely.get_type_id(geoms) == 1) & ~shapely.is_empty(geoms)]  # LineString
    if len(geoms) == 0:
        raise InputError("道路图层没有线要素 the roads layer has no line features")
    noded = shapely.get_parts(shapely.node(shapely.multilinestrings(geoms)))
    coords, line_index = shapely.get_coordinates(noded, return_index=True)
    key = np.round(coords / snap_tolerance).astype(np.int64)
    _, node_of, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    node_xy = coords[node_of]
    same_line = line_index[1:] == line_index[:-1]
    a = inverse[:-1][same_line]
    b = inverse[1:][same_line]
    seg = np.hypot(*(coords[1:][same_line] - coords[:-1][same_line]).T)
    keep = a != b
    return node_xy, np.column_stack([a[keep], b[keep]]), seg[keep]


@dataclass
class MatrixDistances:
    """Distances (or any cost: metres, minutes …) given as a dense matrix, demand × extended sites.

    ``cost`` has one row per demand point and one column per site of the model's extended site
    array (candidates first, then every type's existing sites); :func:`cost_matrix` builds it
    from a table and checks it. Radii are compared with these values, so they must share a unit.
    This is spopt's ``from_cost_matrix`` input, read from a file a transport model wrote.
    """

    cost: np.ndarray

    def within(self, radius: float, sites: np.ndarray) -> Pairs:
        """Pairs with cost <= radius, sorted by demand then site."""
        sites = np.asarray(sites, dtype=np.int64)
        if len(sites) == 0 or self.cost.shape[0] == 0:
            return _empty()
        sub = self.cost[:, sites]
        i, k = np.nonzero(sub <= radius)
        return i.astype(np.int64), sites[k], sub[i, k].astype(float)

    def nearest(self, k: int, sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the ``k`` cheapest of ``sites`` for every demand point, sorted."""
        sites = np.asarray(sites, dtype=np.int64)
        n = self.cost.shape[0]
        idx = np.full((n, k), -1, dtype=np.int64)
        dist = np.full((n, k), np.inf)
        if len(sites) == 0 or n == 0:
            return idx, dist
        kk = min(k, len(sites))
        sub = self.cost[:, sites]
        order = np.argsort(sub, axis=1, kind="stable")[:, :kk]
        idx[:, :kk] = sites[order]
        dist[:, :kk] = np.take_along_axis(sub, order, axis=1)
        return idx, dist


def cost_matrix(
    table: Any,
    demand_ids: Sequence[str],
    site_ids: Sequence[str],
    *,
    source: str,
    layout: CostMatrixRef | None = None,
    aliases: Mapping[str, str] | None = None,
    other_sites: Collection[str] = (),
) -> np.ndarray:
    """Return the dense ``len(demand_ids) × len(site_ids)`` cost array of a long or wide table.

    ``layout`` (:class:`optimizer.scenario.CostMatrixRef`, default its defaults) names the columns.
    Long form: one row per pair, columns ``origin`` (demand id), ``destination`` (site id) and
    ``cost``. Wide form: the ``origin`` column (or the first column) holds the demand ids and every
    other column is a site id. ``form=None`` takes the long form when the table has the three
    long-form columns. Ids compare as text; ``aliases`` maps other names of a site (an existing
    facility's own id) to its id in ``site_ids``; destinations in ``other_sites`` (parcels of the
    layer that are not candidates) are dropped. Any other destination is refused, so a typo is
    never read as "no such pair".

    Raises
    ------
    SchemaError
        A column is missing.
    InputError
        Unknown demand or site ids, a pair given twice, a missing pair, a value that is not a
        number, negative or infinite; the message names the file and the first offenders.

    """
    lay = layout or CostMatrixRef(matrix="")
    pairs = _long_pairs(table, lay, source)
    values = _checked_costs(pairs, source)
    i, j_all = _pair_indices(pairs, demand_ids, site_ids, aliases or {}, other_sites, source)
    keep = j_all.notna().to_numpy()
    i, j, c = i[keep], j_all[keep].to_numpy(dtype=np.int64), values.to_numpy(dtype=float)[keep]
    return _dense(pairs[keep], i, j, c, demand_ids, site_ids, source)


def _long_pairs(table: Any, lay: CostMatrixRef, source: str):
    """Return the table as long-form pairs, columns ``o`` (demand id), ``d`` (site id), ``c``."""
    import pandas as pd

    from geo.errors import SchemaError

    form, origin, destination, cost = lay.form, lay.origin, lay.destination, lay.cost
    frame = pd.DataFrame(table)
    long = {origin, destination, cost} <= set(map(str, frame.columns)) if form is None else form == "long"
    if long:
        missing = [c for c in (origin, destination, cost) if c not in frame.columns]
        if missing:
            raise SchemaError(
                f"{source}: 长表缺少列 long-form cost matrix lacks columns {missing}; "
                f"columns: {list(map(str, frame.columns))[:20]}"
            )
        return pd.DataFrame(
            {
                "o": frame[origin].astype(str).str.strip(),
                "d": frame[destination].astype(str).str.strip(),
                "c": frame[cost],
            }
        )
    key = origin if origin in frame.columns else frame.columns[0]
    wide = frame.set_index(frame[key].astype(str).str.strip()).drop(columns=[key])
    wide.columns = [str(c).strip() for c in wide.columns]
    return wide.rename_axis("o").reset_index().melt(id_vars="o", var_name="d", value_name="c")


def _checked_costs(pairs, source: str):
    """Return the costs as numbers; refuse any that is not a finite number >= 0."""
    import pandas as pd

    values = pd.to_numeric(pairs["c"], errors="coerce")
    bad = values.isna() | ~np.isfinite(values.fillna(0.0)) | (values < 0)
    if bad.any():
        rows = pairs[bad.to_numpy()].head(5)
        shown = ", ".join(f"{o}→{d}: {c!r}" for o, d, c in rows.itertuples(index=False))
        raise InputError(
            f"{source}: {int(bad.sum())} 个费用不是非负有限数 costs must be finite numbers >= 0 ({shown})"
        )
    return values


def _pair_indices(
    pairs,
    demand_ids: Sequence[str],
    site_ids: Sequence[str],
    aliases: Mapping[str, str],
    other_sites: Collection[str],
    source: str,
):
    """Return the row index of each pair and its site column (NaN for a non-candidate parcel)."""
    names = {s: k for k, s in enumerate(site_ids)}
    for alias, target in aliases.items():
        names.setdefault(alias, names[target])
    rows_of = {d: k for k, d in enumerate(demand_ids)}
    unknown_o = sorted(set(pairs["o"]) - set(rows_of))
    if unknown_o:
        raise InputError(
            f"{source}: {len(unknown_o)} 个需求点编号不在需求图层中 unknown demand ids {unknown_o[:10]}"
        )
    i = pairs["o"].map(rows_of).to_numpy(dtype=np.int64)
    j_all = pairs["d"].map(names)
    unknown_d = sorted(set(pairs.loc[j_all.isna(), "d"]) - set(other_sites))
    if unknown_d:
        raise InputError(
            f"{source}: {len(unknown_d)} 个站点编号既不是地块也不是既有设施 unknown site ids {unknown_d[:10]}"
        )
    return i, j_all


def _dense(kept, i, j, c, demand_ids: Sequence[str], site_ids: Sequence[str], source: str) -> np.ndarray:
    """Return the dense array; refuse a pair given twice or a pair left out."""
    import pandas as pd

    out = np.full((len(demand_ids), len(site_ids)), np.nan)
    flat = i * len(site_ids) + j
    if len(np.unique(flat)) != len(flat):
        dup = kept[pd.Series(flat).duplicated().to_numpy()].head(5)
        shown = ", ".join(f"{o}→{d}" for o, d in zip(dup["o"], dup["d"], strict=True))
        raise InputError(f"{source}: 有重复的需求点—站点对 pairs given twice ({shown})")
    out[i, j] = c
    hole_i, hole_j = np.nonzero(np.isnan(out))
    if len(hole_i):
        shown = ", ".join(
            f"{demand_ids[a]}→{site_ids[b]}" for a, b in zip(hole_i[:5], hole_j[:5], strict=True)
        )
        raise InputError(
            f"{source}: 缺少 {len(hole_i)} 个需求点—站点对的费用 missing pairs ({shown}); "
            "every demand point needs a cost to every candidate and existing site"
        )
    return out
