"""``idp inspect``: verify and explain a JWT or a SAML response, for security testers."""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from idp.inspect.inspector import inspect_token
from idp.inspect.render import render_text, report_as_dict
from idp.runtime import Runtime

# Far above any token or response of this provider; stops a mistaken pipe from a big file.
MAX_INPUT_CHARS = 1024 * 1024


@click.command("inspect")
@click.argument("token", required=False)
@click.option(
    "--lang",
    type=click.Choice(["fr", "en"]),
    default="fr",
    show_default=True,
    help="Language of the explanation.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--audience",
    help="Also check the audience: a client_id (JWT) or a service provider's entity ID (SAML).",
)
@with_appcontext
def inspect_command(token: str | None, lang: str, as_json: bool, audience: str | None) -> None:
    """Verify a JWT or a base64 SAML response against the published keys and explain it.

    TOKEN is read from standard input when absent or "-". Exits with 0 when everything
    verifies and is valid now, 1 otherwise.
    """
    text = sys.stdin.read(MAX_INPUT_CHARS + 1) if token in (None, "-") else str(token)
    if not text.strip():
        raise click.UsageError("Nothing to inspect: give a token, or pipe one on standard input.")
    if len(text) > MAX_INPUT_CHARS:
        raise click.UsageError(f"Input larger than {MAX_INPUT_CHARS} characters.")
    runtime: Runtime = current_app.extensions["idp.runtime"]
    report = inspect_token(
        text,
        runtime.keystore,
        runtime.clock(),
        issuer=runtime.settings.issuer,
        audience=audience,
    )
    if as_json:
        click.echo(json.dumps(report_as_dict(report, lang), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(report, lang), nl=False)
    click.get_current_context().exit(0 if report.valid else 1)
