"""A report as text (the CLI) or as a dictionary (``--json``), in one language.

The first line always says the verdict: « VALIDE — … » / « INVALIDE — … » in French,
"VALID — …" / "INVALID — …" in English, so a tester reading a terminal or a script reading the
output knows at once.
"""

from __future__ import annotations

import json
from typing import Any

from idp.inspect.report import (
    Item,
    Report,
    SignatureCheck,
    SignatureStatus,
    Text,
)
from idp.inspect.timing import format_moment
from idp.keystore import KeyState

VERDICT = {True: Text("VALIDE", "VALID"), False: Text("INVALIDE", "INVALID")}
SHORT_KEY_STATES = {
    KeyState.CURRENT: Text("la clé courante", "the current key"),
    KeyState.NEXT: Text("la clé suivante", "the next key"),
    KeyState.RETIRED: Text("la clé retirée", "the retired key"),
    KeyState.PUBLISHED: Text("la clé publiée", "the published key"),
}
STATUS_LABELS = {
    SignatureStatus.VALID: Text("valide", "valid"),
    SignatureStatus.INVALID: Text("invalide", "invalid"),
    SignatureStatus.ABSENT: Text("absente", "absent"),
    SignatureStatus.REFUSED: Text("refusée", "refused"),
    SignatureStatus.UNCHECKED: Text("non vérifiable ici", "cannot be checked here"),
}
HEADINGS = {
    "problems": Text("Problèmes", "Problems"),
    "notes": Text("Remarques", "Notes"),
    "signatures": Text("Signatures", "Signatures"),
    "times": Text("Dates (maintenant : {now})", "Dates (now: {now})"),
    "raw": Text(
        "Contenu décodé, tel que reçu (non fiable)", "Decoded content, as received (untrusted)"
    ),
}
INDENT = "  "


def headline(report: Report, lang: str) -> str:
    """The first line: the verdict, what it is, and the main reason."""
    verdict = VERDICT[report.valid].get(lang)
    kind = report.kind_label.get(lang)
    if not report.valid:
        first = report.problems[0].message.get(lang) if report.problems else ""
        more = len(report.problems) - 1
        plural = "s" if more > 1 else ""
        tail = ""
        if more:
            tail = Text(
                f" Et {more} autre{plural} problème{plural} ci-dessous.",
                f" And {more} more problem{plural} below.",
            ).get(lang)
        return f"{verdict} — {kind}{_colon(lang)}{_uncapitalize(first)}{tail}"
    return f"{verdict} — {kind}{_valid_detail(report, lang)}"


def _valid_detail(report: Report, lang: str) -> str:
    signed = [check for check in report.signatures if check.valid and check.key is not None]
    parts = []
    if signed:
        keys = {(check.key.kid, check.key.state) for check in signed if check.key}
        algorithms = ", ".join(sorted({check.algorithm or "?" for check in signed}))
        described = "; ".join(
            f"{SHORT_KEY_STATES[state].get(lang)} {kid}" for kid, state in sorted(keys)
        )
        s = "s" if len(signed) > 1 else ""
        parts.append(
            Text(
                f"signature{s} vérifiée{s} ({algorithms}) avec {described}",
                f"signature{s} verified ({algorithms}) with {described}",
            ).get(lang)
        )
    if any(check.status is SignatureStatus.UNCHECKED for check in report.signatures):
        parts.append(Text("assertion chiffrée", "encrypted assertion").get(lang))
    expiries = [check for check in report.times if check.ok and check.ends_validity]
    if expiries:
        parts.append(min(expiries, key=lambda check: check.moment).explanation.get(lang))
    if not parts:
        return ""
    return f"{_colon(lang)}{'; '.join(parts)}."


