"""The published figures of SPEC section 8 as data."""
from __future__ import annotations

import json

import pytest

from leancode.bench import paper


def test_search_points_and_retention():
    pts = paper.paper_points("search")
    assert len(pts) == 9 and {p.method for p in pts} == {"dietcode", "slimcode", "leancode"}
    lean50 = paper.paper_retention("search", "leancode", 0.5)
    assert lean50.value == 0.688 and lean50.retention == pytest.approx(0.688 / 0.726)
    assert paper.paper_retention("search", "slimcode", 0.1).retention > 1.0     # SlimCode gains at 10 %
    assert paper.paper_retention("search", "leancode", 0.2) is None             # not published
    assert paper.paper_ordering("search", 0.5) == ["leancode", "slimcode", "dietcode"]
    assert paper.paper_ordering("search", 0.1) == ["slimcode", "leancode", "dietcode"]
    assert paper.paper_ratios("search") == [0.1, 0.3, 0.5]


def test_summarize_points_are_ranges_at_half():
    pts = {p.method: p for p in paper.paper_points("summarize")}
    assert set(pts) == {"leancode", "dietcode", "slimcode"} and all(p.ratio == 0.5 for p in pts.values())
    assert (pts["leancode"].retention_low, pts["leancode"].retention_high) == pytest.approx((0.89, 0.90))
    assert pts["dietcode"].retention == pytest.approx(0.69) and pts["slimcode"].retention == pytest.approx(0.71)
    assert paper.paper_ordering("summarize", 0.5) == ["leancode", "slimcode", "dietcode"]
    assert paper.paper_points("summarize", language="python") == []


def test_as_dict_is_json():
    d = json.loads(json.dumps(paper.as_dict()))
    assert d["search_unpruned_mrr"] == 0.726 and d["leancode_time_saved_at_50"] == [0.366, 0.409]
    assert len(d["points"]) == 12 and d["search_group_size"] == 1000
