"""The ``orgsim`` command line: a thin layer over the library API.

Each sub-command parses its options, makes one library call, and prints. Every
error orgsim raises on purpose (:class:`~orgsim.errors.OrgsimError`) becomes one
readable line on stderr and exit status 2; an interrupt exits 130 (Ctrl-C) or
143 (SIGTERM to ``compare``, ``sweep`` or ``explore``) after whatever was already
committed has been kept.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

from orgsim import api
from orgsim._version import __version__
from orgsim.engine.events import payload
from orgsim.errors import ExperimentError, OrgsimError, StoreError, printable
from orgsim.experiments import attribution, limits, runner
from orgsim.experiments.calibrate.observations import AbcSettings
from orgsim.experiments.explore.explain import explained_scenario
from orgsim.experiments.explore.spec import ExploreSpec, load_explore
from orgsim.experiments.patterns import SCENARIOS, check_patterns
from orgsim.experiments.sweep.design import sweep_runs
from orgsim.experiments.sweep.spec import load_sweep
from orgsim.experiments.tornado import tornado_runs
from orgsim.metrics.catalogue import metric
from orgsim.reporting import terminal
from orgsim.reporting.attribution import attribution_json, print_attribution
from orgsim.reporting.calibrate import generation_line, print_calibration
from orgsim.reporting.documents import (
    comparison_json,
    dumps,
    patterns_json,
    run_json,
    sweep_json,
    tornado_json,
)
from orgsim.reporting.explore import explore_json, print_explore, print_posterior_verdict
from orgsim.reporting.fork import fork_json, print_fork, print_forks
from orgsim.scenario.convert import unstructure
from orgsim.scenario.files import bundled_scenarios
from orgsim.scenario.loading import load_scenario
from orgsim.storage.eventstore import EventStore

logger = logging.getLogger("orgsim")

EXIT_USAGE = 2
EXIT_IMPRECISE = 3  # compare --precision: the target was not reached within --max-runs
EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130, as a shell reports Ctrl-C
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in orgsim's one-line style, exit 2."""

    def error(self, message: str) -> Any:
        sys.stderr.write(f"orgsim: error: {printable(message)} (see `{self.prog} --help`)\n")
        raise SystemExit(EXIT_USAGE)


def _add_scenario_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario TOML file, or a bundled name (midsize, ...)")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a parameter, e.g. --set broker.mediators=3 (repeatable)",
    )


def _add_allow_large(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--allow-large",
        action="store_true",
        help="run even past the size limits (design points, runs, estimated time and "
        "memory; see docs/cli.md, Limits)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = _Parser(
        prog="orgsim",
        description="When does a neutral VP of Product Management pay off, and by how much?",
    )
    parser.add_argument("--version", action="version", version=f"orgsim {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of bugs")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_run(sub)
    _add_compare(sub)
    _add_sweep(sub)
    _add_explore(sub)
    _add_calibrate(sub)
    _add_tornado(sub)
    _add_patterns(sub)
    validate = sub.add_parser("validate", help="check a scenario file")
    _add_scenario_options(validate)
    validate.add_argument("--show", action="store_true", help="print the resolved scenario")
    _add_events(sub)
    _add_fork(sub)
    _add_report(sub)
    sub.add_parser("scenarios", help="list the bundled scenarios")
    return parser


def _add_report_flag(p: argparse.ArgumentParser, where: str = "the output folder") -> None:
    p.add_argument(
        "--report",
        action="store_true",
        help=f"also write a self-contained HTML report, report.html, into {where}",
    )


def _add_report(sub: Any) -> None:
    """The ``report`` sub-command's options."""
    rep = sub.add_parser(
        "report",
        help="write OUT_DIR/report.html: the experiment in OUT_DIR as one self-contained page",
    )
    rep.add_argument(
        "out", metavar="OUT_DIR", help="an output folder of compare, sweep or explore (--out)"
    )
    rep.add_argument(
        "--static",
        action="store_true",
        help="embed the SVG charts instead of interactive ones (the default without plotly)",
    )


def _add_run(sub: Any) -> None:
    """The ``run`` sub-command's options."""
    run = sub.add_parser("run", help="simulate one run and print a summary")
    _add_scenario_options(run)
    run.add_argument("--seed", type=int, default=None, help="root seed (default: scenario's)")
    run.add_argument(
        "--broker",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="with (--broker) or without (--no-broker) the VP PM; default: scenario's",
    )
    run.add_argument(
        "--db",
        default="runs/events.sqlite",
        help="SQLite event store to append the run to (default: %(default)s); '' to skip",
    )
    run.add_argument("--json", action="store_true", help="print the metrics as JSON")
    run.add_argument(
        "--replications",
        type=_count(1),
        default=1,
        help="run replications 0 .. N-1 (each stored in --db: what `orgsim fork --run all` "
        "forks; default 1)",
    )
    _add_allow_large(run)


