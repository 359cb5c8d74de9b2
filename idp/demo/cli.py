"""``idp demo``: seed the demo data and start the provider with its mail capture."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from idp.config import Environment, Settings
from idp.demo.seed import (
    DEMO_ACCOUNTS,
    DEMO_CITIZEN,
    DEMO_CITIZEN_ANSWERS,
    DEMO_PASSWORD,
    seed_demo,
)
from idp.extensions import db
from idp.runtime import Runtime

# The demo back-end of the Management API (demo_rp/registrations/iqea-management.toml), and its
# published secret: the demo profile only runs on a loopback issuer.
DEMO_MANAGEMENT_CLIENT = "iqea-management"
DEMO_MANAGEMENT_SECRET = "demo-iqea-management-not-a-real-secret"  # noqa: S105 (published)


@click.group("demo")
def demo_group() -> None:
    """Demonstration data and server."""


@demo_group.command("seed")
@with_appcontext
def demo_seed() -> None:
    """Create the demo enterprises and accounts (idempotent)."""
    runtime: Runtime = current_app.extensions["idp.runtime"]
    seed_demo(db.session, runtime)
    db.session.commit()
    click.echo("Demo data ready.")


@demo_group.command("start")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def demo_start(host: str, port: int) -> None:
    """Migrate, seed, start the mail capture and the security events' retries, and serve the
    provider until Ctrl-C."""
    from werkzeug.serving import run_simple

    from idp.demo.closing import closing_every_response
    from idp.demo.mailbox import start_capture
    from idp.demo.named import served_under
    from idp.scheduler import start_demo_retries

    settings: Settings = current_app.config["IDP_SETTINGS"]
    if settings.env is not Environment.DEMO:
        raise click.ClickException("idp demo start needs IDP_ENV=demo (config/demo.toml sets it).")
    upgrade()
    runtime: Runtime = current_app.extensions["idp.runtime"]
    seed_demo(db.session, runtime)
    db.session.commit()
    capture = start_capture(
        settings.instance_dir / "demo-mail", settings.smtp_host or "127.0.0.1", settings.smtp_port
    )
    _print_welcome(settings)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # Security events go as each response closes; those a site missed are retried here.
    retries = start_demo_retries(app)
    try:
        served = closing_every_response(served_under(app, settings.issuer))
        run_simple(host, port, served, use_reloader=False, threaded=True)
    finally:
        retries.shutdown(wait=False)
        capture.stop()
        time.sleep(0.1)


def _print_welcome(settings: Settings) -> None:
    base = settings.issuer
    lines = [
        "",
        "clicSÉQUR – Entreprises (démonstration / demo)",
        f"  Identity provider:  {base}/connexion",
        f"  Demo mailbox:       {base}/demo/courriels   (the emailed codes arrive here)",
        "",
        f"  Demo accounts (password for all: {DEMO_PASSWORD})",
    ]
    lines += [
        f"    {a.user_code}  {a.display_name:<16} {a.role.value:<26} "
        + (
            f"NEQ {a.neq}"
            if a.neq
            else f"ministry {a.ministry_key}"
            if a.ministry_key
            else "console /exploitation"
        )
        for a in DEMO_ACCOUNTS
    ]
    answers = ", ".join(answer for _key, answer in DEMO_CITIZEN_ANSWERS)
    lines += [
        "",
        "  Register an enterprise:  " + f"{base}/inscription-entreprise",
        "    (fictional enterprises: config/demo-enterprises.toml)",
        "",
        "clicSÉQUR – Citoyens",
        f"  Sign in:            {base}/citoyens/connexion",
        f"  Create an account:  {base}/citoyens/inscription",
        "    (fictional taxpayers: config/demo-taxpayers.toml)",
        f"    {DEMO_CITIZEN.user_code}  {DEMO_CITIZEN.display_name}  password {DEMO_PASSWORD}",
        f"      security answers: {answers}",
    ]
    runtime: Runtime = current_app.extensions["idp.runtime"]
    if runtime.registry.client(DEMO_MANAGEMENT_CLIENT) is not None:
        lines += [
            "",
            "  Management API (docs/management-api.md):  " + f"{base}/api/v1/openapi.json",
            f"    client {DEMO_MANAGEMENT_CLIENT}, secret {DEMO_MANAGEMENT_SECRET}",
        ]
    sites = _demo_sites(runtime)
    if sites:
        lines += ["", "  Demo ministry sites / sites de démonstration des ministères"]
        lines += [f"    {name:<52} {url}" for name, url in sites]
    lines += ["", "  Stop with Ctrl-C.", ""]
    click.echo("\n".join(lines))


def _demo_sites(runtime: Runtime) -> list[tuple[str, str]]:
    """Each registered relying party and the address of its site (where it takes the person)."""
    sites = []
    for client in runtime.registry.clients:
        if client.redirect_uris:
            sites.append((f"{client.name('fr')} (OIDC)", _origin(client.redirect_uris[0])))
    for provider in runtime.registry.service_providers:
        acs = provider.acs_for(None)
        if acs is not None:
            sites.append((f"{provider.name('fr')} (SAML)", _origin(acs.location)))
    return sites


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"
