import re

import pytest

from orgs.timezones import COMMON_TIMEZONES, canonical_timezones
from tests.factories import ClassSessionFactory


def _options(page):
    """The time-zone select's option values in page order, by optgroup."""
    select = re.search(r'<select name="timezone".*?</select>', page, re.S).group(0)
    return {
        label: re.findall(r'<option value="([^"]+)"', group)
        for label, group in re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S)
    }


def test_the_list_is_canonical_names_without_aliases_or_oddities():
    names = canonical_timezones()
    assert {"Europe/Berlin", "America/New_York", "Asia/Kolkata", "Europe/Kyiv", "UTC"} <= set(names)
    for alias in (
        "Factory",
        "localtime",
        "posixrules",
        "US/Eastern",
        "Asia/Calcutta",
        "Europe/Kiev",
        "GB",
        "Etc/GMT+5",
    ):
        assert alias not in names
    assert set(COMMON_TIMEZONES) <= set(names)


@pytest.mark.django_db
def test_organization_settings_list_common_zones_first_then_all(owner_client):
    groups = _options(owner_client.get("/settings/organization/").content.decode())
    assert list(groups) == ["Common time zones", "All time zones"]
    assert groups["Common time zones"] == list(COMMON_TIMEZONES)
    assert groups["All time zones"] == list(canonical_timezones())


@pytest.mark.django_db
def test_class_form_lists_the_curated_zones_and_refuses_an_alias(trainer_client, course):
    groups = _options(trainer_client.get(f"/courses/{course.pk}/classes/new/").content.decode())
    assert list(groups) == ["Common time zones", "All time zones"]
    assert "Factory" not in groups["All time zones"] and "US/Pacific" not in groups["All time zones"]
    response = trainer_client.post(f"/courses/{course.pk}/classes/new/", {"timezone": "Factory"})
    assert "timezone" in response.context["form"].errors


@pytest.mark.django_db
def test_a_zone_stored_before_stays_valid_and_selected(owner_client, organization, course):
    organization.timezone = "Asia/Calcutta"
    organization.save()
    class_session = ClassSessionFactory(course=course, timezone="US/Eastern")
    class_session.full_clean()

    groups = _options(owner_client.get(f"/courses/classes/{class_session.pk}/edit/").content.decode())
    assert groups["Currently chosen"] == ["Asia/Calcutta", "US/Eastern"]
    page = owner_client.get("/settings/organization/").content.decode()
    assert _options(page)["Currently chosen"] == ["Asia/Calcutta"]
    assert '<option value="Asia/Calcutta" selected>' in page
    response = owner_client.post(
        "/settings/organization/", {"name": "Acme", "timezone": "Asia/Calcutta", "attendance_threshold_percent": 80}
    )
    assert response.status_code == 302
