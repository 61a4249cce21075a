"""Distances between demand points and candidate sites, computed sparsely.

Two oracles share one small interface:

* :class:`EuclideanDistances` — straight-line distance in the projected metric CRS, with
  :class:`scipy.spatial.cKDTree` (``sparse_distance_matrix`` for pairs within a radius, ``query`` for
  the k nearest), so a 10 000 × 1 000 instance never builds a dense matrix.
* :class:`NetworkDistances` — shortest path along the road network: demand points and sites are
  snapped to the nearest road node, and :func:`scipy.sparse.csgraph.dijkstra` runs from the sites
  with ``limit=`` the radius, so only the reachable part of the graph is explored.

Both return pairs as three aligned arrays ``(i, j, d)``: demand index, site index, metres.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geo.errors import InputError

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
            self._demand_tree = cKDTree(np.asarray(self.demand_xy, dtype=float))
        return self._demand_tree

    def within(self, radius: float, sites: np.ndarray) -> Pairs:
        """Pairs within ``radius`` metres (inclusive), via ``sparse_distance_matrix``."""
        sites = np.asarray(sites, dtype=np.int64)
        if len(sites) == 0 or len(self.demand_xy) == 0:
            return _empty()
        site_tree = cKDTree(np.asarray(self.site_xy, dtype=float)[sites])
        found = self.demand_tree.sparse_distance_matrix(site_tree, radius, output_type="ndarray")
        order = np.lexsort((found["j"], found["i"]))
        found = found[order]
        return found["i"].astype(np.int64), sites[found["j"]], found["v"].astype(float)

    def nearest(self, k: int, sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the ``k`` nearest of ``sites`` for every demand point (``query`` on a KD-tree)."""
        sites = np.asarray(sites, dtype=np.int64)
        n = len(self.demand_xy)
        idx = np.full((n, k), -1, dtype=np.int64)
        dist = np.full((n, k), np.inf)
        if len(sites) == 0 or n == 0:
            return idx, dist
        kk = min(k, len(sites))
        d, j = cKDTree(np.asarray(self.site_xy, dtype=float)[sites]).query(self.demand_xy, k=kk)
        d = np.asarray(d, dtype=float).reshape(n, kk)
        j = np.asarray(j, dtype=np.int64).reshape(n, kk)
        idx[:, :kk] = sites[j]
        dist[:, :kk] = d
        return idx, dist


@dataclass
class NetworkDistances:
    """Shortest-path distances along a road graph.

    Parameters
    ----------
    node_xy : (N, 2) array
        Road node coordinates (metres).
    edges : (E, 2) int array and ``lengths`` (E,)
        Undirected edges between nodes and their lengths in metres.
    demand_xy, site_xy : arrays
        Points, snapped to their nearest road node; the straight snapping distance is added
        to the path length at both ends, so a point far from any road is not made closer.

    """

    node_xy: np.ndarray
    edges: np.ndarray
    lengths: np.ndarray
    demand_xy: np.ndarray
    site_xy: np.ndarray

    def __post_init__(self) -> None:
        if len(self.node_xy) == 0 or len(self.edges) == 0:
            raise InputError(
                "道路网络为空 the road network has no edges; use distance: euclidean or give roads"
            )
        n_nodes = len(self.node_xy)
        e = np.asarray(self.edges, dtype=np.int64)
        w = np.asarray(self.lengths, dtype=float)
        rows = np.concatenate([e[:, 0], e[:, 1]])
        cols = np.concatenate([e[:, 1], e[:, 0]])
        vals = np.concatenate([w, w])
        # a zero-length edge would vanish from a sparse matrix; keep it as a tiny length
        vals = np.maximum(vals, 1e-6)
        self._graph = coo_matrix((vals, (rows, cols)), shape=(n_nodes, n_nodes)).tocsr()
        tree = cKDTree(np.asarray(self.node_xy, dtype=float))
        self._d_snap, self._d_node = tree.query(np.asarray(self.demand_xy, dtype=float))
        self._s_snap, self._s_node = tree.query(np.asarray(self.site_xy, dtype=float))

    def _from_sites(self, sites: np.ndarray, limit: float) -> np.ndarray:
        """Network distance (sites × demand), ``inf`` beyond ``limit``."""
        origins = self._s_node[sites]
        uniq, inverse = np.unique(origins, return_inverse=True)
        node_dist = dijkstra(self._graph, directed=False, indices=uniq, limit=limit)
        d = node_dist[inverse][:, self._d_node]
        return d + self._s_snap[sites][:, None] + self._d_snap[None, :]

    def within(self, radius: float, sites: np.ndarray) -> Pairs:
        """Pairs whose road distance (with snapping legs) is within ``radius``."""
        sites = np.asarray(sites, dtype=np.int64)
        if len(sites) == 0 or len(self.demand_xy) == 0:
            return _empty()
        d = self._from_sites(sites, radius)
        js, iis = np.nonzero(d <= radius)
        order = np.lexsort((js, iis))
        return iis[order].astype(np.int64), sites[js[order]], d[js[order], iis[order]]

    def nearest(self, k: int, sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the ``k`` nearest of ``sites`` by road, unlimited search."""
        sites = np.asarray(sites, dtype=np.int64)
        n = len(self.demand_xy)
        idx = np.full((n, k), -1, dtype=np.int64)
        dist = np.full((n, k), np.inf)
        if len(sites) == 0 or n == 0:
            return idx, dist
        d = self._from_sites(sites, np.inf).T  # n × m
        kk = min(k, len(sites))
        part = np.argsort(d, axis=1, kind="stable")[:, :kk]
        dd = np.take_along_axis(d, part, axis=1)
        idx[:, :kk] = np.where(np.isfinite(dd), sites[part], -1)
        dist[:, :kk] = dd
        return idx, dist


def network_from_lines(
    lines, snap_tolerance: float = 0.5, segment_m: float = 25.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Build (node_xy, edges, lengths) from a GeoSeries/array of (Multi)LineStrings.

    Lines are first densified to vertices at most ``segment_m`` apart (``shapely.segmentize``),
    so a point snapped to its nearest node is within ``segment_m / 2`` of its nearest edge point.
    Every vertex becomes a node; vertices closer than ``snap_tolerance`` metres are merged, so
    lines that meet at a shared vertex are connected (lines that cross without a shared vertex
    are not — road layers from surveys share their junction vertices).
    """
    import shapely

    geoms = shapely.get_parts(np.asarray(lines, dtype=object))
    geoms = geoms[shapely.get_type_id(geoms) == 1]  # LineString
    if segment_m and segment_m > 0:
        geoms = shapely.segmentize(geoms, segment_m)
    if len(geoms) == 0:
        raise InputError("道路图层没有线要素 the roads layer has no line features")
    coords, line_index = shapely.get_coordinates(geoms, return_index=True)
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
