"""Materials: the stock is split exactly, within per-site limits, by demand or footfall."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo_outreach._errors import InfeasiblePlanError, InputDataError
from geo_outreach.playbook.materials import allocate, materials_by_precinct, plan_materials
from geo_outreach.scenario import ChannelConfig


@pytest.mark.parametrize("seed", range(20))
def test_quantities_sum_to_stock_and_respect_limits(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 20))
    basis = rng.gamma(0.5, 10.0, n) * (rng.random(n) > 0.2)
    stock = int(rng.integers(n * 10, 200_000))
    lo = int(rng.integers(0, stock // n // 2 + 1))
    hi = int(rng.integers(-(-stock // n), stock + 1))
    q = allocate(basis, stock, min_per_site=lo, max_per_site=hi)
    assert q.sum() == stock
    assert (q >= lo).all() and (q <= hi).all()
    assert q.dtype.kind == "i"


def test_proportional_when_no_limit_binds():
    q = allocate([1.0, 2.0, 3.0, 4.0], 150_000)
    assert q.tolist() == [15_000, 30_000, 45_000, 60_000]
    q = allocate([1.0, 1.0, 1.0], 10)  # largest remainder: ties go to the first site
    assert q.tolist() == [4, 3, 3]


def test_max_caps_and_redistributes_in_proportion():
    q = allocate([10.0, 1.0, 1.0], 1000, max_per_site=400)
    assert q.tolist() == [400, 300, 300]
    q = allocate([10.0, 1.0, 0.0], 1000, min_per_site=100)
    assert q.tolist() == [800, 100, 100]  # site 2 lifted to the minimum, site 1 too


def test_infeasible_limits_are_clear_errors():
    with pytest.raises(InfeasiblePlanError, match="min_per_site 400 = 1200 is more than the stock"):
        allocate([1, 2, 3], 1000, min_per_site=400)
    with pytest.raises(InfeasiblePlanError, match="cannot take the stock 1000 .100 left over"):
        allocate([1, 2, 3], 1000, max_per_site=300)


def _sites(ch: str, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "channel": ch,
            "venue_id": [f"v{i}" for i in range(n)],
            "name": [f"cafe {i}" for i in range(n)],
            "precinct_id": "p1",
            "covered_weight": np.arange(1, n + 1, dtype=float),
        }
    )


def test_plan_materials_by_demand_and_by_footfall():
    pl = pd.concat([_sites("cafe", 15), _sites("banners", 3)], ignore_index=True)
    cafe = ChannelConfig("cafe", label="咖啡杯套", stock=150_000, min_per_site=2000,
                         max_per_site=20_000)  # fmt: skip
    banners = ChannelConfig("banners", stock=0)
    m = plan_materials([cafe, banners], pl)
    assert set(m["channel"]) == {"cafe"} and len(m) == 15
    assert m["quantity"].sum() == 150_000 and m["quantity"].between(2000, 20_000).all()
    assert (m["basis"] == "demand").all()
    foot = ChannelConfig("cafe", stock=100, footfall={f"v{i}": 1.0 for i in range(15)})
    m = plan_materials([foot], pl)
    assert sorted(m["quantity"].tolist()) == [6] * 5 + [7] * 10 and (m["basis"] == "footfall").all()
    with pytest.raises(InputDataError, match="footfall has no value for the chosen sites"):
        plan_materials([ChannelConfig("cafe", stock=100, footfall={"v0": 1.0})], pl)
    with pytest.raises(InfeasiblePlanError, match="channels.cafe: 15 sites x min_per_site"):
        plan_materials([ChannelConfig("cafe", stock=100, min_per_site=10)], pl)


def test_materials_by_precinct_counts_every_precinct_and_sums_the_stock():
    """Issue 12 gaps: banner/LED sites (no stock) and café sleeves (stock) per precinct."""
    precincts = pd.DataFrame({"precinct_id": ["A", "B", "C"], "name": ["甲", "乙", "丙"]})
    placements = pd.DataFrame(
        {
            "channel": ["banners"] * 4 + ["cafes"] * 3 + ["pat"],
            "venue_id": ["j1", "j2", "j3", "j4", "c1", "c2", "c3", "s1"],
            "name": list("abcdefgh"),
            "precinct_id": ["A", "A", "B", "outside", "A", "C", "C", "A"],
            "covered_weight": [1, 1, 1, 1, 5.0, 3.0, 2.0, 1],
        }
    )
    chans = [ChannelConfig("banners", label="横幅/LED", venue_kinds=("junction",)),
             ChannelConfig("cafes", venue_kinds=("cafe",), stock=1000),
             ChannelConfig("pat", type="patrol")]  # fmt: skip
    mat = plan_materials(chans, placements)
    bp = materials_by_precinct(chans, placements, mat, precincts)
    assert set(bp["channel"]) == {"banners", "cafes"}  # patrol stops are not material
    b = bp[bp["channel"] == "banners"].set_index("precinct_id")
    assert b["sites"].to_dict() == {"A": 2, "B": 1, "C": 0, "outside": 1}
    assert b["quantity"].isna().all() and b.loc["A", "precinct"] == "甲"
    c = bp[bp["channel"] == "cafes"].set_index("precinct_id")
    assert c["sites"].to_dict() == {"A": 1, "B": 0, "C": 2}
    assert c["quantity"].sum() == 1000 and c.loc["B", "quantity"] == 0
    assert c.loc["A", "quantity"] == mat.loc[mat["venue_id"] == "c1", "quantity"].item()