def render_text(report: Report, lang: str = "fr") -> str:
    lines = [headline(report, lang), ""]
    if report.problems:
        lines.append(HEADINGS["problems"].get(lang))
        lines.extend(f"{INDENT}✗ {problem.message.get(lang)}" for problem in report.problems)
        lines.append("")
    if report.notes:
        lines.append(HEADINGS["notes"].get(lang))
        lines.extend(f"{INDENT}• {note.get(lang)}" for note in report.notes)
        lines.append("")
    if report.signatures:
        lines.append(HEADINGS["signatures"].get(lang))
        lines.extend(f"{INDENT}{_signature_line(check, lang)}" for check in report.signatures)
        lines.append("")
    if report.times:
        lines.append(HEADINGS["times"].get(lang).format(now=format_moment(report.now)))
        width = max(len(check.name) for check in report.times)
        for check in report.times:
            mark = "✓" if check.ok else "✗"
            lines.append(
                f"{INDENT}{mark} {check.name:<{width}}  {format_moment(check.moment)}  "
                f"{check.explanation.get(lang)}"
            )
        lines.append("")
    for section in report.sections:
        lines.append(section.title.get(lang))
        for item in section.items:
            lines.extend(_item_lines(item, lang, 1))
        lines.append("")
    if report.header or report.payload:
        lines.append(HEADINGS["raw"].get(lang))
        if report.header:
            lines.append(report.header)
        if report.payload:
            lines.append(report.payload)
    return "\n".join(lines).rstrip() + "\n"


def _signature_line(check: SignatureCheck, lang: str) -> str:
    target = check.target.get(lang)
    status = STATUS_LABELS[check.status].get(lang)
    line = f"{target[:1].upper()}{target[1:]}{_colon(lang)}{status}"
    details = []
    if check.algorithm:
        details.append(check.algorithm)
    if check.key is not None:
        details.append(f"{check.key.kid} ({check.key.kty}, {check.key.label.get(lang)})")
    if details:
        line += f" — {', '.join(details)}"
    if check.reason is not None and check.status is not SignatureStatus.VALID:
        line += f"\n{INDENT * 2}{check.reason.get(lang)}"
    return line


def _item_lines(item: Item, lang: str, depth: int) -> list[str]:
    pad = INDENT * depth
    name = f"{item.name} [{item.label}]" if item.label else item.name
    if item.children:
        lines = [f"{pad}{name}"]
    else:
        lines = [f"{pad}{name}{_colon(lang)}{item.display or _value(item.value)}"]
    lines.append(f"{pad}{INDENT * 2}{item.explanation.get(lang)}")
    for child in item.children:
        lines.extend(_item_lines(child, lang, depth + 1))
    return lines


def _value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(entry, str) for entry in value):
        return ", ".join(value)
    return json.dumps(value, ensure_ascii=False)


def report_as_dict(report: Report, lang: str = "fr") -> dict[str, Any]:
    """Everything in the report, its sentences in ``lang``, for ``--json`` and for scripts."""
    return {
        "valid": report.valid,
        "headline": headline(report, lang),
        "kind": str(report.kind),
        "kind_label": report.kind_label.get(lang),
        "now": report.now.isoformat(),
        "problems": [
            {"code": str(problem.code), "message": problem.message.get(lang)}
            for problem in report.problems
        ],
        "notes": [note.get(lang) for note in report.notes],
        "signatures": [_signature_dict(check, lang) for check in report.signatures],
        "times": [
            {
                "name": check.name,
                "moment": check.moment.isoformat(),
                "ok": check.ok,
                "explanation": check.explanation.get(lang),
            }
            for check in report.times
        ],
        "sections": [
            {
                "title": section.title.get(lang),
                "items": [_item_dict(item, lang) for item in section.items],
            }
            for section in report.sections
        ],
        "header": report.header,
        "payload": report.payload,
    }


def _signature_dict(check: SignatureCheck, lang: str) -> dict[str, Any]:
    key = None
    if check.key is not None:
        key = {
            "kid": check.key.kid,
            "kty": check.key.kty,
            "state": str(check.key.state),
            "label": check.key.label.get(lang),
        }
    return {
        "target": check.target.get(lang),
        "status": str(check.status),
        "algorithm": check.algorithm,
        "key": key,
        "reason": check.reason.get(lang) if check.reason else None,
    }


def _item_dict(item: Item, lang: str) -> dict[str, Any]:
    return {
        "name": item.name,
        "label": item.label,
        "value": item.value,
        "display": item.display,
        "explanation": item.explanation.get(lang),
        "known": item.known,
        "children": [_item_dict(child, lang) for child in item.children],
    }


def _colon(lang: str) -> str:
    """French puts a space before a colon, English does not."""
    return " : " if lang == "fr" else ": "


def _uncapitalize(sentence: str) -> str:
    """Lower the first letter of a sentence placed after a colon, unless it starts a name
    (« JWT », « NotOnOrAfter »): only when the next letter is lower case or an apostrophe."""
    if len(sentence) > 1 and (sentence[1].islower() or sentence[1] == "'"):
        return sentence[:1].lower() + sentence[1:]
    return sentence
