from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from attendance import providers, selectors, services
from attendance.models import AttendanceOverride, MatchMethod, Participant
from courses.models import ClassSession
from tests.factories import ClassSessionFactory, CourseFactory, RegistrationFactory


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def guest(class_session, signal):
    signal("join", 5, participant="guest", display_name="Conference room")
    signal("leave", 80, participant="guest")
    return Participant.objects.get(participant_key="guest")


def urls_with_ids(class_session, registration, participant):
    return [
        ("get", reverse("attendance:class_attendance", args=[class_session.pk])),
        ("get", reverse("attendance:class_attendance_csv", args=[class_session.pk])),
        ("post", reverse("attendance:registration_mark", args=[registration.pk])),
        ("post", reverse("attendance:participant_assign", args=[class_session.pk])),
    ]


def test_every_url_is_for_members_only(client, class_session, ada, guest):
    for method, url in urls_with_ids(class_session, ada, guest):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_another_organizations_ids_give_404(client, other_owner, class_session, ada, guest):
    client.force_login(other_owner)
    for method, url in urls_with_ids(class_session, ada, guest):
        data = {"status": "present", "reason": "x", "participant_id": guest.pk, "registration_id": ada.pk}
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, url
    assert not AttendanceOverride.objects.exists()
    guest.refresh_from_db()
    assert guest.registration is None


def test_assigning_ids_from_elsewhere_gives_404(owner_client, class_session, course, ada, guest, other_organization):
    foreign_class = ClassSessionFactory(course=CourseFactory(organization=other_organization))
    foreign = RegistrationFactory(class_session=foreign_class)
    same_org_other_class = RegistrationFactory(class_session=ClassSessionFactory(course=course))
    url = reverse("attendance:participant_assign", args=[class_session.pk])
    other_class_url = reverse("attendance:participant_assign", args=[same_org_other_class.class_session_id])

    for target, data in (
        (url, {"participant_id": guest.pk, "registration_id": foreign.pk}),
        (url, {"participant_id": guest.pk, "registration_id": same_org_other_class.pk}),
        (other_class_url, {"participant_id": guest.pk, "registration_id": same_org_other_class.pk}),
    ):
        assert owner_client.post(target, data).status_code == 404
    guest.refresh_from_db()
    assert guest.registration is None


