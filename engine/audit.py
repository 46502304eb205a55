"""The access log (käyttöloki) and the disclosure log (luovutusloki), and the client log report.

Client Data Act 703/2023 §11: a client may ask who has viewed their data and to whom it was
disclosed, normally for the last two years. So:

- every view of a client's data writes exactly one :class:`~engine.models.AccessLog` row, in the
  same transaction as the data read (the web layer's client rule calls :func:`record_access`);
- every disclosure to another organisation writes one :class:`~engine.models.Disclosure` row
  (:func:`record_disclosure`, called by the referral handoff in the same transaction, and for
  each member a group's partner co-leader is shown: :data:`GROUP_ATTENDANCE`);
- :func:`client_log` answers the client's request.

Both tables are append-only in the database (triggers from ``engine.migrate.protect_append_only``).
Rows carry ids and short codes only, never names or free text: ``what`` and ``basis`` must match
:data:`CODE`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction, aliased
from sqlmodel import Session, col

from engine.access import Basis, Principal, What
from engine.chain import append
from engine.clock import as_utc
from engine.errors import InputRequired
from engine.models import AccessLog, Disclosure, Organisation, User

#: A code, not text: letters, digits and ``_ . : / § -``, at most 64 characters.
CODE = re.compile(r"^[A-Za-z0-9_.:/§-]{1,64}$")
#: The disclosure-log ``what`` of a group member's name and attendance shown to the group's
#: partner co-leader (on the member's consent; web.security.GroupAccess.record).
GROUP_ATTENDANCE = "group_attendance"
#: How far back a client log report reaches unless asked otherwise (703/2023 §11).
DEFAULT_REPORT_YEARS = 2


def _code(field: str, value: str) -> str:
    if not CODE.fullmatch(value):
        raise InputRequired(field, f"{field} must be a short code (letters, digits, _.:/§-)")
    return value


@dataclass(frozen=True)
class View:
    """One allowed view of a client's data, as the access log records it."""

    principal: Principal
    client_id: int
    what: What
    basis: Basis
    at: datetime


def record_view(session: Session, view: View) -> None:
    """Write the access-log row of ``view`` (see :func:`record_access`)."""
    record_access(
        session,
        principal=view.principal,
        client_id=view.client_id,
        what=view.what,
        basis=view.basis,
        at=view.at,
    )


def record_access(
    session: Session,
    *,
    principal: Principal,
    client_id: int,
    what: What,
    basis: Basis,
    at: datetime,
) -> None:
    """Write one access-log row (linked into the client's hash chain, engine/chain.py). Call it
    inside the transaction that reads the data."""
    _append_accesses(
        session,
        [
            {
                "occurred_at": at,
                "user_id": principal.user_id,
                "organisation_id": principal.organisation_id,
                "client_id": client_id,
                "what": _code("what", str(what)),
                "basis": _code("basis", str(basis)),
            }
        ],
    )


def record_accesses(
    session: Session,
    *,
    principal: Principal,
    client_ids: Sequence[int],
    what: What,
    basis: Basis,
    at: datetime,
) -> None:
    """One access-log row per client of a listing (e.g. a caseload page), in one statement."""
    if not client_ids:
        return
    row = {
        "occurred_at": at,
        "user_id": principal.user_id,
        "organisation_id": principal.organisation_id,
        "what": _code("what", str(what)),
        "basis": _code("basis", str(basis)),
    }
    _append_accesses(session, [{**row, "client_id": cid} for cid in client_ids])


#: ``Session.info`` key: this session writes its access-log rows when it commits.
_DEFER = "polku_access_log_at_commit"
_PENDING = "polku_access_log_pending"
_MARKS = "polku_access_log_marks"


def write_access_log_at_commit(session: Session) -> None:
    """From now on, the access-log rows of ``session`` are written just before its transaction
    commits (in that transaction, all in one append), not when they are recorded.

    The web layer's request transactions use it: the row's stream head (``log_chain``) is locked
    from its upsert to the COMMIT, so written at the start it would make every other request
    about the same client (a caseload: 25 clients) wait while this one renders its page. A row
    recorded and then rolled back (the transaction, or a savepoint: :func:`drop_pending_accesses`)
    is never written, as before."""
    if session.info.get(_DEFER):
        return
    session.info[_DEFER] = True
    session.info[_MARKS] = {}


# The listeners of write_access_log_at_commit, registered once on every Session (sqlmodel's is a
# subclass) and acting only on a session marked by it: a listener set per session cost a request
# about 37 µs to register, and a dispatch of its own for each of its transactions' events.


@event.listens_for(OrmSession, "before_commit")
def _write(sess: OrmSession) -> None:
    if not sess.info.get(_DEFER) or sess.in_nested_transaction():
        return  # not deferring, or a savepoint released: the outer commit writes them
    write_pending_accesses(sess)  # type: ignore[arg-type]


@event.listens_for(OrmSession, "after_transaction_create")
def _mark(sess: OrmSession, transaction: SessionTransaction) -> None:
    marks: dict[SessionTransaction, int] | None = sess.info.get(_MARKS)
    if marks is not None and transaction.nested:
        # a savepoint: the rows recorded inside it go if it rolls back
        marks[transaction] = len(sess.info.get(_PENDING, ()))


@event.listens_for(OrmSession, "after_soft_rollback")
def _undo(sess: OrmSession, transaction: SessionTransaction) -> None:
    marks: dict[SessionTransaction, int] | None = sess.info.get(_MARKS)
    if marks is not None and transaction in marks and _PENDING in sess.info:
        del sess.info[_PENDING][marks[transaction] :]


