"""Distance oracles: KD-tree pairs within a radius, k nearest, road network with snapping."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import LineString

from geo.errors import InputError
from optimizer.distances import EuclideanDistances, NetworkDistances, network_from_lines


def test_euclidean_within_and_nearest():
    demand = np.array([[0.0, 0.0], [300.0, 400.0]])
    sites = np.array([[0.0, 0.0], [0.0, 100.0], [300.0, 0.0]])
    oracle = EuclideanDistances(demand, sites)
    i, j, d = oracle.within(100.0, np.arange(3))
    # a point exactly on a site (distance 0) must not be dropped
    assert list(zip(i.tolist(), j.tolist(), d.tolist(), strict=True)) == [(0, 0, 0.0), (0, 1, 100.0)]
    idx, dist = oracle.nearest(2, np.array([1, 2]))
    assert idx[1].tolist() == [2, 1]  # (300,400): site 2 at 400 m, site 1 at ~427 m
    assert dist[1, 0] == pytest.approx(400.0)


def test_network_distance_adds_the_snapping_legs():
    # an L-shaped road (0,0)-(100,0)-(100,100); demand 10 m off its start, site 10 m off its end:
    # 10 + 200 + 10 = 220 m by road (straight line ≈ 128 m)
    node_xy, edges, lengths = network_from_lines([LineString([(0, 0), (100, 0), (100, 100)])])
    assert lengths.sum() == pytest.approx(200.0)
    oracle = NetworkDistances(node_xy, edges, lengths, np.array([[-10.0, 0.0]]), np.array([[110.0, 100.0]]))
    _, _, d = oracle.within(250.0, np.array([0]))
    assert d.tolist() == pytest.approx([220.0])
    assert len(oracle.within(200.0, np.array([0]))[0]) == 0
    idx, dist = oracle.nearest(1, np.array([0]))
    assert idx[0, 0] == 0 and dist[0, 0] == pytest.approx(220.0)


def test_disconnected_roads_reach_nothing():
    node_xy, edges, lengths = network_from_lines(
        [LineString([(0, 0), (100, 0)]), LineString([(500, 0), (600, 0)])]
    )
    oracle = NetworkDistances(node_xy, edges, lengths, np.array([[0.0, 0.0]]), np.array([[600.0, 0.0]]))
    idx, dist = oracle.nearest(1, np.array([0]))
    assert idx[0, 0] == -1 and np.isinf(dist[0, 0])


def test_empty_roads_are_refused():
    with pytest.raises(InputError, match="road"):
        network_from_lines([])


def test_crossing_lines_without_a_shared_vertex_are_joined():
    # an X: neither line has a vertex at the crossing (103, 0) (nor would a 25 m densification put
    # one there); demand on the west end, site on the north end: 103 m east + 113 m north = 216 m
    node_xy, edges, lengths = network_from_lines(
        [LineString([(0, 0), (210, 0)]), LineString([(103, -97), (103, 113)])]
    )
    assert lengths.sum() == pytest.approx(420.0)
    assert any(np.allclose(xy, (103.0, 0.0)) for xy in node_xy)
    oracle = NetworkDistances(node_xy, edges, lengths, np.array([[0.0, 0.0]]), np.array([[103.0, 113.0]]))
    i, j, d = oracle.within(250.0, np.array([0]))
    assert (i.tolist(), j.tolist()) == ([0], [0]) and d.tolist() == pytest.approx([216.0])


def test_points_project_onto_the_middle_of_a_long_edge():
    # one 1 km segment (0,0)-(1000,0), no vertex in between. Projections by hand:
    # D0 (412, 30) -> (412, 0), leg 30;  D1 (707, -40) -> (707, 0), leg 40
    # S0 (563, 20) -> (563, 0), leg 20;  S1 (0, -50)   -> (0, 0),   leg 50
    # D0–S0 30 + 151 + 20 = 201 (along the edge between two projections), D1–S0 40 + 144 + 20 = 204,
    # D0–S1 30 + 412 + 50 = 492, D1–S1 40 + 707 + 50 = 797
    node_xy, edges, lengths = network_from_lines([LineString([(0, 0), (1000, 0)])])
    assert len(node_xy) == 2
    demand = np.array([[412.0, 30.0], [707.0, -40.0]])
    sites = np.array([[563.0, 20.0], [0.0, -50.0]])
    oracle = NetworkDistances(node_xy, edges, lengths, demand, sites)
    i, j, d = oracle.within(500.0, np.arange(2))
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 0), (0, 1), (1, 0)]
    assert d.tolist() == pytest.approx([201.0, 492.0, 204.0])
    idx, dist = oracle.nearest(2, np.arange(2))
    assert idx.tolist() == [[0, 1], [0, 1]]
    assert dist.ravel().tolist() == pytest.approx([201.0, 492.0, 204.0, 797.0])


def test_disconnected_components_are_beyond_every_radius():
    # two roads 400 m apart; a demand point and a site on each. Straight line D0–S1 is 500 m,
    # but no road joins them, so only the pairs on the same road are ever within reach
    node_xy, edges, lengths = network_from_lines(
        [LineString([(0, 0), (100, 0)]), LineString([(500, 0), (600, 0)])]
    )
    demand = np.array([[0.0, 0.0], [600.0, 0.0]])
    sites = np.array([[100.0, 0.0], [500.0, 0.0]])
    oracle = NetworkDistances(node_xy, edges, lengths, demand, sites)
    i, j, d = oracle.within(1e9, np.arange(2))
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 0), (1, 1)]
    assert d.tolist() == pytest.approx([100.0, 100.0])
    idx, dist = oracle.nearest(2, np.arange(2))
    assert idx.tolist() == [[0, -1], [1, -1]] and np.isinf(dist[:, 1]).all()


def test_blocks_of_sites_give_the_same_sparse_pairs():
    # a 5 × 5 grid of crossing lines (no shared vertices), random points; one site per Dijkstra
    # block must give exactly what one block of all sites gives, and a road path is never
    # shorter than the straight line
    rng = np.random.default_rng(7)
    lines = [LineString([(-10, y), (1010, y)]) for y in range(0, 1001, 250)]
    lines += [LineString([(x, -10), (x, 1010)]) for x in range(0, 1001, 250)]
    node_xy, edges, lengths = network_from_lines(lines)
    demand, sites = rng.uniform(0, 1000, (60, 2)), rng.uniform(0, 1000, (15, 2))
    whole = NetworkDistances(node_xy, edges, lengths, demand, sites)
    small = NetworkDistances(node_xy, edges, lengths, demand, sites, block_entries=1)
    a, b = whole.within(600.0, np.arange(15)), small.within(600.0, np.arange(15))
    assert len(a[0]) > 0
    for x, y in zip(a, b, strict=True):
        assert np.allclose(x, y)
    straight = np.hypot(*(demand[a[0]] - sites[a[1]]).T)
    assert np.all(a[2] >= straight - 1e-6)
    ka, kb = whole.nearest(3, np.arange(15)), small.nearest(3, np.arange(15))
    assert np.array_equal(ka[0], kb[0]) and np.allclose(ka[1], kb[1])


@pytest.mark.parametrize("seed", range(6))
def test_dense_within_gives_the_kd_tree_pairs(seed, monkeypatch):
    """Small instances skip the KD-tree: same pairs, same distances, ties and radius boundary included."""
    import optimizer.distances as distances

    rng = np.random.default_rng(seed)
    if seed % 2:  # projected coordinates, radius exactly one pair's distance (the inclusive boundary)
        dxy = rng.uniform(0, 1000, (150, 2)) + np.array([400_000.0, 2_500_000.0])
        sxy = rng.uniform(0, 1000, (30, 2)) + np.array([400_000.0, 2_500_000.0])
        radius = float(np.hypot(*(dxy[7] - sxy[3])))
    else:  # an integer grid: many equal distances and pairs exactly on the radius
        dxy = rng.integers(0, 40, (150, 2)).astype(float)
        sxy = rng.integers(0, 40, (30, 2)).astype(float)
        radius = 10.0
    sites = np.array(sorted(rng.choice(30, 20, replace=False)))
    oracle = EuclideanDistances(dxy, sxy)
    dense = oracle.within(radius, sites)
    monkeypatch.setattr(distances, "DENSE_PAIRS", 0)
    tree = oracle.within(radius, sites)
    assert len(dense[0]) > 0
    for a, b in zip(dense, tree, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("seed", range(6))
def test_dense_nearest_gives_the_kd_tree_answer(seed, monkeypatch):
    """Small instances answer ``nearest`` without the tree when nothing ties, the tree's answer."""
    import optimizer.distances as distances

    rng = np.random.default_rng(seed)
    if seed % 2:
        dxy = rng.uniform(0, 1000, (150, 2)) + np.array([400_000.0, 2_500_000.0])
        sxy = rng.uniform(0, 1000, (30, 2)) + np.array([400_000.0, 2_500_000.0])
    else:  # an integer grid: ties, so the tree answers
        dxy = rng.integers(0, 40, (150, 2)).astype(float)
        sxy = rng.integers(0, 40, (30, 2)).astype(float)
    sites = np.array(sorted(rng.choice(30, 20, replace=False)))
    oracle = EuclideanDistances(dxy, sxy)
    for k in (1, 3, 25):
        dense = oracle.nearest(k, sites)
        monkeypatch.setattr(distances, "DENSE_PAIRS", 0)
        tree = oracle.nearest(k, sites)
        monkeypatch.undo()
        np.testing.assert_array_equal(dense[0], tree[0])
        np.testing.assert_array_equal(dense[1], tree[1])
