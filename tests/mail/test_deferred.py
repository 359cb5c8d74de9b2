"""Deferred sending: in a request, after the response is closed; outside one, at once; a
failure is logged, never raised (the person was already answered)."""

from __future__ import annotations

import logging
from email.message import EmailMessage

from flask import Flask

from idp.errors import DeliveryError
from idp.mail.deferred import send_after_response


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[EmailMessage] = []
        self.fail = fail

    def send(self, message: EmailMessage) -> None:
        if self.fail:
            raise DeliveryError("down")
        self.sent.append(message)


def _message(subject: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message.set_content("corps")
    return message


def _app(sender: Recorder) -> Flask:
    app = Flask("deferred-test")

    @app.get("/")
    def index() -> str:
        send_after_response(sender, _message("un"))
        send_after_response(sender, _message("deux"))
        return "ok"

    return app


def test_sent_only_once_the_response_is_closed():
    sender = Recorder()
    response = _app(sender).test_client().get("/")
    assert response.get_data(as_text=True) == "ok"
    assert sender.sent == []
    response.close()
    assert [m["Subject"] for m in sender.sent] == ["un", "deux"]


def test_outside_a_request_it_sends_at_once():
    sender = Recorder()
    send_after_response(sender, _message("maintenant"))
    assert [m["Subject"] for m in sender.sent] == ["maintenant"]


def test_a_failure_after_the_response_is_logged(caplog):
    sender = Recorder(fail=True)
    response = _app(sender).test_client().get("/")
    with caplog.at_level(logging.WARNING, logger="idp.mail.deferred"):
        response.close()
    assert response.status_code == 200
    assert [r.message for r in caplog.records] == ["deferred email not sent"] * 2
