"""Reliability and security drills against a real ``credit-scoring serve`` (2 workers,
PostgreSQL decision log, production settings), one subcommand each; every drill prints its
figures and a PASS/FAIL line and exits non-zero on failure.

    .venv/bin/python benchmarks/drills.py load        # 4 clients, 60 s: errors 0, rows = 200s
    .venv/bin/python benchmarks/drills.py pg-outage   # PostgreSQL stopped 20 s mid-load
    .venv/bin/python benchmarks/drills.py sigkill     # a worker SIGKILLed mid-load
    .venv/bin/python benchmarks/drills.py fuzz        # schemathesis, ≥ 1,000 cases, no 5xx
    .venv/bin/python benchmarks/drills.py hostile     # hostile payloads → clear 4xx
    .venv/bin/python benchmarks/drills.py security    # route × key matrix, logs, tampered bundle
    .venv/bin/python benchmarks/drills.py audit       # pip-audit of requirements.lock
    .venv/bin/python benchmarks/drills.py schema-break  # a decisions column renamed mid-serving
    .venv/bin/python benchmarks/drills.py spool-deleted # spool files deleted mid-load
    .venv/bin/python benchmarks/drills.py copy-cut      # DB connections cut mid-COPY (proxy)
    .venv/bin/python benchmarks/drills.py supervisor-kill  # serve SIGKILLed; workers follow
    .venv/bin/python benchmarks/drills.py slow-clients  # idle sockets, slow heads and bodies
    .venv/bin/python benchmarks/drills.py disconnects   # hang-ups mid-body: not 5xx
    .venv/bin/python benchmarks/drills.py timestamps    # extreme timestamps, any-case ids
    .venv/bin/python benchmarks/drills.py keys          # outcomes scope, revocation timing
    .venv/bin/python benchmarks/drills.py all

Options: ``--seconds`` (load length, 60), ``--outage-seconds`` (20), ``--cases`` (fuzz, 1,000),
``--work-dir`` (pipeline output, see bench_api.py; default: its full-size output when built,
else its quick one), ``--database-url`` (a PostgreSQL server on which the drills create and
drop their database; by default they run a throwaway cluster of their own — initdb in a
temporary folder, a free loopback port — so nobody else's server is touched, and pg-outage
really stops it), ``--logs-dir`` (keep the server log).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from bench_api import Artefacts
from drill_hardening import DRILL_ENV
from drill_support import (
    DrillResult,
    PrivateCluster,
    Stack,
    api_stack,
    find_artefacts,
    load_average,
    log,
)

DRILLS = (
    "load", "pg-outage", "sigkill", "fuzz", "hostile", "security", "audit", "schema-break",
    "spool-deleted", "copy-cut", "supervisor-kill", "slow-clients", "disconnects", "timestamps",
    "keys",
)  # fmt: skip
#: Drills run against one shared API, in this order (pg-outage joins before sigkill when the
#: API's database is on the throwaway cluster; sigkill is last: it kills a worker).
ON_SHARED_API = (
    "load", "fuzz", "hostile", "security", "timestamps", "keys", "disconnects",
    "slow-clients", "schema-break", "spool-deleted", "sigkill", "supervisor-kill",
)  # fmt: skip
#: Drills that start an API of their own (on the same PostgreSQL server).
ON_OWN_API = ("copy-cut",)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("drill", nargs="+", choices=(*DRILLS, "all"), help="drill(s) to run")
    parser.add_argument("--seconds", type=float, default=60.0, help="load length (s)")
    parser.add_argument(
        "--outage-seconds", type=float, default=20.0, help="PostgreSQL downtime in pg-outage (s)"
    )
    parser.add_argument("--cases", type=int, default=1000, help="fuzz: generated cases in all")
    parser.add_argument("--work-dir", type=Path, help="pipeline output to serve (bench_api.py)")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL server for the drills' database (default: a throwaway cluster)",
    )
    parser.add_argument(
        "--requirements", type=Path, help="audit: the pinned requirements (requirements.lock)"
    )
    parser.add_argument("--logs-dir", type=Path, help="copy each drill's server log here")
    return parser


def on_shared_api(
    name: str, stack: Stack, artefacts: Artefacts, args: argparse.Namespace
) -> DrillResult:
    """Run drill ``name`` against the API of ``stack``."""
    import drill_hardening as h
    from drill_input import drill_fuzz, drill_hostile
    from drill_load import drill_load, drill_sigkill
    from drill_security import drill_security

    drills: dict[str, Callable[[], DrillResult]] = {
        "load": lambda: drill_load(stack, artefacts, seconds=args.seconds),
        "sigkill": lambda: drill_sigkill(stack, artefacts, seconds=args.seconds),
        "fuzz": lambda: drill_fuzz(stack, cases=args.cases),
        "hostile": lambda: drill_hostile(stack, artefacts),
        "security": lambda: drill_security(stack, artefacts),
        "schema-break": lambda: h.drill_schema_break(stack, artefacts),
        "spool-deleted": lambda: h.drill_spool_deleted(stack, artefacts, seconds=args.seconds),
        "slow-clients": lambda: h.drill_slow_clients(stack, artefacts),
        "disconnects": lambda: h.drill_disconnects(stack, artefacts),
        "timestamps": lambda: h.drill_timestamps(stack, artefacts),
        "keys": lambda: h.drill_keys(stack, artefacts),
        "supervisor-kill": lambda: h.drill_supervisor_kill(stack, restart=args.seconds >= 30),
    }
    return drills[name]()


def guarded(name: str, run: Callable[[], DrillResult]) -> DrillResult:
    """The drill's result; one that cannot run fails (and the others still run)."""
    started = time.perf_counter()
    try:
        result = run()
    except (Exception, BaseExceptionGroup) as exc:
        result = DrillResult(name)
        result.check("the drill ran", False, f"{exc.__class__.__name__}: {exc}"[:2000])
    result.figure("drill duration (s)", time.perf_counter() - started)
    print(result.report(), flush=True)
    return result


