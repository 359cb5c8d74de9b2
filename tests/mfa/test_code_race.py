"""Two requests presenting the same code at the same moment: exactly one signs in.

The first request to read the code is held until the second has read it too (or, where the
database locks the row, until it gives up waiting), so both have seen an unused code before
either consumes it.
"""

from __future__ import annotations

import contextlib
import threading

from sqlalchemy import func, select

from idp.accounts.models import UserSession
from idp.audit.models import AuditEvent
from idp.extensions import db
from idp.mfa import services as mfa_services
from tests.conftest import csrf_token


def test_one_code_completes_one_sign_in(app, auth, person, smtp, monkeypatch):
    auth.password_step(person.user_code, person.password)
    code = smtp.last_code(person.email)
    cookie = auth.client.get_cookie("idp_session").value
    clients = [app.test_client(), app.test_client()]
    tokens = []
    for client in clients:
        client.set_cookie("idp_session", cookie)
        tokens.append(csrf_token(client.get("/connexion/code").get_data(as_text=True)))

    both_read = threading.Barrier(2)
    real_code_hash = mfa_services.code_hash

    def hash_after_both_read(*args):
        # PostgreSQL: the other request waits on the row lock and never gets here; go on.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait(timeout=2)
        return real_code_hash(*args)

    monkeypatch.setattr(mfa_services, "code_hash", hash_after_both_read)
    results: list[int] = []

    def submit(client, token):
        with app.app_context():
            response = client.post("/connexion/code", data={"code": code, "csrf_token": token})
            results.append(response.status_code)

    threads = [
        threading.Thread(target=submit, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == [200, 302]
    completed = db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "accounts:signin:complete")
    )
    assert completed == 1
    assert db.session.scalar(select(UserSession.stage)) == "authenticated"
