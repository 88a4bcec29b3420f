"""Project-wide fixtures: users, organizations, courses and classes made with factories."""

import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.core.cache import cache

from tests.factories import (
    ClassSessionFactory,
    CourseFactory,
    MembershipFactory,
    OrganizationFactory,
    RegistrationFactory,
)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _cache_database_per_xdist_worker():
    """Each pytest-xdist worker its own Redis database: clearing the cache (FLUSHDB) must not touch another's."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    config = settings.CACHES["default"]
    if worker.startswith("gw") and config["LOCATION"].startswith("redis"):
        config["LOCATION"] = urlunsplit(urlsplit(config["LOCATION"])._replace(path=f"/{int(worker[2:]) + 1}"))


_cache_database_per_xdist_worker()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters (and any cached flag) from an earlier test or run must not leak into this one."""
    cache.clear()


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="Acme Training", timezone="Europe/Berlin")


@pytest.fixture
def owner(organization):
    return MembershipFactory(organization=organization, role="owner").user


@pytest.fixture
def trainer(organization):
    return MembershipFactory(organization=organization, role="trainer").user


@pytest.fixture
def other_organization(db):
    return OrganizationFactory(name="Other Org")


@pytest.fixture
def other_owner(other_organization):
    return MembershipFactory(organization=other_organization, role="owner").user


@pytest.fixture
def course(organization):
    return CourseFactory(organization=organization)


@pytest.fixture
def class_session(course):
    return ClassSessionFactory(course=course)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def trainer_client(client, trainer):
    client.force_login(trainer)
    return client


@pytest.fixture
def registration(class_session):
    return RegistrationFactory(class_session=class_session)
