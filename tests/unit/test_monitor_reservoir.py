"""monitor's percentiles come from a reservoir sample of each cycle's call costs: uniform over the
cycle however many calls it had (its draws are the agent's own, not `random`'s)."""

from __future__ import annotations

from flight_agent.commands.monitor import SAMPLE_LIMIT, Cycle


def test_the_reservoir_keeps_a_uniform_sample_of_a_long_cycle():
    cycle = Cycle()
    calls = SAMPLE_LIMIT * 10
    for i in range(calls):
        cycle.add(float(i), failed=False)
    kept = sorted(cycle.samples)
    assert len(kept) == SAMPLE_LIMIT and len(set(kept)) == SAMPLE_LIMIT
    # each tenth of the cycle holds about a tenth of the sample (binomial sd ~ 30 of 1000)
    tenths = [0] * 10
    for cost in kept:
        tenths[int(cost) * 10 // calls] += 1
    assert all(850 < n < 1150 for n in tenths), tenths
    # the median of the sample is the cycle's median within 2 %
    assert abs(kept[SAMPLE_LIMIT // 2] - calls / 2) < calls * 0.02
