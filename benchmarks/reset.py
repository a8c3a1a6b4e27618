"""Benchmark: a cluster-wide reset of 40,000 phones across 8 subscribers.

Not a test: ``make bench`` prints the figures. The lab is release 11.5 after a
CallManager change on the TFTP node, so every phone's new ITL is unknown to it
and must be vouched for by TVS: full trust decisions, not a shortcut. The
bare loop schedules the same number of simpy events with no model at all.

Targets: under 4 s wall and 400 MB peak on a 2-core machine, within 4 times
the bare loop.
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
from collections.abc import Generator
from typing import Any

import simpy

from emulator import Lab, LabConfig
from emulator.pki.keys import KeyPool


def _events(env: simpy.Environment) -> int:
    # simpy numbers every scheduled event from one counter.
    return next(env._eid)


def bare_loop(events: int, processes: int) -> float:
    """Wall seconds for simpy alone to run ``events`` events in ``processes``."""
    env = simpy.Environment()
    per_process = max(1, events // processes - 2)

    def body(i: int) -> Generator[Any, Any, None]:
        for step in range(per_process):
            yield env.timeout(1.0 + (i * 7 + step) % 13)

    started = time.perf_counter()
    for i in range(processes):
        env.process(body(i))
    env.run()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=40_000)
    parser.add_argument("--subscribers", type=int, default=8)
    args = parser.parse_args()

    built = time.perf_counter()
    keys = KeyPool()
    keys.fill(2048, 8 * (args.subscribers + 1) + 8)
    config = LabConfig(
        version="11.5", subscribers=args.subscribers, imp=0, phones=args.phones
    )
    lab = Lab(config, keys=keys)
    lab.certs.regenerate(lab.publisher, "CallManager")
    for node in lab.cluster.cucm_nodes:
        for name in ("Cisco Trust Verification Service", "Cisco Tftp"):
            service = lab.services.find(node, name)
            if service is not None and service.activated:
                service.restart()
    lab.clock.run_until_idle(limit=3600)
    setup = time.perf_counter() - built

    gc.collect()
    env = lab.clock.env
    first = _events(env)
    started = time.perf_counter()
    lab.phones.reset()
    done = lab.clock.run_until(lab.phones.all_registered, limit=6 * 3600)
    wall = time.perf_counter() - started
    events = _events(env) - first
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    trusted = sum(1 for p in lab.phones.phones if p.message == "")
    bare = bare_loop(events, args.phones)

    print(f"lab built and prepared in {setup:.1f} s ({args.subscribers} subscribers)")
    print(f"phones reset:          {args.phones:,} (all registered: {done})")
    print(f"phones trusting:       {trusted:,} (new ITL vouched by TVS)")
    print(f"simulated time:        {lab.clock.seconds / 60:.1f} min")
    print(f"wall time:             {wall:.2f} s   (target < 4 s)")
    print(f"events:                {events:,}  ({events / wall:,.0f} per s)")
    print(f"peak memory (RSS):     {peak_mb:.0f} MB  (target < 400 MB)")
    print(f"bare simpy loop:       {bare:.2f} s for the same events")
    print(f"ratio to bare loop:    {wall / bare:.1f}x  (target <= 4x)")


if __name__ == "__main__":
    main()
