"""What a citizen picks from at enrolment: an image and four security questions.

Keys are stored; labels are in both languages here so the pages and emails never depend on a
translation being present for the person to recognise their own choice.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

QUESTIONS_PER_ACCOUNT = 4
MIN_ANSWER_LENGTH = 2
MAX_ANSWER_LENGTH = 100
MAX_PHRASE_LENGTH = 100


@dataclass(frozen=True)
class Choice:
    key: str
    fr: str
    en: str

    def label(self, language: str) -> str:
        return self.en if language == "en" else self.fr


IMAGES = (
    Choice("erable", "Une feuille d'érable rouge", "A red maple leaf"),
    Choice("flocon", "Un flocon de neige", "A snowflake"),
    Choice("canot", "Un canot sur un lac", "A canoe on a lake"),
    Choice("orignal", "Un orignal", "A moose"),
    Choice("phare", "Un phare", "A lighthouse"),
    Choice("sapin", "Un sapin", "A fir tree"),
    Choice("soleil", "Un soleil", "A sun"),
    Choice("poisson", "Un poisson", "A fish"),
    Choice("velo", "Un vélo", "A bicycle"),
    Choice("montagne", "Une montagne enneigée", "A snowy mountain"),
    Choice("harfang", "Un harfang des neiges", "A snowy owl"),
    Choice("iris", "Un iris versicolore", "A blue flag iris"),
)

QUESTIONS = (
    Choice(
        "first_school",
        "Quel est le nom de votre première école primaire?",
        "What is the name of your first elementary school?",
    ),
    Choice(
        "childhood_street",
        "Sur quelle rue habitiez-vous à l'âge de 10 ans?",
        "What street did you live on at age 10?",
    ),
    Choice(
        "first_pet",
        "Quel était le nom de votre premier animal de compagnie?",
        "What was the name of your first pet?",
    ),
    Choice(
        "grandmother_name",
        "Quel est le prénom de votre grand-mère maternelle?",
        "What is your maternal grandmother's first name?",
    ),
    Choice(
        "first_job",
        "Quel a été votre premier emploi?",
        "What was your first job?",
    ),
    Choice(
        "favourite_teacher",
        "Quel est le nom de famille de votre enseignant préféré?",
        "What is the family name of your favourite teacher?",
    ),
    Choice(
        "first_car",
        "Quelle était la marque de votre première voiture?",
        "What was the make of your first car?",
    ),
    Choice(
        "parents_meeting_city",
        "Dans quelle ville vos parents se sont-ils rencontrés?",
        "In what town did your parents meet?",
    ),
    Choice(
        "childhood_friend",
        "Quel est le prénom de votre meilleur ami d'enfance?",
        "What is the first name of your best childhood friend?",
    ),
    Choice(
        "first_concert",
        "Quel a été le premier spectacle auquel vous avez assisté?",
        "What was the first show you went to?",
    ),
)

_IMAGES = {choice.key: choice for choice in IMAGES}
_QUESTIONS = {choice.key: choice for choice in QUESTIONS}


def image(key: str) -> Choice | None:
    return _IMAGES.get(key)


def question(key: str) -> Choice | None:
    return _QUESTIONS.get(key)


def normalize_answer(raw: str) -> str:
    """What is compared: « École Saint-Jean » and « ecole saint jean » are the same answer.

    Case, accents, punctuation and spacing are ignored; letters and digits are what the
    person remembers.
    """
    decomposed = unicodedata.normalize("NFKD", raw or "")
    without_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = re.split(r"[\W_]+", without_accents.casefold())
    return " ".join(word for word in words if word)