def _add_compare(sub: Any) -> None:
    """The ``compare`` sub-command's options."""
    comp = sub.add_parser(
        "compare", help="paired runs with and without the broker, with CIs and charts"
    )
    _add_scenario_options(comp)
    comp.add_argument("--runs", type=int, default=30, help="replications per arm (>= 2)")
    comp.add_argument("--jobs", type=int, default=None, help="worker processes (default: all)")
    comp.add_argument("--seed", type=int, default=None, help="root seed (default: scenario's)")
    comp.add_argument(
        "--executor", choices=("serial", "local", "dask"), default="local", help="where to run"
    )
    comp.add_argument("--out", default="out/compare", help="output folder (default: %(default)s)")
    comp.add_argument(
        "--precision",
        type=float,
        default=None,
        help="add replications until headline CIs are within this share of the mean",
    )
    comp.add_argument(
        "--max-runs",
        type=int,
        default=None,
        help="cap on replications with --precision, >= --runs (default: 1000 or --runs)",
    )
    comp.add_argument(
        "--correction",
        choices=("holm", "bh", "none"),
        default="holm",
        help="multiple-comparison correction over the metrics (default: %(default)s)",
    )
    comp.add_argument(
        "--ci", choices=("t", "bootstrap"), default="t", help="CI method (default: %(default)s)"
    )
    comp.add_argument("--no-charts", action="store_true", help="skip the charts")
    comp.add_argument("--json", action="store_true", help="print the table as JSON")
    _add_report_flag(comp)
    comp.add_argument(
        "--explain",
        action="store_true",
        help="attribute the net-value difference to the broker's channels (Shapley values; "
        "65 runs per replication)",
    )
    comp.add_argument(
        "--explain-runs",
        type=int,
        default=None,
        help=f"replications of --explain (>= 2; default {attribution.DEFAULT_RUNS}); implies it",
    )
    comp.add_argument(
        "--posterior",
        default=None,
        metavar="DIR",
        help="decide under a calibration's posterior (orgsim calibrate --out DIR): paired "
        "runs at parameter sets drawn from it; --runs is then per draw (default 2)",
    )
    comp.add_argument(
        "--draws", type=int, default=40, help="with --posterior: parameter sets drawn (default 40)"
    )
    _add_allow_large(comp)


def _add_tornado(sub: Any) -> None:
    """The ``tornado`` sub-command's options."""
    tor = sub.add_parser(
        "tornado",
        help="the broker's effect at both ends of each uncertain number's plausible range",
    )
    _add_scenario_options(tor)
    tor.add_argument("--metric", default="net_value", help="metric (default: %(default)s)")
    tor.add_argument(
        "--screen", type=int, default=4, help="replications per end to rank parameters (>= 2)"
    )
    tor.add_argument(
        "--runs", type=int, default=20, help="replications per end of the measured ones"
    )
    tor.add_argument("--top", type=int, default=10, help="parameters measured (default 10)")
    tor.add_argument("--jobs", type=int, default=None, help="worker processes (default: all)")
    tor.add_argument("--seed", type=int, default=None, help="root seed (default: scenario's)")
    tor.add_argument(
        "--executor", choices=("serial", "local", "dask"), default="local", help="where to run"
    )
    tor.add_argument("--out", default="out/tornado", help="output folder (default: %(default)s)")
    tor.add_argument("--no-charts", action="store_true", help="skip the tornado diagram")
    tor.add_argument("--json", action="store_true", help="print the result as JSON")
    _add_allow_large(tor)


def _add_patterns(sub: Any) -> None:
    """The ``patterns`` sub-command's options."""
    pat = sub.add_parser(
        "patterns", help="check the stylised facts the model should reproduce (bundled scenarios)"
    )
    pat.add_argument("--runs", type=int, default=20, help="paired replications per scenario")
    pat.add_argument("--jobs", type=int, default=None, help="worker processes (default: all)")
    pat.add_argument("--seed", type=int, default=None, help="root seed (default: scenarios')")
    pat.add_argument(
        "--executor", choices=("serial", "local", "dask"), default="local", help="where to run"
    )
    pat.add_argument("--out", default="out/patterns", help="output folder (default: %(default)s)")
    pat.add_argument("--json", action="store_true", help="print the checks as JSON")


