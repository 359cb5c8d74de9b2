"""``idp audit``: sign checkpoints, verify the chain, export for a SIEM (docs/audit.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import click
from flask import current_app
from flask.cli import with_appcontext

from idp.audit.checkpoints import make_checkpoints, trusted_keys
from idp.audit.export import export_events
from idp.audit.verification import Range, verify_chain
from idp.extensions import db
from idp.runtime import Runtime

_WHEN = click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"])


def _runtime() -> Runtime:
    runtime: Runtime = current_app.extensions["idp.runtime"]
    return runtime


def _utc(value: datetime | None) -> datetime | None:
    """Times typed on the command line are UTC, like every time in the audit trail."""
    return value.replace(tzinfo=UTC) if value is not None else None


@click.group("audit")
def audit_group() -> None:
    """The audit trail's hash chain: checkpoints, verification, export."""


@audit_group.command("checkpoint")
@with_appcontext
def audit_checkpoint() -> None:
    """Sign the head of every stream that moved since its last checkpoint."""
    runtime = _runtime()
    made = make_checkpoints(db.session, runtime.clock, runtime.keystore)
    db.session.commit()
    click.echo(f"{len(made)} checkpoint(s) made.")


@audit_group.command("verify")
@click.option("--stream", help="Only this stream (enterprise:<id>, accounts:<n>, system).")
@click.option("--since", type=_WHEN, help="Events from this time on (UTC).")
@click.option("--until", type=_WHEN, help="Events up to this time (UTC).")
@click.option("--from-seq", type=click.IntRange(min=1), help="From this place (with --stream).")
@click.option("--to-seq", type=click.IntRange(min=1), help="Up to this place (with --stream).")
@click.option(
    "--jwks",
    "jwks_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An archived JWKS with public keys rotated away since (repeatable).",
)
@with_appcontext
def audit_verify(
    stream: str | None,
    since: datetime | None,
    until: datetime | None,
    from_seq: int | None,
    to_seq: int | None,
    jwks_files: tuple[Path, ...],
) -> None:
    """Recompute hashes and links and check the checkpoints; exits 1 naming the first problem
    of each stream."""
    if (from_seq or to_seq) and stream is None:
        raise click.UsageError("--from-seq and --to-seq need --stream: places are per stream.")
    documents = [json.loads(path.read_text()) for path in jwks_files]
    keys = trusted_keys(_runtime().keystore, documents)
    scope = Range(stream, from_seq, to_seq, _utc(since), _utc(until))
    report = verify_chain(db.session, keys, scope)
    for problem in report.problems:
        click.echo(f"ALTERED {problem}", err=True)
    summary = (
        f"{report.events} events in {report.streams} streams verified, "
        f"{report.checkpoints} checkpoints checked"
    )
    if not report.ok:
        click.echo(f"{len(report.problems)} problem(s); {summary} up to them.", err=True)
        raise SystemExit(1)
    click.echo(f"{summary}.")


@audit_group.command("export")
@click.option("--since", type=_WHEN, help="Events from this time on (UTC).")
@click.option("--stream", help="Only this stream.")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-")
@with_appcontext
def audit_export(since: datetime | None, stream: str | None, output: TextIO) -> None:
    """Write the events as JSON Lines (one event a line, chain fields included) for a SIEM."""
    written = export_events(db.session, output, since=_utc(since), stream=stream)
    click.echo(f"{written} event(s) exported.", err=True)
