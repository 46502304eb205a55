"""Pair work on the contact log (engine/contacts.py): who can be named as the second worker, and
that anyone else is refused naming the field (the page flow: features/pairwork)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.contacts import pair_worker_choices, record_contact
from engine.errors import InvalidInput
from engine.inputs import Checks
from engine.models import ContactEntry, Role, User
from engine.runtime import Runtime
from engine.testing import make_client, make_organisation, make_user


def test_only_other_active_coaches_of_the_organisation_can_be_the_pair(
    runtime: Runtime,
) -> None:
    writer = make_user(runtime, Role.coach)
    colleague = make_user(runtime, Role.coach, organisation_id=writer.organisation_id)
    gone = make_user(runtime, Role.coach, organisation_id=writer.organisation_id)
    coordinator = make_user(runtime, Role.coordinator, organisation_id=writer.organisation_id)
    elsewhere = make_user(
        runtime, Role.coach, organisation_id=make_organisation(runtime, name="Toinen hanke")
    )
    assert writer.id
    assert colleague.id
    assert gone.id
    assert coordinator.id
    assert elsewhere.id
    with runtime.db.write() as session:
        user = session.get(User, gone.id)
        assert user is not None
        user.is_active = False
    client_id, _ = make_client(
        runtime, organisation_id=writer.organisation_id, care_team=(writer.id,)
    )
    with runtime.db.read() as session:
        choices = pair_worker_choices(session, client_id, writer.id)
    assert [user_id for user_id, _name in choices] == [colleague.id]
    for wrong in (writer.id, gone.id, coordinator.id, elsewhere.id, 999_999):
        with runtime.db.write() as session, pytest.raises(InvalidInput) as refused:
            record_contact(
                session,
                client_id=client_id,
                coach_id=writer.id,
                contact={"kind": "home_visit", "duration_minutes": 60, "pair_worker_id": wrong},
                checks=Checks.of(runtime.clock),
            )
        assert set(refused.value.errors) == {"pair_worker_id"}
    with runtime.db.write() as session:
        entry = record_contact(
            session,
            client_id=client_id,
            coach_id=writer.id,
            contact={"kind": "home_visit", "pair_worker_id": str(colleague.id)},
            checks=Checks.of(runtime.clock),
        )
        assert (entry.coach_id, entry.pair_worker_id) == (writer.id, colleague.id)
    with runtime.db.read() as session:
        assert session.execute(select(func.count()).select_from(ContactEntry)).scalar_one() == 1