def _add_sweep(sub: Any) -> None:
    """The ``sweep`` sub-command's options."""
    sweep = sub.add_parser(
        "sweep", help="a parameter sweep (grid, LHS, Sobol, Morris): resumable, with charts"
    )
    sweep.add_argument("file", help="sweep TOML file, or a bundled sweep name (size-vs-conflict)")
    sweep.add_argument(
        "--executor",
        choices=("serial", "local", "dask"),
        default=None,
        help="where to run (default: local processes; dask with --scheduler)",
    )
    sweep.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDR",
        help="a running Dask scheduler, tcp://host:8786 (default with dask: a LocalCluster)",
    )
    sweep.add_argument(
        "--jobs", type=int, default=None, help="worker processes (default: all cores)"
    )
    sweep.add_argument("--out", default=None, help="output folder (default: out/sweep-<name>)")
    sweep.add_argument(
        "--resume", action="store_true", help="continue a sweep in --out, skipping committed runs"
    )
    sweep.add_argument(
        "--keep-events",
        default=None,
        metavar="all|K",
        help="keep the event logs of every run, or of the first K replications per point",
    )
    sweep.add_argument("--no-charts", action="store_true", help="skip the charts")
    sweep.add_argument("--json", action="store_true", help="print the result as JSON")
    _add_report_flag(sweep)
    _add_allow_large(sweep)


def _add_explore(sub: Any) -> None:
    """The ``explore`` sub-command's options."""
    exp = sub.add_parser(
        "explore",
        help="policies (levers) across the uncertainties: how likely each pays, regret, "
        "where the broker pays (PRIM, CART), what drives it",
    )
    exp.add_argument(
        "file", help="explore TOML file, or a bundled one's name (when-does-the-broker-pay)"
    )
    exp.add_argument(
        "--executor",
        choices=("serial", "local", "dask"),
        default=None,
        help="where to run (default: local processes; dask with --scheduler)",
    )
    exp.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDR",
        help="a running Dask scheduler, tcp://host:8786 (default with dask: a LocalCluster)",
    )
    exp.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    exp.add_argument("--out", default=None, help="output folder (default: out/explore-<name>)")
    exp.add_argument(
        "--resume",
        action="store_true",
        help="continue an ensemble in --out, skipping committed runs",
    )
    exp.add_argument("--no-charts", action="store_true", help="skip the charts")
    exp.add_argument("--json", action="store_true", help="print summary.json")
    _add_report_flag(exp)
    exp.add_argument(
        "--explain",
        type=_count(0),
        default=None,
        metavar="POINT",
        help="instead of the ensemble, attribute the broker's effect at this point "
        "(points.csv's 'point') to its channels (Shapley values; 65 runs per replication)",
    )
    exp.add_argument(
        "--explain-lever",
        default=None,
        metavar="LEVER",
        help="the lever --explain explains (default: the file's focus lever)",
    )
    exp.add_argument(
        "--explain-runs",
        type=int,
        default=None,
        help=f"replications of --explain (>= 2; default {attribution.DEFAULT_RUNS})",
    )
    _add_allow_large(exp)


def _explain_point(spec: ExploreSpec, executor: str, args: argparse.Namespace) -> int:
    """``explore --explain POINT``: the attribution of one point, not the ensemble."""
    scenario, _, _ = explained_scenario(spec, args.explain, args.explain_lever)
    runs = attribution.plan(
        scenario, runs=args.explain_runs, jobs=args.jobs, allow_large=args.allow_large
    )
    total = attribution.attribution_runs(runs)
    with _sigterm_interrupts(), terminal.progress_bar(total, enabled=not args.json) as tick:
        found = api.explain_point(
            spec,
            args.explain,
            lever=args.explain_lever,
            runs=runs,
            executor=executor,
            jobs=args.jobs,
            scheduler=args.scheduler,
            out=args.out,
            charts=not args.no_charts,
            progress=tick,
            command=args.command_line,
            allow_large=args.allow_large,
        )
    if args.json:
        sys.stdout.write(dumps(attribution_json(found)))
    else:
        print_attribution(found)
    return _failures(found.failed, found.db)


