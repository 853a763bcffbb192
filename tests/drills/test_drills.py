"""Each drill of ``benchmarks/drills.py`` runs from its command and passes (short mode)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.postgres


def _passed(run: Any, drill: str) -> None:
    """``run`` is the session's ``short_drills`` (a ``DrillRun``, see conftest.py)."""
    section = run.section(drill)
    assert section.rstrip().endswith(f"PASS {drill}"), section


def test_the_drills_command_exits_zero_when_every_drill_passes(short_drills: Any) -> None:
    assert short_drills.returncode == 0, short_drills.output[-4000:]


def test_under_load_every_answered_decision_is_in_the_database(short_drills: Any) -> None:
    _passed(short_drills, "load")
    answered = int(short_drills.figure("load", "decisions answered (200)"))
    assert answered > 0
    assert int(short_drills.figure("load", "decisions in the database after the drain")) == answered


def test_a_postgres_outage_mid_load_costs_no_error_and_no_decision(
    short_drills: Any,
) -> None:
    _passed(short_drills, "pg-outage")
    assert int(short_drills.figure("pg-outage", "answers during the outage")) > 0
    assert "[ok] PostgreSQL was really down" in short_drills.section("pg-outage")


def test_a_killed_worker_loses_no_answered_decision(short_drills: Any) -> None:
    _passed(short_drills, "sigkill")
    assert "[ok] a worker was killed with SIGKILL" in short_drills.section("sigkill")
    assert int(short_drills.figure("sigkill", "answers after the kill")) > 0


def test_fuzzing_every_operation_finds_no_server_error(short_drills: Any) -> None:
    _passed(short_drills, "fuzz")
    assert int(short_drills.figure("fuzz", "generated cases sent").replace(",", "")) >= 100


def test_hostile_payloads_get_clear_client_errors(short_drills: Any) -> None:
    _passed(short_drills, "hostile")
    assert int(short_drills.figure("hostile", "hostile requests")) >= 30


def test_keys_scopes_logs_and_bundle_integrity_hold(short_drills: Any) -> None:
    _passed(short_drills, "security")
    section = short_drills.section("security")
    assert "[ok] server log holds no sentinel personal value" in section
    assert "[ok] a bundle with one flipped byte is refused at load" in section


def test_a_schema_break_is_reported_as_such_and_loses_nothing(short_drills: Any) -> None:
    _passed(short_drills, "schema-break")
    answered = short_drills.figure("schema-break", "decisions answered while the schema was broken")
    assert int(answered) == 20
    assert '"error_class":"schema"' in short_drills.figure("schema-break", "readiness body")


def test_a_deleted_spool_is_re_created_and_loses_no_answered_decision(short_drills: Any) -> None:
    _passed(short_drills, "spool-deleted")
    missing = short_drills.figure("spool-deleted", "answered decisions missing from the database")
    assert int(missing) == 0
    assert int(short_drills.figure("spool-deleted", "decisions answered (200)")) > 0


def test_a_connection_cut_mid_copy_is_recovered_from(short_drills: Any) -> None:
    _passed(short_drills, "copy-cut")
    assert int(short_drills.figure("copy-cut", "connections cut")) > 0


def test_workers_exit_with_their_supervisor(short_drills: Any) -> None:
    _passed(short_drills, "supervisor-kill")
    assert short_drills.figure("supervisor-kill", "the port can be bound again") == "yes"


def test_slow_and_idle_clients_are_closed_while_others_are_served(short_drills: Any) -> None:
    _passed(short_drills, "slow-clients")
    assert int(short_drills.figure("slow-clients", "slow bodies closed after 7 s")) == 30


def test_client_hang_ups_are_disconnects_not_server_errors(short_drills: Any) -> None:
    _passed(short_drills, "disconnects")
    assert float(short_drills.figure("disconnects", "5xx counted")) == 0


def test_timestamp_extremes_and_any_case_ids_are_handled(short_drills: Any) -> None:
    _passed(short_drills, "timestamps")


def test_outcomes_scope_and_revocation_timing(short_drills: Any) -> None:
    _passed(short_drills, "keys")
    refused = short_drills.figure("keys", "refused by the other worker after (s)")
    assert float(refused) <= 1.0
