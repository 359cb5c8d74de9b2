"""clicSÉQUR – Citoyens: sign-in, account creation and the citizen's own account pages.

Sign-in is three steps (:mod:`.signin`): the user code (so the password page can show the
account's image to a browser that knows it), the password, then the emailed code — or, if the
email is out of reach, one of the four security questions. Creation (:mod:`.enrolment`) is a
wizard of four steps kept server-side (:mod:`idp.citizens.enrolment`), ended by a link sent to
the email address. :mod:`.account` holds the signed-in citizen's pages; :mod:`.common` the
blueprint and what they share.
"""

from idp.citizens.views import account, enrolment, recovery, signin
from idp.citizens.views.common import bp

__all__ = ["account", "bp", "enrolment", "recovery", "signin"]
