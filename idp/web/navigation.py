"""The navigation bar of a signed-in person: what their role lets them open."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from flask import Flask, current_app, g, has_request_context, request, url_for
from flask_babel import lazy_gettext as _l

from idp.accounts.models import AccountRole, Portal
from idp.extensions import db
from idp.mailbox.services import unread_count

_ESM = frozenset({AccountRole.ESM})
_ENTERPRISE = frozenset({AccountRole.ESM, AccountRole.AUTHORIZED_REPRESENTATIVE, AccountRole.USER})

# (endpoint, label, roles that see it)
_ITEMS = (
    ("home.index", _l("Home"), None),
    ("ministries.index", _l("Online services"), _ESM),
    (
        "enterprises.users",
        _l("Users"),
        frozenset({AccountRole.ESM, AccountRole.AUTHORIZED_REPRESENTATIVE}),
    ),
    ("proxies.index", _l("Proxies"), _ESM),
    (
        "enterprises.settings",
        _l("Enterprise settings"),
        frozenset({AccountRole.AUTHORIZED_REPRESENTATIVE}),
    ),
    (
        "ministries.operator_queue",
        _l("Registrations to decide"),
        frozenset({AccountRole.MINISTRY_OPERATOR}),
    ),
    (
        "console.queue",
        _l("Applications to decide"),
        frozenset({AccountRole.PROVIDER_OPERATOR}),
    ),
    ("console.enterprises", _l("Enterprises"), frozenset({AccountRole.PROVIDER_OPERATOR})),
    ("audit.history", _l("Activity history"), _ESM),
    ("mailbox.index", _l("Messages"), None),
    ("consents.index", _l("Connected services"), None),
    ("accounts.sessions", _l("My sessions"), None),
    ("accounts.passkeys", _l("My passkeys"), None),
)


# The citizen's menu: their home and their account's settings.
_CITIZEN_ITEMS = (
    ("citizens.home", _l("Home")),
    ("citizens.change_password_page", _l("Password")),
    ("citizens.change_email", _l("Email address")),
    ("citizens.change_questions", _l("Security questions")),
    ("citizens.sessions", _l("My sessions")),
    ("citizens.passkeys", _l("My passkeys")),
)


@dataclass(frozen=True)
class NavItem:
    url: str
    label: str
    current: bool
    badge: int = 0


# Pages that belong to a menu entry other than their blueprint's first one.
_SECTIONS = {
    "ministries.decide": "ministries.operator_queue",
    "console.enterprise": "console.enterprises",
    "console.decide": "console.enterprises",
    "console.acknowledgement": "console.enterprises",
}


def _section_of(endpoint: str) -> str:
    """The menu entry a page belongs to: itself, a listed section, or its blueprint's entry."""
    if endpoint in _SECTIONS:
        return _SECTIONS[endpoint]
    if endpoint in {item[0] for item in _ITEMS}:
        return endpoint
    blueprint = endpoint.split(".")[0]
    return next(
        (
            e
            for e, _label, _roles in _ITEMS
            if e.split(".")[0] == blueprint and e not in {"home.index", "ministries.operator_queue"}
        ),
        "",
    )


def page_portal() -> Portal:
    """Which portal the page belongs to: its own pages (the citizens' blueprint, or the shared
    public pages at their /citoyens/ address), or the signed-in person's."""
    if request.blueprint == "citizens" or request.path.startswith("/citoyens/"):
        return Portal.CITIZEN
    user_session = g.get("user_session")
    if user_session is not None and user_session.account.is_citizen:
        return Portal.CITIZEN
    return Portal.ENTERPRISE


def _citizen_items() -> list[NavItem]:
    return [
        NavItem(url_for(endpoint), str(label), request.endpoint == endpoint)
        for endpoint, label in _CITIZEN_ITEMS
    ]


class _LazyItems:
    """The menu, computed the first time a template looks at it.

    Every template rendered for a request gets ``nav_items``, but only pages that show the menu
    read it; the others (the page posting a SAML response, mail bodies) skip its queries, the
    mailbox's unread count among them.
    """

    def __init__(self, compute: Callable[[], list[NavItem]]) -> None:
        self._compute = compute
        self._items: list[NavItem] | None = None

    def _get(self) -> list[NavItem]:
        if self._items is None:
            self._items = self._compute()
        return self._items

    def __iter__(self) -> Iterator[NavItem]:
        return iter(self._get())

    def __bool__(self) -> bool:
        return bool(self._get())


def init_navigation(app: Flask) -> None:
    @app.context_processor
    def _navigation() -> dict[str, object]:
        if not has_request_context():
            return {}  # an email rendered by a command: no page, no menu
        portal = page_portal()
        common = {
            "portal": str(portal),
            "home_url": url_for("citizens.home" if portal is Portal.CITIZEN else "home.index"),
        }
        return {"nav_items": _LazyItems(_menu), **common}


def _menu() -> list[NavItem]:
    user_session = g.get("user_session")
    if user_session is None or not user_session.is_authenticated:
        return []
    account = user_session.account
    if account.is_citizen:
        return _citizen_items()
    if account.must_change_password:
        return []
    items = []
    for endpoint, label, roles in _ITEMS:
        if endpoint not in current_app.view_functions:
            continue
        if roles is not None and account.role not in roles:
            continue
        badge = unread_count(db.session, account.id) if endpoint == "mailbox.index" else 0
        current = _section_of(request.endpoint or "") == endpoint
        items.append(NavItem(url_for(endpoint), str(label), current, badge))
    return items