def test_trainer_sees_the_attendance_page(trainer_client, class_session, ada, grace, guest, signal):
    signal("join", 2, participant="ada", registration=ada)
    signal("leave", 77, participant="ada", registration=ada)

    response = trainer_client.get(reverse("attendance:class_attendance", args=[class_session.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    local = (class_session.starts_at + timedelta(minutes=2)).astimezone(class_session.zone).strftime("%H:%M")
    assert "Ada Lovelace" in html and "Grace Hopper" in html
    assert f">{local}</time>" in html
    assert "1 / 2 attended" in html
    assert "Conference room" in html


def test_csv_download(trainer_client, class_session, ada):
    response = trainer_client.get(reverse("attendance:class_attendance_csv", args=[class_session.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0].startswith("Type,Last name,First name,Email,Joined")
    assert "Ada@Example.com" in body


def test_mark_present_keeps_who_and_why_and_returns_to_the_page(trainer_client, trainer, class_session, ada):
    back = reverse("attendance:class_attendance", args=[class_session.pk]) + "?from=zoom"
    response = trainer_client.post(
        reverse("attendance:registration_mark", args=[ada.pk]),
        {"status": "present", "reason": "Joined by phone", "next": back},
    )
    assert response.status_code == 302 and response.url == back
    override = AttendanceOverride.objects.get()
    assert (override.status, override.reason, override.set_by) == ("present", "Joined by phone", trainer)
    assert messages_of(response) == ["Ada Lovelace marked present."]


def test_mark_without_reason_is_refused_with_a_message(trainer_client, class_session, ada):
    response = trainer_client.post(reverse("attendance:registration_mark", args=[ada.pk]), {"status": "absent"})
    assert response.url == reverse("attendance:class_attendance", args=[class_session.pk])
    assert not AttendanceOverride.objects.exists()
    assert messages_of(response) == ["Ada Lovelace: Say why, so others know later."]


def test_next_pointing_elsewhere_is_ignored(trainer_client, class_session, ada):
    response = trainer_client.post(
        reverse("attendance:registration_mark", args=[ada.pk]),
        {"status": "present", "reason": "Phone", "next": "https://evil.example/"},
    )
    assert response.url == reverse("attendance:class_attendance", args=[class_session.pk])


def test_marking_needs_post(trainer_client, ada):
    assert trainer_client.get(reverse("attendance:registration_mark", args=[ada.pk])).status_code == 405


def test_assign_an_unmatched_participant(trainer_client, trainer, class_session, ada, guest):
    response = trainer_client.post(
        reverse("attendance:participant_assign", args=[class_session.pk]),
        {"participant_id": guest.pk, "registration_id": ada.pk},
    )
    assert response.status_code == 302
    guest.refresh_from_db()
    assert (guest.registration, guest.match_method, guest.assigned_by) == (ada, MatchMethod.ASSIGNED, trainer)
    assert messages_of(response) == ["Conference room now counts for Ada Lovelace."]
    page = trainer_client.get(reverse("attendance:class_attendance", args=[class_session.pk])).content.decode()
    assert "Participants not matched" not in page


def test_class_page_panel_shows_attended_over_registered(owner_client, course, signal):
    started = ClassSessionFactory(course=course, starts_at=timezone.now() - timedelta(hours=2))
    present = RegistrationFactory(class_session=started)
    RegistrationFactory(class_session=started)
    services.presence_signal_record(
        class_session=started,
        source="test",
        external_id="j",
        session_key="r",
        participant_key="p",
        kind="join",
        occurred_at=started.starts_at,
        registration=present,
    )
    services.presence_signal_record(
        class_session=started,
        source="test",
        external_id="e",
        session_key="r",
        kind="session_end",
        occurred_at=started.ends_at,
    )

    html = owner_client.get(reverse("courses:class_detail", args=[started.pk])).content.decode()

    assert "1 / 2" in html
    assert reverse("attendance:class_attendance", args=[started.pk]) in html


def test_no_panel_before_the_class_without_data(owner_client, class_session, ada):
    html = owner_client.get(reverse("courses:class_detail", args=[class_session.pk])).content.decode()
    assert reverse("attendance:class_attendance", args=[class_session.pk]) not in html


def test_student_sees_only_their_own_attendance_in_the_portal(client, course):
    past = ClassSessionFactory(course=course, starts_at=timezone.now() - timedelta(days=1))
    me = RegistrationFactory(class_session=past, first_name="Me")
    classmate = RegistrationFactory(class_session=past, first_name="Classmate")
    for registration, minutes in ((me, 80), (classmate, 20)):
        for kind, minute in (("join", 0), ("leave", minutes)):
            services.presence_signal_record(
                class_session=past,
                source="test",
                external_id=f"{registration.pk}-{kind}",
                session_key="r",
                participant_key=str(registration.pk),
                kind=kind,
                occurred_at=past.starts_at + timedelta(minutes=minute),
                registration=registration,
            )
    client.force_login(me.student)

    html = client.get(reverse("portal:home")).content.decode()

    assert "present 80 of 90 minutes (88%)" in html
    assert "Attended" in html
    assert "20 of 90" not in html and "Classmate" not in html


def test_portal_provider_drops_registrations_of_someone_else(rf, course):
    past = ClassSessionFactory(course=course, starts_at=timezone.now() - timedelta(days=1))
    mine, theirs = RegistrationFactory(class_session=past), RegistrationFactory(class_session=past)
    services.attendance_override_set(registration=theirs, status="present", reason="Phone", by=None)
    services.attendance_override_set(registration=mine, status="absent", reason="No show", by=None)
    request = rf.get("/portal/")
    request.user = mine.student

    sections = providers.attendance_portal_sections(request=request, registrations=[mine, theirs])

    assert list(sections) == [mine.pk]


def test_portal_shows_nothing_for_upcoming_classes(rf, class_session, ada, trainer):
    services.attendance_override_set(registration=ada, status="present", reason="Early note", by=trainer)
    request = rf.get("/portal/")
    request.user = ada.student
    assert providers.attendance_portal_sections(request=request, registrations=[ada]) == {}


def test_a_student_without_membership_cannot_open_the_attendance_page(client, class_session, ada):
    client.force_login(ada.student)
    response = client.get(reverse("attendance:class_attendance", args=[class_session.pk]))
    assert response.status_code == 302 and response.url == reverse("portal:home")


def _status_of(html, registration):
    row = html.split(f'id="attendance-registration-{registration.pk}"')[1].split("</tr>")[0]
    return row.split("attendance-status")[1].split(">")[1].split("<")[0]


def _move(class_session, *, starts_in):
    ClassSession.objects.filter(pk=class_session.pk).update(starts_at=timezone.now() + starts_in)
    class_session.refresh_from_db()


def _later(monkeypatch, delta):
    """The clock moves on by `delta`."""
    later = timezone.now() + delta
    monkeypatch.setattr(timezone, "now", lambda: later)


def _record(class_session, registration, kind, at):
    services.presence_signal_record(
        class_session=class_session,
        source="test",
        external_id=f"{registration.pk}-{kind}-{at.timestamp()}",
        session_key="r",
        participant_key=str(registration.pk),
        kind=kind,
        occurred_at=at,
        registration=registration,
    )


def test_attendance_status_upcoming_in_the_meeting_then_the_verdict(
    trainer_client, class_session, ada, grace, monkeypatch
):
    page = reverse("attendance:class_attendance", args=[class_session.pk])
    html = trainer_client.get(page).content.decode()
    assert (_status_of(html, ada), _status_of(html, grace)) == ("Upcoming", "Upcoming")

    _move(class_session, starts_in=-timedelta(minutes=30))  # 30 of 90 minutes gone
    _record(class_session, ada, "join", class_session.starts_at)
    _record(class_session, grace, "join", class_session.starts_at)
    _record(class_session, grace, "leave", class_session.starts_at + timedelta(minutes=10))
    html = trainer_client.get(page).content.decode()
    assert (_status_of(html, ada), _status_of(html, grace)) == ("In the meeting", "Left the meeting")
    assert "Not attended" not in html

    _record(class_session, ada, "leave", class_session.starts_at + timedelta(minutes=85))
    _later(monkeypatch, timedelta(hours=1, minutes=1))  # the class has ended
    html = trainer_client.get(page).content.decode()
    assert (_status_of(html, ada), _status_of(html, grace)) == ("Attended", "Not attended")


def test_a_student_not_joined_during_the_class_is_not_yet_not_attended(trainer_client, class_session, ada):
    _move(class_session, starts_in=-timedelta(minutes=10))
    html = trainer_client.get(reverse("attendance:class_attendance", args=[class_session.pk])).content.decode()
    assert _status_of(html, ada) == "Not joined yet"


def test_the_portal_shows_in_the_meeting_during_the_class_and_the_verdict_after(
    client, class_session, ada, monkeypatch
):
    client.force_login(ada.student)
    _move(class_session, starts_in=-timedelta(minutes=20))
    _record(class_session, ada, "join", class_session.starts_at)

    html = client.get(reverse("portal:home")).content.decode()
    assert "In the meeting" in html and "Not attended" not in html and ">Attended<" not in html

    _record(class_session, ada, "leave", class_session.starts_at + timedelta(minutes=30))
    _later(monkeypatch, timedelta(hours=2))
    html = client.get(reverse("portal:home")).content.decode()
    assert ">Not attended<" in html and "In the meeting" not in html
    assert "present 30 of 90 minutes" in html


def test_csv_says_upcoming_rather_than_no_before_the_class(class_session, ada):
    rows = list(selectors.attendance_csv_rows(class_session=class_session))
    assert rows[1][selectors.CSV_HEADER.index("Attended")] == "Upcoming"
