"""Moments carried by a token, compared with the inspection's ``now``.

Expiry is strict (a token is expired from its ``exp`` on): that is what the provider means by
the lifetime it sets. Moments that should be in the past (``iat``, ``NotBefore``…) get the
clock skew the provider itself accepts from service providers, so a few seconds of difference
between two machines are not reported as an attack.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from idp.inspect.report import ProblemCode, Report, Text, TimeCheck

CLOCK_SKEW = timedelta(minutes=3)


def format_moment(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(delta: timedelta) -> Text:
    """A rounded, readable length of time: « 42 s », « 3 min », « 2 h 5 min », « 3 j »."""
    seconds = int(abs(delta.total_seconds()))
    if seconds < 60:
        return Text(f"{seconds} s", f"{seconds} s")
    minutes = seconds // 60
    if minutes < 60:
        return Text(f"{minutes} min", f"{minutes} min")
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        tail = f" {rest} min" if rest else ""
        return Text(f"{hours} h{tail}", f"{hours} h{tail}")
    days = hours // 24
    return Text(f"{days} j", f"{days} d")


def from_timestamp(value: object) -> datetime | None:
    """A JWT NumericDate (seconds since the epoch), or None when it is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def from_xml(value: str | None) -> datetime | None:
    """An xs:dateTime as SAML writes it (``2026-11-23T00:52:23Z``), or None."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check_expiry(report: Report, name: str, moment: datetime) -> None:
    """``name`` is the last moment of validity, excluded (``exp``, ``NotOnOrAfter``)."""
    left = moment - report.now
    when = format_moment(moment)
    if left > timedelta(0):
        span = duration(left)
        explanation = Text(f"expire dans {span.fr}", f"expires in {span.en}")
        report.times.append(TimeCheck(name, moment, True, explanation, ends_validity=True))
        return
    span = duration(left)
    explanation = Text(f"expiré depuis {span.fr}", f"expired {span.en} ago")
    report.times.append(TimeCheck(name, moment, False, explanation, ends_validity=True))
    report.problem(
        ProblemCode.EXPIRED,
        f"Expiré depuis {span.fr} ({name} : {when}).",
        f"Expired {span.en} ago ({name}: {when}).",
    )


def check_not_before(report: Report, name: str, moment: datetime) -> None:
    """``name`` is the first moment of validity (``nbf``, ``NotBefore``)."""
    _check_not_ahead(
        report,
        name,
        moment,
        lambda span: Text(f"pas encore valide, le sera dans {span.fr}", f"not valid for {span.en}"),
        ProblemCode.NOT_YET_VALID,
        lambda span, when: Text(
            f"Pas encore valide : il le sera dans {span.fr} ({name} : {when}).",
            f"Not yet valid: it will be in {span.en} ({name}: {when}).",
        ),
    )


def check_past(report: Report, name: str, moment: datetime) -> None:
    """``name`` records something that already happened (``iat``, ``IssueInstant``…)."""
    _check_not_ahead(
        report,
        name,
        moment,
        lambda span: Text(f"dans le futur, dans {span.fr}", f"in the future, in {span.en}"),
        ProblemCode.ISSUED_IN_FUTURE,
        lambda span, when: Text(
            f"Daté dans le futur : {name} tombe dans {span.fr} ({when}); l'horloge de "
            "l'émetteur est déréglée ou la date a été fabriquée.",
            f"Dated in the future: {name} is {span.en} from now ({when}); the issuer's clock "
            "is wrong or the date was made up.",
        ),
    )


def _check_not_ahead(
    report: Report,
    name: str,
    moment: datetime,
    explain: Callable[[Text], Text],
    code: ProblemCode,
    describe: Callable[[Text, str], Text],
) -> None:
    """``moment`` must not be later than ``report.now`` by more than the clock skew."""
    ahead = moment - report.now
    when = format_moment(moment)
    if ahead <= CLOCK_SKEW:
        report.times.append(TimeCheck(name, moment, True, _since(ahead)))
        return
    span = duration(ahead)
    report.times.append(TimeCheck(name, moment, False, explain(span)))
    message = describe(span, when)
    report.problem(code, message.fr, message.en)


def _since(ahead: timedelta) -> Text:
    if ahead > timedelta(0):
        span = duration(ahead)
        return Text(
            f"dans {span.fr}, dans la tolérance d'horloge", f"in {span.en}, within clock skew"
        )
    if ahead > -timedelta(seconds=1):
        return Text("à l'instant", "just now")
    span = duration(ahead)
    return Text(f"il y a {span.fr}", f"{span.en} ago")