def _day(text: str) -> float:
    """An ``events`` day option: a finite number of days, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a day (a number >= 0), got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a day (a finite number >= 0), got {text!r}")
    return value


SQLITE_MAX_INT = 2**63 - 1  # the largest integer SQLite stores (run ids, limits)


def _count(least: int) -> Callable[[str], int]:
    """An integer option from ``least`` to the largest integer SQLite stores."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not least <= value <= SQLITE_MAX_INT:
            raise argparse.ArgumentTypeError(
                f"expected an integer from {least} to {SQLITE_MAX_INT}, got {text!r}"
            )
        return value

    return parse


def _add_events(sub: Any) -> None:
    """The ``events`` sub-command's options."""
    evs = sub.add_parser("events", help="query, replay and audit a stored event log")
    evs.add_argument("db", help="SQLite event store written by `orgsim run` (only read)")
    evs.add_argument("--run", type=_count(1), default=None, help="run id (default: list the runs)")
    evs.add_argument(
        "--type", dest="types", action="append", default=[], help="event type (repeatable)"
    )
    evs.add_argument("--from", dest="start", type=_day, default=None, help="from day")
    evs.add_argument("--to", dest="end", type=_day, default=None, help="to day")
    evs.add_argument("--limit", type=_count(0), default=50, help="most events shown (0: all)")
    evs.add_argument(
        "--state-at", type=_day, default=None, help="replay the log to this day, show state"
    )
    evs.add_argument(
        "--verify",
        action="store_true",
        help="recompute the log's digest and check the whole file (PRAGMA integrity_check)",
    )
    evs.add_argument("--json", action="store_true", help="JSON lines instead of a table")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``orgsim`` console script."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.command_line = ["orgsim", *argv]  # provenance: what was asked, as given
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        handler = _COMMANDS[args.command]
        return handler(args)
    except OrgsimError as exc:
        sys.stderr.write(f"orgsim: error: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        sys.stderr.write("orgsim: interrupted; everything already committed is kept\n")
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if args.debug:
            raise
        sys.stderr.write(
            f"orgsim: internal error: {type(exc).__name__}: {exc} "
            "(this is a bug; rerun with --debug for the traceback)\n"
        )
        return 1


# ---------------------------------------------------------------------- commands


def _cmd_run(args: argparse.Namespace) -> int:
    scenario = runner.resolve(args.scenario, args.overrides)
    limits.check_run(scenario, allow_large=args.allow_large)  # hours: say so first
    if args.replications > 1:
        return _run_replications(scenario, args)
    result = runner.run_scenario(
        scenario,
        seed=args.seed,
        broker=args.broker,
        db=args.db or None,
        command=args.command_line,
    )
    if args.json:
        sys.stdout.write(dumps(run_json(result)))
    else:
        terminal.print_run_summary(result)
    return 0


def _run_replications(scenario: Any, args: argparse.Namespace) -> int:
    """``run --replications N``: replications 0 .. N-1, each stored, one line each."""
    if not args.db:
        raise ExperimentError("--replications needs an event store to keep the runs (--db)")
    docs = []
    for rep in range(args.replications):
        result = runner.run_scenario(
            scenario,
            seed=args.seed,
            broker=args.broker,
            replication=rep,
            db=args.db,
            command=args.command_line,
        )
        if args.json:
            docs.append(run_json(result))
            continue
        net = metric("net_value").format(result.metrics["net_value"])
        sys.stdout.write(
            f"replication {rep}: run {result.run_id} in {result.db}, {len(result.log):,} "
            f"events, net value {net}, log sha256 {result.log.digest()[:12]}\n"
        )
    if args.json:
        sys.stdout.write(dumps({"runs": docs}))
    return 0


#: What an event store's file name ends with: ``orgsim compare STORE`` compares its forks.
STORE_SUFFIXES = (".sqlite", ".sqlite3", ".db")


def _cmd_compare(args: argparse.Namespace) -> int:
    if Path(args.scenario).suffix in STORE_SUFFIXES and Path(args.scenario).is_file():
        # an event store, not a scenario: every fork in it against its parent, on
        # the same random numbers after the fork's day (orgsim fork STORE --compare)
        results = api.compare_forks(args.scenario, correction=args.correction, ci=args.ci)
        if args.json:
            sys.stdout.write(dumps({"comparisons": [fork_json(r) for r in results]}))
        else:
            print_forks(results)
        _report(args, lambda: api.fork_report(results))
        return 0
    if args.posterior is not None:
        return _compare_posterior(args)
    explain = args.explain or args.explain_runs is not None
    total = args.runs * 2
    if explain:
        total += attribution.attribution_runs(args.explain_runs or attribution.DEFAULT_RUNS)
    with _sigterm_interrupts(), terminal.progress_bar(total, enabled=not args.json) as tick:
        result = api.compare(
            args.scenario,
            runs=args.runs,
            seed=args.seed,
            jobs=args.jobs,
            executor=args.executor,
            out=args.out,
            overrides=args.overrides,
            precision=args.precision,
            max_runs=args.max_runs,
            charts=not args.no_charts,
            progress=tick,
            command=args.command_line,
            allow_large=args.allow_large,
            explain=explain,
            explain_runs=args.explain_runs,
            correction=args.correction,
            ci=args.ci,
        )
    explained = getattr(result, "attribution", None)
    if args.json:
        doc = comparison_json(result)
        if explained is not None:
            doc["attribution"] = attribution_json(explained)
        sys.stdout.write(dumps(doc))
    else:
        terminal.print_comparison(result)
        if explained is not None:
            print_attribution(explained)
    _report(args, lambda: api.report(result.out))
    status = _failures(result.failed, result.db)
    if explained is not None:
        status = max(status, _failures(explained.failed, explained.db))
    check = result.precision
    if check is None or check.met:
        return status
    missed = ", ".join(f"{k} {terminal.precision_share(v)}" for k, v in check.missed.items())
    sys.stderr.write(
        f"orgsim: error: --precision {check.target:g} not reached within the cap of "
        f"{check.max_runs} paired replications (--max-runs): {len(check.missed)} "
        "headline metric(s) short of it "
        f"(95% CI half-width / |mean|, worse arm: {missed}); the {result.runs} paired "
        f"replications are kept in {result.db}\n"
    )
    return status or EXIT_IMPRECISE


def _compare_posterior(args: argparse.Namespace) -> int:
    """``compare --posterior``: the broker at the calibrated company (see api.posterior_explore)."""
    runs = 2 if "--runs" not in args.command_line else args.runs
    out = args.out if "--out" in args.command_line else None
    total = args.draws * 2 * runs
    with _sigterm_interrupts(), terminal.progress_bar(total, enabled=not args.json) as tick:
        result = api.posterior_explore(
            args.scenario,
            args.posterior,
            draws=args.draws,
            runs=runs,
            seed=args.seed,
            overrides=args.overrides,
            executor=args.executor,
            jobs=args.jobs,
            out=out,
            charts=not args.no_charts,
            progress=tick,
            command=args.command_line,
            allow_large=args.allow_large,
        )
    if args.json:
        sys.stdout.write(dumps(explore_json(result)))
    else:
        print_posterior_verdict(result)
        print_explore(result)
    return _failures(result.failed, result.db, retry="rerun with --resume to retry them")


class Terminated(KeyboardInterrupt):
    """SIGTERM, unwinding like Ctrl-C; ``main`` exits 143 for it instead of 130."""


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """While a comparison or a sweep runs, SIGTERM unwinds like Ctrl-C.

    The executor kills its workers and the database closes with every committed
    run; ``main`` prints the interrupt line and exits 143. The handler works once:
    a second SIGTERM (the caller lost patience with the clean-up) kills at once,
    and the workers die with this process (see ``executors.die_with_parent``).
    A process forked before its own set-up inherits the handler: in it the signal
    just kills.
    """
    owner = os.getpid()

    def terminate(signum: int, _frame: Any) -> None:
        signal.signal(signum, signal.SIG_DFL)
        if os.getpid() != owner:
            os.kill(os.getpid(), signum)
            return
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _cmd_tornado(args: argparse.Namespace) -> int:
    scenario = runner.resolve(args.scenario, args.overrides)
    total = tornado_runs(scenario, screen=args.screen, runs=args.runs, top=args.top)
    with _sigterm_interrupts(), terminal.progress_bar(total, enabled=not args.json) as tick:
        result = api.tornado(
            scenario,
            charts=not args.no_charts,
            metric=args.metric,
            screen=args.screen,
            runs=args.runs,
            top=args.top,
            seed=args.seed,
            executor=args.executor,
            jobs=args.jobs,
            out=args.out,
            progress=tick,
            command=args.command_line,
            allow_large=args.allow_large,
        )
    if args.json:
        sys.stdout.write(dumps(tornado_json(result)))
    else:
        terminal.print_tornado(result)
    return 0


def _cmd_patterns(args: argparse.Namespace) -> int:
    total = 2 * args.runs * len(SCENARIOS) if isinstance(args.runs, int) else 0
    with _sigterm_interrupts(), terminal.progress_bar(total, enabled=not args.json) as tick:
        checks = check_patterns(
            runs=args.runs,
            seed=args.seed,
            executor=args.executor,
            jobs=args.jobs,
            out=args.out,
            progress=tick,
            command=args.command_line,
        )
    if args.json:
        sys.stdout.write(dumps(patterns_json(checks)))
    else:
        terminal.print_patterns(checks)
    return 0


def _executor(args: argparse.Namespace) -> str:
    """A sweep's or an explore's executor: local by default, dask with --scheduler."""
    executor: str = args.executor or ("dask" if args.scheduler else "local")
    if args.scheduler and executor != "dask":
        raise ExperimentError("--scheduler needs --executor dask")
    return executor


def _cmd_sweep(args: argparse.Namespace) -> int:
    executor = _executor(args)
    spec = load_sweep(args.file)
    total = sweep_runs(spec)  # counted, not built: the design is checked in api.sweep
    with _sigterm_interrupts(), terminal.progress_bar(total, enabled=not args.json) as tick:
        result = api.sweep(
            spec,
            executor=executor,
            jobs=args.jobs,
            scheduler=args.scheduler,
            out=args.out,
            resume=args.resume,
            keep_events=args.keep_events,
            charts=not args.no_charts,
            progress=tick,
            command=args.command_line,
            allow_large=args.allow_large,
        )
    if args.json:
        sys.stdout.write(dumps(sweep_json(result)))
    else:
        terminal.print_sweep(result)
    _report(args, lambda: api.report(result.out))
    return _failures(result.failed, result.db, retry="rerun with --resume to retry them")


def _cmd_explore(args: argparse.Namespace) -> int:
    executor = _executor(args)
    spec = load_explore(args.file)
    if args.explain is not None:
        return _explain_point(spec, executor, args)
    if args.explain_lever is not None or args.explain_runs is not None:
        raise ExperimentError("--explain-lever and --explain-runs need --explain POINT")
    total = spec.runs()  # counted, not built: the ensemble is checked in api.explore
    with _sigterm_interrupts(), terminal.progress_bar(total, enabled=not args.json) as tick:
        result = api.explore(
            spec,
            executor=executor,
            jobs=args.jobs,
            scheduler=args.scheduler,
            out=args.out,
            resume=args.resume,
            charts=not args.no_charts,
            progress=tick,
            command=args.command_line,
            allow_large=args.allow_large,
        )
    if args.json:
        sys.stdout.write(dumps(explore_json(result)))
    else:
        print_explore(result)
    _report(args, lambda: api.report(result.out))
    return _failures(result.failed, result.db, retry="rerun with --resume to retry them")


def _failures(failed: Sequence[str], db: Path, retry: str = "rerun to retry them") -> int:
    """Name the runs that raised (one line on stderr) and give the exit status."""
    if not failed:
        return 0
    shown = ", ".join(failed[:10]) + (" ..." if len(failed) > 10 else "")
    sys.stderr.write(
        f"orgsim: error: {len(failed)} run(s) failed: {shown}; tracebacks are in {db} ({retry})\n"
    )
    return 1


def _cmd_validate(args: argparse.Namespace) -> int:
    sc = load_scenario(args.scenario, args.overrides)
    if args.show:
        sys.stdout.write(json.dumps(unstructure(sc), indent=2) + "\n")
    else:
        staff = sum(sc.departments[n].staff for n in sc.active_departments)
        broker = (
            "on" if sc.broker.enabled else "appointed by an intervention" if sc.appoints else "off"
        )
        changes = sum(iv.enabled for iv in sc.interventions)
        sys.stdout.write(
            f"{args.scenario}: valid ({sc.name}: {len(sc.active_departments)} departments, "
            f"{staff} staff, {sc.delivery.products} products, broker {broker}, "
            + (f"{changes} intervention{'s' if changes != 1 else ''}, " if changes else "")
            + f"hash {sc.digest()})\n"
        )
    return 0


def _cmd_events(args: argparse.Namespace) -> int:
    if not Path(args.db).is_file():
        raise StoreError(f"no such event store: {args.db}")
    if args.start is not None and args.end is not None and args.start > args.end:
        raise StoreError(f"--from {args.start:g} is after --to {args.end:g}: no event can match")
    # A store closed cleanly is read without locks (immutable), which a run writing
    # to it at that moment can make look damaged: if the file changed while it was
    # read, read it again with SQLite's locks before calling it damaged.
    before = _file_state(args.db)
    try:
        with EventStore(args.db, readonly=True) as store:
            return _show_events(store, args)
    except StoreError:
        if _file_state(args.db) == before:
            raise
    with EventStore(args.db, readonly=True, live=True) as store:
        return _show_events(store, args)


def _file_state(path: str) -> tuple[tuple[int, int] | None, ...]:
    """Size and modification time of a store and its write-ahead log (None: absent)."""
    out: list[tuple[int, int] | None] = []
    for name in (path, f"{path}-wal"):
        try:
            st = os.stat(name)
        except FileNotFoundError:
            out.append(None)
        else:
            out.append((st.st_size, st.st_mtime_ns))
    return tuple(out)


def _show_events(store: EventStore, args: argparse.Namespace) -> int:
    """What ``orgsim events`` prints: the runs, one run's events, its state at t, or its audit."""
    if args.run is None:
        terminal.print_runs(store.runs())
        return 0
    info = store.run(args.run)
    if args.verify:
        ok = store.verify(args.run)
        problems = store.integrity()
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise StoreError(
                f"event store {args.db!r} is damaged: PRAGMA integrity_check: "
                f"{problems[0][:120]}{more}; run {args.run}'s own log "
                f"{'verified' if ok else 'does not match its digest'}"
            )
        sys.stdout.write(
            f"run {args.run}: {info.events} events, digest {info.digest[:16]}… "
            f"{'verified' if ok else 'MISMATCH: the stored log was altered'}\n"
        )
        return 0 if ok else 1
    if args.state_at is not None:
        terminal.print_state(store.replay(args.run, until=args.state_at), args.state_at)
        return 0
    events = store.events(args.run, types=args.types, start=args.start, end=args.end)
    shown = events if args.limit == 0 else events[: args.limit]
    for e in shown:
        fields = payload(e)
        if args.json:
            doc = {"seq": e.seq, "time": e.time, "type": type(e).__name__, **fields}
            sys.stdout.write(json.dumps(doc) + "\n")
        else:
            text = " ".join(f"{k}={v}" for k, v in fields.items())
            sys.stdout.write(f"{e.seq:>7} {e.time:>9.2f}  {type(e).__name__:<20} {text}\n")
    if len(shown) < len(events) and not args.json:
        sys.stdout.write(f"… {len(events) - len(shown)} more (use --limit 0 for all)\n")
    return 0


def _add_fork(sub: Any) -> None:
    """The ``fork`` sub-command's options."""
    fk = sub.add_parser(
        "fork",
        help="re-run stored runs with a change at a day (counterfactual forks), and compare",
    )
    fk.add_argument("db", help="SQLite event store written by `orgsim run --db` (forks go in it)")
    fk.add_argument(
        "--run",
        dest="runs",
        action="append",
        default=[],
        metavar="ID",
        help="run id to fork (repeatable, or 1,2,3), or 'all': every run that is not a fork",
    )
    fk.add_argument("--at", type=_day, default=None, help="the day of the change")
    fk.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="change a parameter at --at, e.g. --set conflicts.drag=0.05 (repeatable)",
    )
    fk.add_argument(
        "--intervene",
        action="append",
        default=[],
        metavar="ACTION",
        help="act at --at: appoint (the broker), mediators=+2, mediators=-1 (repeatable)",
    )
    fk.add_argument(
        "--compare",
        action="store_true",
        help="make nothing: pair every stored fork with its parent and compare them",
    )
    fk.add_argument(
        "--correction",
        choices=("holm", "bh", "none"),
        default="holm",
        help="multiple-comparison correction over the metrics (default: %(default)s)",
    )
    fk.add_argument(
        "--ci", choices=("t", "bootstrap"), default="t", help="CI method (default: %(default)s)"
    )
    fk.add_argument("--json", action="store_true", help="print the result as JSON")
    _add_report_flag(fk, "the event store's folder")


