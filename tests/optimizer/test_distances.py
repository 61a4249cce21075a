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
