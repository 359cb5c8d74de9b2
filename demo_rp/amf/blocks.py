"""The Autorité's « blocs fonctionnels »: one per right of the AMF in ``config/catalogue.toml``.

A block is open to a person only when the ``urn:clicsequr:attribute:rights`` attribute of their
sign-in carries its right (an electronic services manager holds them all; a user, those of the
proxies assigned to them). Names come from the catalogue; what each block is for comes from the
Autorité's help pages (« Quelles sont les transactions que je peux effectuer… »).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

MINISTRY = "amf"

# What the block's page offers: a payment, a disclosure, the follow-up of requests, or a request.
FORM_PAYMENT = "payment"
FORM_DISCLOSURE = "disclosure"
FORM_FOLLOW_UP = "follow_up"
FORM_REQUEST = "request"


@dataclass(frozen=True)
class Text:
    """One text in both languages of the site (French first)."""

    fr: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr


@dataclass(frozen=True)
class Block:
    right: str
    slug: str
    name: Text
    summary: Text
    form: str
    service: Text


_KNOWN: dict[str, tuple[str, str, Text]] = {
    "amf.registration.maintain": (
        "inscription",
        FORM_REQUEST,
        Text(
            "Mettre à jour les renseignements de l'inscription de votre firme auprès de "
            "l'Autorité.",
            "Update the information of your firm's registration with the Autorité.",
        ),
    ),
    "amf.payments": (
        "paiements",
        FORM_PAYMENT,
        Text(
            "Effectuer les paiements liés à vos obligations : cotisation annuelle, droits et "
            "frais.",
            "Make the payments related to your obligations: annual fees, duties and charges.",
        ),
    ),
    "amf.requests.follow_up": (
        "suivi",
        FORM_FOLLOW_UP,
        Text(
            "Assurer le suivi du traitement de vos demandes en temps réel.",
            "Follow the processing of your requests in real time.",
        ),
    ),
    "amf.representatives.manage": (
        "representants",
        FORM_REQUEST,
        Text(
            "Procéder au rattachement ou au retrait de représentants de votre firme.",
            "Attach representatives to your firm, or remove them.",
        ),
    ),
    "amf.disclosures.31_103": (
        "divulgations",
        FORM_DISCLOSURE,
        Text(
            "Transmettre les divulgations et les avis réglementaires requis par le "
            "Règlement 31-103.",
            "Submit the regulatory disclosures and notices required by Regulation 31-103.",
        ),
    ),
    "amf.registration.other_jurisdiction": (
        "autre-juridiction",
        FORM_REQUEST,
        Text(
            "Déposer une demande d'inscription de la firme dans un autre territoire du Canada "
            "ou dans une autre catégorie.",
            "Apply to register the firm in another Canadian jurisdiction or another category.",
        ),
    ),
    "amf.exemptions.request": (
        "dispenses",
        FORM_REQUEST,
        Text(
            "Déposer une demande de dispense en valeurs mobilières.",
            "Submit an exemption request in securities.",
        ),
    ),
    "amf.registration.cancel": (
        "radiation",
        FORM_REQUEST,
        Text(
            "Déposer une demande de radiation de l'inscription de la firme.",
            "Apply to cancel the firm's registration.",
        ),
    ),
}

_DEFAULT_SUMMARY = Text(
    "Transmettre une demande à l'Autorité pour ce service.",
    "Send the Autorité a request for this service.",
)


def load_blocks(catalogue_file: Path) -> tuple[Block, ...]:
    """Every right of the AMF's services, in the catalogue's order."""
    with catalogue_file.open("rb") as handle:
        catalogue = tomllib.load(handle)
    blocks: list[Block] = []
    for ministry in catalogue.get("ministries", []):
        if ministry.get("key") != MINISTRY:
            continue
        for service in ministry.get("services", []):
            service_name = Text(service["name_fr"], service["name_en"])
            for right in service.get("rights", []):
                slug, form, summary = _KNOWN.get(
                    right["id"],
                    (_slug(right["id"]), FORM_REQUEST, _DEFAULT_SUMMARY),
                )
                blocks.append(
                    Block(
                        right=right["id"],
                        slug=slug,
                        name=Text(right["label_fr"], right["label_en"]),
                        summary=summary,
                        form=form,
                        service=service_name,
                    )
                )
    if not blocks:
        raise ValueError(f"{catalogue_file}: the catalogue has no right of the {MINISTRY!r} body")
    return tuple(blocks)


def _slug(right: str) -> str:
    return right.removeprefix(f"{MINISTRY}.").replace(".", "-").replace("_", "-")
