"""peers: the same M/M/c mediation queue in orgsim, plain SimPy and Ciw.

Time per customer is run time over arrivals; each engine's mean wait (first tenth
dropped) is checked against Erlang C, with a 95% t half-width over replications.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable
from typing import Any

import simpy

from orgsim import Scenario, parse_scenario, simulate
from orgsim.analysis.theory import erlang_c_wait
from orgsim.engine import events as ev
from sections.common import median, pc, scheduler_events, table

TARGET_VS_CIW = 1.0  # issue 13: us per conflict no more than Ciw's

# two-sided 95% Student t quantiles by degrees of freedom
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def mmc_scenario(lam: float, mean_service: float, c: int, horizon: float) -> Any:
    """orgsim as the textbook M/M/c mediation queue (as tests/engine/test_mechanisms.py)."""
    kinds: dict[str, dict[str, Any]] = {
        k: {"enabled": k == "custom_work"} for k in Scenario().conflicts.kinds
    }
    # Conflicts arrive per working interface (orgsim 0.3): on one product, sales'
    # 14 teams and engineering's 29 make 406 interfaces, whose arrivals add up to lam.
    kinds["custom_work"].update(
        interarrival={"kind": "exponential", "mean": 406 / lam},
        surfacing={"kind": "deterministic", "mean": 0.0},
        lifetime={"kind": "deterministic", "mean": 1e9},
    )
    return parse_scenario(
        {
            "horizon": horizon,
            # no cash failure over a century, no market shifts (realignments would
            # take the mediators' time), no praise, no customer issues
            "market": {"shift_interarrival": {"kind": "deterministic", "mean": 1e9}},
            # no roadmap and no budget cycles beyond the first
            "delivery": {
                "products": 1,
                "initial_features": 0,
                "feature_interarrival": {"kind": "exponential", "mean": 1e9},
            },
            "budget": {"quarter_days": 1e9, "cash": 1e12},
            "support": {"demand": 0.0},
            "conflicts": {"kinds": kinds},
            "broker": {
                "mediators": c,
                "detection": {"kind": "deterministic", "mean": 0.0},
                "mediation": {"kind": "exponential", "mean": mean_service},
                "success_base": 1.0,
                "queue_limit": 0,
                "praise_gain": 0.0,
            },
        }
    )


def warm(waits: list[float]) -> list[float]:
    return waits[len(waits) // 10 :]  # drop the warm-up tenth


def mmc_orgsim(sc: Any, seed: int) -> tuple[float, int, float, int]:
    t = pc()
    run = simulate(sc, seed=seed, broker=True)
    dt = pc() - t
    queued: dict[int, float] = {}
    waits = []
    arrivals = 0
    for e in run.log:
        if isinstance(e, ev.ConflictRaised):
            arrivals += 1
        elif isinstance(e, ev.MediationQueued):
            queued[e.conflict] = e.time
        elif isinstance(e, ev.MediationStarted):
            waits.append(e.time - queued[e.conflict])
    return dt, arrivals, float(statistics.fmean(warm(waits))), scheduler_events(run)


def mmc_simpy(lam: float, mean_service: float, c: int, horizon: float, seed: int) -> Any:
    rng = random.Random(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=c)
    waits: list[float] = []
    count = [0]

    def customer(env: simpy.Environment) -> Any:
        arrived = env.now
        with servers.request() as req:
            yield req
            waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(1.0 / mean_service))

    def source(env: simpy.Environment) -> Any:
        while True:
            yield env.timeout(rng.expovariate(lam))
            count[0] += 1
            env.process(customer(env))

    t = pc()
    env.process(source(env))
    env.run(until=horizon)
    dt = pc() - t
    return dt, count[0], float(statistics.fmean(warm(waits))), next(env._eid) - len(env._queue)


def mmc_ciw(lam: float, mean_service: float, c: int, horizon: float, seed: int) -> Any:
    import ciw

    ciw.seed(seed)  # global: only ever called here
    t = pc()
    net = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / mean_service)],
        number_of_servers=[c],
    )
    sim = ciw.Simulation(net)
    sim.simulate_until_max_time(horizon)
    dt = pc() - t
    recs = sorted(sim.get_all_records(), key=lambda r: r.arrival_date)
    in_system = sum(len(n.all_individuals) for n in sim.transitive_nodes)
    waits = [r.waiting_time for r in recs]
    return dt, len(recs) + in_system, float(statistics.fmean(warm(waits))), None


def summarise(ss: list[Any], theory: float) -> dict[str, Any]:
    """One engine's samples (seconds, customers, mean wait, scheduler events) in figures."""
    waits = [s[2] for s in ss]
    mean = statistics.fmean(waits)
    half = (
        T975.get(len(waits) - 1, 2.0) * statistics.stdev(waits) / math.sqrt(len(waits))
        if len(waits) > 1
        else math.nan
    )
    sched = [s[3] for s in ss if s[3] is not None]
    return {
        "us_per_customer": median([s[0] / s[1] for s in ss]) * 1e6,
        "customers_per_run": median([s[1] for s in ss]),
        "run_s": median([s[0] for s in ss]),
        "mean_wait": mean,
        "mean_wait_half_width": half,
        "wait_vs_erlang_c": mean / theory,
        "scheduler_events_per_customer": median([s[3] / s[1] for s in ss]) if sched else None,
    }


