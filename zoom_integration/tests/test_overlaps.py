"""One Zoom host runs one meeting at a time: the class form warns before saving an overlapping Zoom class."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from courses.models import ClassSession
from zoom_integration.models import ZoomMeeting

from .test_meetings import connected, virtual_class  # noqa: F401  (fixtures)


def _form(start, **overrides):
    data = {
        "title": "Office hours",
        "starts_at_local": start.astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": 60,
        "timezone": "Europe/Berlin",
        "delivery_mode": "virtual",
        "location": "",
        "capacity": 25,
        "create_zoom_meeting": "on",
    }
    data.update(overrides)
    return data


@pytest.fixture
def on_zoom(connected, virtual_class, organization):  # noqa: F811
    ZoomMeeting.objects.create(
        organization=organization, class_session=virtual_class, status="ready", zoom_meeting_id=85746065432
    )
    return virtual_class


@pytest.mark.django_db
def test_an_overlapping_zoom_class_is_only_saved_once_confirmed(trainer_client, course, on_zoom):
    url = f"/courses/{course.pk}/classes/new/"
    response = trainer_client.post(url, _form(on_zoom.starts_at + timedelta(minutes=30)))
    assert response.status_code == 200
    page = response.content.decode()
    assert "is on Zoom at the same time, with the same host" in page and "Week 1" in page
    assert 'name="confirm_overlap"' in page and 'type="checkbox"' in page
    assert ClassSession.objects.count() == 1

    confirmed = trainer_client.post(url, _form(on_zoom.starts_at + timedelta(minutes=30), confirm_overlap="on"))
    assert confirmed.status_code == 302 and ClassSession.objects.count() == 2


@pytest.mark.django_db
def test_no_warning_after_the_other_class_or_without_zoom_or_in_person(trainer_client, course, on_zoom):
    url = f"/courses/{course.pk}/classes/new/"
    assert trainer_client.post(url, _form(on_zoom.ends_at)).status_code == 302  # starts as the other ends
    no_zoom = _form(on_zoom.starts_at, title="Drop-in")
    no_zoom.pop("create_zoom_meeting")
    assert trainer_client.post(url, no_zoom).status_code == 302
    in_person = _form(on_zoom.starts_at, title="Lab", delivery_mode="in_person")
    assert trainer_client.post(url, in_person).status_code == 302