def _cmd_fork(args: argparse.Namespace) -> int:
    if args.compare:
        options = {"--run": args.runs, "--at": args.at, "--set": args.sets}
        options["--intervene"] = args.intervene
        given = [o for o, v in options.items() if v not in (None, [])]
        if given:
            raise ExperimentError(
                f"--compare compares the forks already stored: drop {', '.join(given)}"
            )
        results = api.compare_forks(args.db, correction=args.correction, ci=args.ci)
        if args.json:
            sys.stdout.write(dumps({"comparisons": [fork_json(r) for r in results]}))
        else:
            print_forks(results)
        _report(args, lambda: api.fork_report(results))
        return 0
    missing = [o for o, v in (("--run", args.runs), ("--at", args.at)) if v in (None, [])]
    if missing:
        raise ExperimentError(
            f"orgsim fork needs {' and '.join(missing)} (or --compare, to compare stored forks)"
        )
    runs = [part.strip() for given in args.runs for part in given.split(",")]
    result = api.fork(
        args.db,
        runs,
        args.at,
        sets=args.sets,
        intervene=args.intervene,
        command=args.command_line,
        correction=args.correction,
        ci=args.ci,
    )
    if args.json:
        sys.stdout.write(dumps(fork_json(result)))
    else:
        print_fork(result)
    _report(args, lambda: api.fork_report(result))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    _said(api.report(args.out, interactive=False if args.static else None), sys.stdout)
    return 0