def run(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    lam, mean_service, c = 0.2, 8.0, 2
    horizon = cfg["mmc_horizon"]
    reps = cfg["mmc_reps"]
    theory = erlang_c_wait(lam, 1.0 / mean_service, c)
    sc = mmc_scenario(lam, mean_service, c, horizon)
    peers: dict[str, Callable[[int], Any]] = {
        "orgsim": lambda s: mmc_orgsim(sc, s + 1),
        "simpy": lambda s: mmc_simpy(lam, mean_service, c, horizon, s),
        "ciw": lambda s: mmc_ciw(lam, mean_service, c, horizon, s),
    }
    for fn in peers.values():  # warm-up
        fn(1000)
    samples: dict[str, list[Any]] = {k: [] for k in peers}
    for s in range(reps):  # interleaved, so drift hits every peer alike
        for k, fn in peers.items():
            samples[k].append(fn(s))
    out: dict[str, Any] = {
        "lambda": lam,
        "mean_service": mean_service,
        "servers": c,
        "horizon": horizon,
        "replications": reps,
        "erlang_c_wait": theory,
    }
    rows = []
    for k, ss in samples.items():
        m = out[k] = summarise(ss, theory)
        rows.append(
            [
                k,
                m["us_per_customer"],
                m["customers_per_run"],
                m["mean_wait"],
                m["mean_wait_half_width"],
                m["wait_vs_erlang_c"],
            ]
        )
    for k, row in zip(samples, rows, strict=True):  # once simpy's and Ciw's are known
        us = out[k]["us_per_customer"]
        out[k]["time_vs_simpy"] = us / out["simpy"]["us_per_customer"]
        out[k]["time_vs_ciw"] = us / out["ciw"]["us_per_customer"]
        row += [out[k]["time_vs_simpy"], out[k]["time_vs_ciw"]]
    out["orgsim_vs_ciw"] = out["orgsim"]["time_vs_ciw"]
    out["target_orgsim_vs_ciw"] = TARGET_VS_CIW
    table(
        f"Peers on the same M/M/{c} queue (lambda={lam}, mean service={mean_service}, "
        f"horizon={horizon:g}; Erlang C wait = {theory:.2f} days); "
        "target: orgsim's us per conflict <= Ciw's",
        [
            "engine",
            "us/conflict",
            "conflicts",
            "mean wait",
            "+/-",
            "wait/ErlangC",
            "time/simpy",
            "time/ciw",
        ],
        rows,
    )
    print(
        f"  orgsim / Ciw = {out['orgsim_vs_ciw']:.2f} us per conflict (target <= "
        f"{TARGET_VS_CIW:g}); a customer of the queue is one conflict"
    )
    res["peers"] = out
