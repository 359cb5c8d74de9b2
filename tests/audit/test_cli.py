"""``idp audit checkpoint``, ``verify`` and ``export``, and the checkpoints of ``idp lifecycle
run``."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa

from idp.audit.chain import canonical_json
from idp.audit.models import AuditCheckpoint
from idp.audit.services import ClientInfo, record
from idp.audit.tags import AuditAction
from idp.extensions import db
from tests.audit.tampering import edit, tampering

CHAIN_FIELDS = {
    "id",
    "stream",
    "seq",
    "prev_hash",
    "hash",
    "occurred_at",
    "actor_account_id",
    "subject_account_id",
    "enterprise_id",
    "action",
    "outcome",
    "client_ip",
    "user_agent",
    "details",
}


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


@pytest.fixture
def events(app, clock, factory):
    """Events in two streams: an enterprise's (its creation) and the system's."""
    person = factory.person()
    client = ClientInfo("198.51.100.7", "Mozilla/5.0 (Québec)")
    for number in range(3):
        record(db.session, clock, AuditAction.ACCOUNT_LOCK, client=client, number=number)
        clock.advance(hours=1)
    db.session.commit()
    return person


def test_verify_a_clean_trail(cli, events):
    assert cli.invoke(args=["audit", "checkpoint"]).output.startswith("2 checkpoint(s) made.")
    result = cli.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "events in 2 streams verified, 2 checkpoints checked." in result.output
    assert cli.invoke(args=["audit", "checkpoint"]).output.startswith("0 checkpoint(s) made.")


def test_verify_names_the_first_altered_event(cli, events):
    second = db.session.scalar(
        sa.text("SELECT id FROM audit_events WHERE stream = 'system' AND seq = 2")
    )
    with tampering():
        edit("audit_events", f"id = {second}", details='{"number": 9}')
    result = cli.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"ALTERED stream system seq 2 (event id {second}): content altered" in result.output
    assert "1 problem(s)" in result.output
    # Another stream, or the range before the change, still verifies.
    assert (
        cli.invoke(args=["audit", "verify", "--stream", "system", "--to-seq", "1"]).exit_code == 0
    )
    enterprise = f"enterprise:{events.account.enterprise_id}"
    assert cli.invoke(args=["audit", "verify", "--stream", enterprise]).exit_code == 0


def test_verify_a_forged_checkpoint(cli, events):
    cli.invoke(args=["audit", "checkpoint"])
    with tampering():
        edit("audit_checkpoints", "stream = 'system'", hash="f" * 64)
    result = cli.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "checkpoint signature invalid" in result.output


def test_verify_by_time(cli, events, clock):
    result = cli.invoke(
        args=["audit", "verify", "--since", "2026-11-22 15:00:00", "--until", "2026-11-22 16:00:00"]
    )
    assert result.exit_code == 0, result.output
    assert "2 events in 1 streams verified" in result.output


def test_places_need_a_stream(cli, events):
    result = cli.invoke(args=["audit", "verify", "--from-seq", "2"])
    assert result.exit_code == 2
    assert "--from-seq and --to-seq need --stream" in result.output


def test_export_writes_json_lines_a_siem_can_check(cli, events, tmp_path):
    target = tmp_path / "audit.jsonl"
    result = cli.invoke(args=["audit", "export", "-o", str(target)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    count = db.session.scalar(sa.text("SELECT count(*) FROM audit_events"))
    assert f"{count} event(s) exported." in result.output
    assert len(lines) == count
    assert all(set(line) == CHAIN_FIELDS for line in lines)
    assert [line["id"] for line in lines] == sorted(line["id"] for line in lines)
    system = [line for line in lines if line["stream"] == "system"]
    assert [line["seq"] for line in system] == [1, 2, 3]
    assert system[0]["user_agent"] == "Mozilla/5.0 (Québec)"
    assert system[0]["details"] == {"number": 0}
    for line in lines:  # what docs/audit.md tells a SIEM to do
        content = {k: v for k, v in line.items() if k not in ("id", "hash")}
        assert hashlib.sha256(canonical_json(content)).hexdigest() == line["hash"]
    for before, after in zip(system, system[1:], strict=False):
        assert after["prev_hash"] == before["hash"]


def test_export_since_and_one_stream_to_stdout(cli, events):
    result = cli.invoke(
        args=["audit", "export", "--stream", "system", "--since", "2026-11-22 15:00:00"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [(line["stream"], line["seq"]) for line in lines] == [("system", 2), ("system", 3)]


def test_lifecycle_run_makes_checkpoints(cli, events):
    result = cli.invoke(args=["lifecycle", "run"])
    assert result.exit_code == 0, result.output
    assert "audit checkpoints made: 2." in result.output
    streams = db.session.scalars(sa.select(AuditCheckpoint.stream)).all()
    assert sorted(streams) == sorted(["system", f"enterprise:{events.account.enterprise_id}"])