def _report(args: argparse.Namespace, write: Callable[[], Path]) -> None:
    """With ``--report``, write the report and say where (on stderr under ``--json``)."""
    if args.report:
        _said(write(), sys.stderr if args.json else sys.stdout)


def _said(path: Path, stream: Any) -> None:
    stream.write(f"Report: {path} ({path.stat().st_size:,} bytes; opens offline)\n")


def _cmd_scenarios(args: argparse.Namespace) -> int:
    for name, path in bundled_scenarios().items():
        sc = load_scenario(path)
        staff = sum(sc.departments[n].staff for n in sc.active_departments)
        rel = Path("scenarios") / path.name
        sys.stdout.write(f"{name:<12} {staff:>6} staff  {rel}  {sc.description}\n")
    return 0


def _add_calibrate(sub: Any) -> None:
    """The ``calibrate`` sub-command's options."""
    cal = sub.add_parser(
        "calibrate",
        help="fit the uncertain constants to what a company observes (ABC-SMC), check the fit",
    )
    cal.add_argument("scenario", help="scenario TOML file, or a bundled name (midsize, ...)")
    cal.add_argument("observed", help="observations file (TOML; see docs/calibrate.md)")
    cal.add_argument("--out", default=None, help="output folder (default: out/calibrate-<name>)")
    cal.add_argument(
        "--executor",
        choices=("serial", "local", "dask"),
        default=None,
        help="where to simulate (default: local processes; dask with --scheduler)",
    )
    cal.add_argument("--scheduler", default=None, metavar="ADDR", help="a running Dask scheduler")
    cal.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    cal.add_argument(
        "--resume", action="store_true", help="go on with the calibration stored in --out"
    )
    cal.add_argument("--seed", type=int, default=None, help="root seed (default: the file's)")
    for flag, kind, what in (
        ("--population", int, "accepted particles per generation"),
        ("--generations", int, "most generations"),
        ("--min-epsilon", float, "stop once the threshold is this low (RMS error in sds)"),
        ("--max-simulations", int, "stop once this many simulations are made"),
        ("--quantile", float, "each threshold is this quantile of the last distances"),
        ("--min-acceptance", float, "stop when a generation accepts fewer than this share"),
    ):
        cal.add_argument(flag, type=kind, default=None, help=f"{what} (default: the file's [abc])")
    cal.add_argument("--no-charts", action="store_true", help="skip the charts")
    cal.add_argument("--json", action="store_true", help="print calibration.json")