@event.listens_for(OrmSession, "after_transaction_end")
def _forget(sess: OrmSession, transaction: SessionTransaction) -> None:
    marks: dict[SessionTransaction, int] | None = sess.info.get(_MARKS)
    if marks is not None and transaction.parent is None:
        sess.info.pop(_PENDING, None)
        marks.clear()


def write_pending_accesses(session: Session) -> None:
    """Write the rows recorded so far now (a read of the access log in this transaction)."""
    rows = session.info.pop(_PENDING, None)
    if rows:
        append(session, "access_log", rows)
        marks = session.info.get(_MARKS, {})
        for transaction in marks:  # a savepoint rolled back now undoes these rows in the database
            marks[transaction] = 0


def drop_pending_accesses(session: Session) -> None:
    """Forget the rows recorded and not yet written (their work was rolled back to a savepoint
    that began before them)."""
    session.info.pop(_PENDING, None)


def _append_accesses(session: Session, rows: list[dict[str, object]]) -> None:
    if session.info.get(_DEFER):
        session.info.setdefault(_PENDING, []).extend(rows)
    else:
        append(session, "access_log", rows)


def record_disclosure(
    session: Session,
    *,
    client_id: int,
    recipient_organisation_id: int,
    what: str,
    basis: str,
    disclosed_by: int | None,
    at: datetime,
) -> int:
    """Write one disclosure-log row and return its id. Call it in the transaction that hands the
    data over (e.g. sending a referral packet), after checking consent or the statutory basis.

    ``what`` names what was handed over (``"referral_packet"``); ``basis`` why it was allowed
    (``"consent"`` or a statute code such as ``"1301/2014:41§"``). Codes only, never free text.
    """
    row = {
        "occurred_at": at,
        "client_id": client_id,
        "recipient_organisation_id": recipient_organisation_id,
        "disclosed_by": disclosed_by,
        "what": _code("what", what),
        "basis": _code("basis", basis),
    }
    return append(session, "disclosure", [row])[0]


def record_attendance_disclosures(
    session: Session,
    *,
    client_ids: Sequence[int],
    recipient_organisation_id: int,
    at: datetime,
) -> None:
    """One disclosure-log row per group member whose name and attendance a partner co-leader's
    page shows (:data:`GROUP_ATTENDANCE`, basis the member's consent)."""
    for client_id in client_ids:
        record_disclosure(
            session,
            client_id=client_id,
            recipient_organisation_id=recipient_organisation_id,
            what=GROUP_ATTENDANCE,
            basis="consent",
            disclosed_by=None,
            at=at,
        )


@dataclass(frozen=True)
class AccessEntry:
    """Who viewed the client's data, when, what, and on what basis."""

    at: datetime
    user_id: int
    user_name: str
    organisation_id: int | None
    organisation_name: str | None
    what: str
    basis: str


@dataclass(frozen=True)
class DisclosureEntry:
    """Which organisation received the client's data, when, what, and on what basis."""

    at: datetime
    organisation_id: int
    organisation_name: str
    what: str
    basis: str
    disclosed_by: int | None


@dataclass(frozen=True)
class ClientLog:
    client_id: int
    since: datetime
    until: datetime
    accessed: list[AccessEntry]
    disclosed: list[DisclosureEntry]


def years_before(moment: datetime, years: int) -> datetime:
    """The same calendar moment ``years`` earlier (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def client_log(
    session: Session,
    client_id: int,
    *,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
) -> ClientLog:
    """Every access and disclosure of one client's data in [since, until], oldest first.

    Default period: the last :data:`DEFAULT_REPORT_YEARS` years up to ``now``. Names of users and
    organisations are looked up now (the log itself holds ids only).
    """
    write_pending_accesses(session)  # the views of this transaction (the report's own) too
    since = as_utc(since or years_before(now, DEFAULT_REPORT_YEARS))
    until = as_utc(until or now)
    viewer_org = aliased(Organisation)
    accessed = session.execute(
        select(
            col(AccessLog.occurred_at),
            col(AccessLog.user_id),
            col(User.display_name),
            col(AccessLog.organisation_id),
            col(viewer_org.name),
            col(AccessLog.what),
            col(AccessLog.basis),
        )
        .join(User, col(User.id) == col(AccessLog.user_id))
        .outerjoin(viewer_org, col(viewer_org.id) == col(AccessLog.organisation_id))
        .where(
            col(AccessLog.client_id) == client_id,
            col(AccessLog.occurred_at) >= since,
            col(AccessLog.occurred_at) <= until,
        )
        .order_by(col(AccessLog.occurred_at), col(AccessLog.id))
    ).all()
    disclosed = session.execute(
        select(
            col(Disclosure.occurred_at),
            col(Disclosure.recipient_organisation_id),
            col(Organisation.name),
            col(Disclosure.what),
            col(Disclosure.basis),
            col(Disclosure.disclosed_by),
        )
        .join(Organisation, col(Organisation.id) == col(Disclosure.recipient_organisation_id))
        .where(
            col(Disclosure.client_id) == client_id,
            col(Disclosure.occurred_at) >= since,
            col(Disclosure.occurred_at) <= until,
        )
        .order_by(col(Disclosure.occurred_at), col(Disclosure.id))
    ).all()
    return ClientLog(
        client_id=client_id,
        since=since,
        until=until,
        accessed=[AccessEntry(as_utc(r[0]), *r[1:]) for r in accessed],
        disclosed=[DisclosureEntry(as_utc(r[0]), *r[1:]) for r in disclosed],
    )
