"""The ``idp`` command: Flask's group plus database, enterprise, account and demo commands."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from idp.accounts.models import AccountRole
from idp.accounts.services import create_account, find_by_user_code, unlock_account
from idp.enterprises.services import create_enterprise, find_by_neq, normalize_neq
from idp.errors import IdpError
from idp.extensions import db
from idp.keystore import KeystoreError, generate_keys, rotate_keys
from idp.names import ARTICLES
from idp.relying_parties import RegistryError, load_registry, new_client_secret
from idp.runtime import Runtime


def _create_app() -> Flask:
    from idp import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """clicSÉQUR identity provider: administration commands."""


def _runtime() -> Runtime:
    runtime: Runtime = current_app.extensions["idp.runtime"]
    return runtime


@click.group("enterprise")
def enterprise_group() -> None:
    """Enterprises."""


@enterprise_group.command("create")
@click.option("--neq", required=True, help="Québec enterprise number, 10 digits.")
@click.option("--name", "legal_name", required=True, help="Legal name.")
@click.option(
    "--article",
    "name_article",
    type=click.Choice(ARTICLES),
    default="",
    help="French article of the name (le, la, l', les); none by default: « d'Aciérie... ».",
)
@with_appcontext
def enterprise_create(neq: str, legal_name: str, name_article: str) -> None:
    """Register an enterprise."""
    try:
        enterprise = create_enterprise(
            db.session, _runtime().clock, neq=neq, legal_name=legal_name, name_article=name_article
        )
    except IdpError as exc:
        raise click.ClickException(str(exc.message)) from exc
    db.session.commit()
    click.echo(f"Enterprise {enterprise.neq} « {enterprise.legal_name} » created.")


@click.group("account")
def account_group() -> None:
    """Accounts."""


@account_group.command("create")
@click.option("--enterprise", "neq", help="NEQ of the enterprise.")
@click.option("--ministry", "ministry_key", help="Catalogue key of the ministry (operators).")
@click.option("--name", "display_name", required=True, help="First and last name.")
@click.option("--email", required=True)
@click.option(
    "--role",
    # Citizens create their own account at /citoyens/inscription.
    type=click.Choice([r.value for r in AccountRole if r != AccountRole.CITIZEN]),
    default=AccountRole.USER.value,
    show_default=True,
)
@with_appcontext
def account_create(
    neq: str | None, ministry_key: str | None, display_name: str, email: str, role: str
) -> None:
    """Create an account; prints its user code and temporary password, once.

    Ministry operators take ``--ministry`` and ``--role ministry_operator``; everyone else
    ``--enterprise``.
    """
    try:
        enterprise = None
        if neq is not None:
            enterprise = find_by_neq(db.session, normalize_neq(neq))
            if enterprise is None:
                raise click.ClickException(f"No enterprise has the NEQ {neq}.")
        new = create_account(
            db.session,
            _runtime(),
            enterprise=enterprise,
            display_name=display_name,
            email=email,
            role=AccountRole(role),
            ministry_key=ministry_key,
        )
    except IdpError as exc:
        raise click.ClickException(str(exc.message)) from exc
    db.session.commit()
    click.echo(f"User code:          {new.account.user_code}")
    click.echo(f"Temporary password: {new.temporary_password}")
    click.echo("The temporary password is shown only now; it must be changed at first sign-in.")


@account_group.command("unlock")
@click.argument("user_code")
@with_appcontext
def account_unlock(user_code: str) -> None:
    """Lift a temporary sign-in lock."""
    account = find_by_user_code(db.session, user_code)
    if account is None:
        raise click.ClickException(f"No account has the user code {user_code}.")
    unlock_account(db.session, _runtime(), account)
    db.session.commit()
    click.echo(f"Account {account.user_code} unlocked.")


@click.group("operator")
def operator_group() -> None:
    """Provider operators (the console that decides enterprises' registrations)."""


@operator_group.command("create")
@click.option("--name", "display_name", required=True, help="First and last name.")
@click.option("--email", required=True)
@with_appcontext
def operator_create(display_name: str, email: str) -> None:
    """Create a provider operator; prints the user code and temporary password, once."""
    try:
        new = create_account(
            db.session,
            _runtime(),
            enterprise=None,
            display_name=display_name,
            email=email,
            role=AccountRole.PROVIDER_OPERATOR,
        )
    except IdpError as exc:
        raise click.ClickException(str(exc.message)) from exc
    db.session.commit()
    click.echo(f"User code:          {new.account.user_code}")
    click.echo(f"Temporary password: {new.temporary_password}")
    click.echo("The temporary password is shown only now; it must be changed at first sign-in.")


@click.group("lifecycle")
def lifecycle_group() -> None:
    """Scheduled work."""


@lifecycle_group.command("run")
@with_appcontext
def lifecycle_run() -> None:
    """Inactivity cancellations and warnings, proxy reminders and expiries, grants that lost
    their rights, back-channel logouts not yet delivered, audit checkpoints (idempotent)."""
    from idp.audit.checkpoints import make_checkpoints
    from idp.lifecycle import run_lifecycle
    from idp.oidc.logout import deliver_pending
    from idp.secevents.delivery import deliver_pending as deliver_security_events

    report = run_lifecycle(db.session, _runtime())
    db.session.commit()
    tried = deliver_pending(db.session, _runtime())
    delivered = sum(1 for n in tried if n.delivered_at is not None)
    pushed = deliver_security_events(db.session, _runtime())
    pushed_ok = sum(1 for n in pushed if n.delivered_at is not None)
    # After the commit above, so that signing does not prolong the locks of the run's events.
    checkpoints = make_checkpoints(db.session, _runtime().clock, _runtime().keystore)
    db.session.commit()
    click.echo(
        f"Inactivity warnings: {report.inactivity_warnings}; accounts cancelled: "
        f"{report.accounts_cancelled}; proxy reminders: {report.proxy_reminders}; "
        f"proxies expired: {report.proxies_expired}; grants ended: {report.grants_ended}; "
        f"citizen enrolments removed: {report.enrolments_removed}; "
        f"expired codes, tokens and requests removed: {report.expired_removed}; "
        f"back-channel logouts delivered: {delivered} of {len(tried)}; "
        f"security events delivered: {pushed_ok} of {len(pushed)}; "
        f"audit checkpoints made: {len(checkpoints)}."
    )


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the lifecycle job and the security events outbox on their intervals until stopped
    (one per deployment; IDP_SCHEDULER_LIFECYCLE_SECONDS, IDP_SCHEDULER_OUTBOX_SECONDS)."""
    from idp.scheduler import build_scheduler

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    scheduler = build_scheduler(app)
    click.echo("Scheduler started (Ctrl-C to stop).")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)


@click.group("keys")
def keys_group() -> None:
    """Signing keys (see idp/keystore.py for the rotation order)."""


@keys_group.command("generate")
@with_appcontext
def keys_generate() -> None:
    """Make a current and a next key of each type where missing."""
    settings = current_app.config["IDP_SETTINGS"]
    made = generate_keys(settings.keys_dir, _runtime().clock, settings.issuer)
    for entry in made:
        click.echo(f"{entry.kty:<3} {entry.state:<8} {entry.kid}")
    click.echo(f"{len(made)} key(s) made in {settings.keys_dir}.")


@keys_group.command("rotate")
@click.option("--type", "kty", type=click.Choice(["RSA", "EC"]), help="Only this key type.")
@with_appcontext
def keys_rotate(kty: str | None) -> None:
    """Next becomes current, current is retired (still published), a new next is made."""
    settings = current_app.config["IDP_SETTINGS"]
    retention = timedelta(seconds=settings.keys_retired_retention_seconds)
    try:
        made = rotate_keys(settings.keys_dir, _runtime().clock, settings.issuer, retention, kty)
    except KeystoreError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Rotated; new next key(s): {', '.join(e.kid for e in made)}.")
    click.echo("Restart the workers so they load the new keys.")


@keys_group.command("list")
@with_appcontext
def keys_list() -> None:
    """The keys of the keys directory and their state."""
    for entry in _runtime().keystore.entries:
        retired = f" retired {entry.retired_at:%Y-%m-%d %H:%M}" if entry.retired_at else ""
        click.echo(f"{entry.kty:<3} {entry.state:<8} {entry.kid}{retired}")


@click.group("clients")
def clients_group() -> None:
    """Relying parties (files in IDP_RELYING_PARTIES_DIR)."""


@clients_group.command("check")
@click.option("--dir", "directory", type=click.Path(path_type=Path), help="Another directory.")
@with_appcontext
def clients_check(directory: Path | None) -> None:
    """Validate every relying-party file; exits non-zero and lists the problems if any."""
    settings = current_app.config["IDP_SETTINGS"]
    target = directory or settings.relying_parties_dir
    try:
        registry = load_registry(target, _runtime().catalogue)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from exc
    for client in registry.clients:
        click.echo(
            f"ok  {client.client_id:<24} {client.ministry:<10} {client.token_endpoint_auth_method}"
        )
        if not client.require_pkce:
            # Valid (a legacy site's opt-out), but RFC 9700 2.1.1 wants PKCE from every client:
            # the operator should see which files still rely on it.
            click.echo(
                f"warn {client.client_id}: require_pkce = false, codes without PKCE accepted "
                "(RFC 9700 2.1.1 asks PKCE of every client)"
            )
    for provider in registry.service_providers:
        encrypted = "encrypted assertions" if provider.encrypt_assertions else "signed assertions"
        click.echo(f"ok  {provider.entity_id:<24} {provider.ministry:<10} saml, {encrypted}")
    count = len(registry.clients) + len(registry.service_providers)
    click.echo(f"{count} relying part(y/ies) valid in {target}.")


@clients_group.command("secret")
def clients_secret() -> None:
    """Make a client secret: prints it once, and the SHA-256 to put in the client's file."""
    secret, digest = new_client_secret()
    click.echo(f"client secret (give it to the ministry, shown once): {secret}")
    click.echo(f'client_secret_sha256 = "{digest}"')


def register_commands(app: Flask) -> None:
    from idp.audit.cli import audit_group
    from idp.demo.cli import demo_group
    from idp.inspect.cli import inspect_command

    app.cli.add_command(enterprise_group)
    app.cli.add_command(account_group)
    app.cli.add_command(operator_group)
    app.cli.add_command(lifecycle_group)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(keys_group)
    app.cli.add_command(clients_group)
    app.cli.add_command(audit_group)
    app.cli.add_command(demo_group)
    app.cli.add_command(inspect_command)