_ABC_FLAGS = tuple(f.name for f in attrs.fields(AbcSettings))  # --population, ...


def _cmd_calibrate(args: argparse.Namespace) -> int:
    executor = _executor(args)
    settings = {k: getattr(args, k) for k in _ABC_FLAGS if getattr(args, k) is not None}
    if "population" in settings and settings["population"] < 10:
        raise ExperimentError(f"--population must be at least 10, got {settings['population']}")

    def progress(g: Any) -> None:
        if not args.json:
            sys.stderr.write(generation_line(g) + "\n")

    with _sigterm_interrupts():
        result = api.calibrate(
            args.scenario,
            args.observed,
            out=args.out,
            executor=executor,
            jobs=args.jobs,
            scheduler=args.scheduler,
            resume=args.resume,
            settings=settings,
            seed=args.seed,
            charts=not args.no_charts,
            progress=progress,
            command=args.command_line,
        )
    if args.json:
        sys.stdout.write(dumps(result.to_dict()))
    else:
        print_calibration(result)
    return 0


_COMMANDS = {
    "run": _cmd_run,
    "compare": _cmd_compare,
    "sweep": _cmd_sweep,
    "explore": _cmd_explore,
    "tornado": _cmd_tornado,
    "patterns": _cmd_patterns,
    "validate": _cmd_validate,
    "scenarios": _cmd_scenarios,
    "events": _cmd_events,
    "fork": _cmd_fork,
    "calibrate": _cmd_calibrate,
    "report": _cmd_report,
}