def run_drills(names: Sequence[str], args: argparse.Namespace) -> list[DrillResult]:
    """The drills ``names``; those needing an API share one (on a throwaway PostgreSQL
    cluster unless ``--database-url`` names a server, in which case pg-outage gets its own)."""
    from drill_load import drill_pg_outage, drill_pg_outage_alone
    from drill_security import drill_audit

    results: list[DrillResult] = []
    cluster = None
    on_api = [n for n in ON_SHARED_API if n in names]
    on_own = [n for n in ON_OWN_API if n in names]
    alone = "pg-outage" in names and args.database_url is not None
    if "pg-outage" in names and not alone:
        before = next((n for n in ("sigkill", "supervisor-kill") if n in on_api), None)
        on_api.insert(on_api.index(before) if before else len(on_api), "pg-outage")
    try:
        if on_api or on_own or alone:
            artefacts = find_artefacts(args.work_dir)
        if on_api or on_own:
            admin_url = args.database_url
            if admin_url is None:
                cluster = PrivateCluster()
                cluster.init()
                admin_url = cluster.admin_url
                log(f"throwaway PostgreSQL on 127.0.0.1:{cluster.port}")
        if on_api:
            with api_stack(
                artefacts, admin_url, name="api", keep_logs=args.logs_dir, env=DRILL_ENV
            ) as stack:
                for name in on_api:
                    if name == "pg-outage":
                        assert cluster is not None
                        run = partial(
                            drill_pg_outage,
                            stack,
                            cluster,
                            artefacts,
                            seconds=args.seconds,
                            outage_seconds=args.outage_seconds,
                        )
                    else:
                        run = partial(on_shared_api, name, stack, artefacts, args)
                    results.append(guarded(name, run))
        if "copy-cut" in on_own:
            from drill_hardening import drill_copy_cut

            run = partial(
                drill_copy_cut, artefacts, admin_url, seconds=args.seconds, logs_dir=args.logs_dir
            )
            results.append(guarded("copy-cut", run))
    finally:
        if cluster is not None:
            cluster.destroy()
    if alone:
        run = partial(
            drill_pg_outage_alone,
            artefacts,
            seconds=args.seconds,
            outage_seconds=args.outage_seconds,
            logs_dir=args.logs_dir,
        )
        results.append(guarded("pg-outage", run))
    if "audit" in names:
        results.append(guarded("audit", partial(drill_audit, args.requirements)))
    return results


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    names = DRILLS if "all" in args.drill else tuple(args.drill)
    results = run_drills(names, args)
    if len(results) > 1:
        print(f"== summary (load average {load_average()})")
        for result in results:
            print(f"  {'PASS' if result.passed else 'FAIL'} {result.name}")
        verdict = "PASS" if all(r.passed for r in results) else "FAIL"
        print(f"{verdict} {' '.join(r.name for r in results)}")
    log("done")
    return 0 if results and all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
