"""Posting to and reading from mailboxes."""

from __future__ import annotations

from sqlalchemy import func, select

from idp.db_types import DbSession
from idp.errors import NotFoundError
from idp.mailbox.models import MailboxMessage, MessageKind
from idp.runtime import Runtime


def post_message(
    session: DbSession,
    runtime: Runtime,
    account_id: int,
    kind: MessageKind,
    *,
    subject: tuple[str, str],
    body: tuple[str, str],
    dedupe_key: str | None = None,
) -> MailboxMessage | None:
    """Post a message (French, English). With a ``dedupe_key`` already used, posts nothing."""
    if dedupe_key is not None and session.scalar(
        select(MailboxMessage.id).where(MailboxMessage.dedupe_key == dedupe_key)
    ):
        return None
    message = MailboxMessage(
        account_id=account_id,
        created_at=runtime.clock(),
        kind=kind,
        subject_fr=subject[0],
        subject_en=subject[1],
        body_fr=body[0],
        body_en=body[1],
        dedupe_key=dedupe_key,
    )
    session.add(message)
    session.flush()
    return message


def unread_count(session: DbSession, account_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(MailboxMessage.id)).where(
                MailboxMessage.account_id == account_id, MailboxMessage.read_at.is_(None)
            )
        )
        or 0
    )


def messages_of(session: DbSession, account_id: int) -> list[MailboxMessage]:
    return list(
        session.scalars(
            select(MailboxMessage)
            .where(MailboxMessage.account_id == account_id)
            .order_by(MailboxMessage.created_at.desc(), MailboxMessage.id.desc())
        )
    )


def open_message(
    session: DbSession, runtime: Runtime, account_id: int, message_id: int
) -> MailboxMessage:
    """The account's own message, marked read; another account's is not found."""
    message = session.get(MailboxMessage, message_id)
    if message is None or message.account_id != account_id:
        raise NotFoundError()
    if message.read_at is None:
        message.read_at = runtime.clock()
    return message
