"""The client page's header card (asiakaskortti): what a coach needs at a glance on a phone --
age, the next agreed contact (and whether it is due), the last contact, the care team today
with each member's role (goal coach, job coach, ...).

Read in the page's own transaction (the client page's access-log row covers it); two small
SELECTs, whatever the client's history holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlmodel import Session, col

from engine.clock import as_utc
from engine.guards import age_on
from engine.models import CareTeam, Client, ContactEntry, User


@dataclass(frozen=True)
class TeamMember:
    """A member of today's care team: the display name and the role
    (:class:`~engine.models.CareTeamRole`: goal coach, job coach, outreach worker, ...)."""

    name: str
    role: str


@dataclass(frozen=True)
class ClientCard:
    age: int | None
    #: The follow-up date agreed at the latest contact (a later contact replaces it).
    next_contact_on: date | None
    last_contact_at: datetime | None
    #: Today's care team with their roles, in the order they joined.
    care_team: tuple[TeamMember, ...]
    today: date

    @property
    def overdue(self) -> bool:
        """The agreed next contact is in the past."""
        return self.next_contact_on is not None and self.next_contact_on < self.today

    @property
    def due_today(self) -> bool:
        return self.next_contact_on is not None and self.next_contact_on == self.today


def client_card(session: Session, client: Client, today: date) -> ClientCard:
    """The header card of ``client`` as of ``today``."""
    assert client.id is not None
    latest = session.execute(
        select(col(ContactEntry.occurred_at), col(ContactEntry.next_contact_on))
        .where(col(ContactEntry.client_id) == client.id)
        .order_by(col(ContactEntry.occurred_at).desc(), col(ContactEntry.id).desc())
        .limit(1)
    ).first()
    team = session.execute(
        select(col(User.display_name), col(CareTeam.role))
        .join(CareTeam, col(CareTeam.user_id) == col(User.id))
        .where(
            col(CareTeam.client_id) == client.id,
            col(CareTeam.valid_from) <= today,
            or_(col(CareTeam.valid_to).is_(None), col(CareTeam.valid_to) >= today),
        )
        .order_by(col(CareTeam.valid_from), col(CareTeam.id))
    ).all()
    return ClientCard(
        age=None if client.birth_date is None else age_on(client.birth_date, today),
        next_contact_on=latest[1] if latest else None,
        last_contact_at=as_utc(latest[0]) if latest else None,
        care_team=tuple(dict.fromkeys(TeamMember(name, role) for name, role in team)),
        today=today,
    )
