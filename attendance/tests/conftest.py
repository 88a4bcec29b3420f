import itertools
from datetime import timedelta

import pytest

from attendance import services
from tests.factories import RegistrationFactory

_external_ids = itertools.count()


def at(class_session, minute):
    return class_session.starts_at + timedelta(minutes=minute)


@pytest.fixture
def ada(class_session):
    return RegistrationFactory(
        class_session=class_session, first_name="Ada", last_name="Lovelace", email="Ada@Example.com"
    )


@pytest.fixture
def grace(class_session):
    return RegistrationFactory(
        class_session=class_session, first_name="Grace", last_name="Hopper", email="grace@example.com"
    )


@pytest.fixture
def signal(class_session):
    """Record a signal `minute` minutes after the class's scheduled start."""

    def record(kind, minute, participant="", session="run-1", external_id=None, **extra):
        return services.presence_signal_record(
            class_session=class_session,
            source="test",
            external_id=external_id or f"signal-{next(_external_ids)}",
            session_key=session,
            participant_key=participant,
            kind=kind,
            occurred_at=at(class_session, minute),
            **extra,
        )

    return record
