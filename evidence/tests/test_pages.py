"""Completion & credits pages, the audit file and the portal's progress."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from attendance.selectors import attendance_for_class
from courses.models import Enrolment, Registration
from evidence.models import CompletionRules
from tests.factories import ClassSessionFactory, CourseFactory, UserFactory

from .test_progress import _present


def _course_with(organization, *, students, classes, minutes=lambda s, c: 0, prefix="s"):
    course = CourseFactory(organization=organization, title="CPA review")
    start = timezone.now().replace(microsecond=0) - timedelta(days=70)
    sessions = [
        ClassSessionFactory(
            course=course, title=f"Week {n + 1}", starts_at=start + timedelta(weeks=n), duration_minutes=100
        )
        for n in range(classes)
    ]
    enrolments = []
    for number in range(students):
        email = f"{prefix}{number:02d}@example.com"
        enrolment = Enrolment.objects.create(
            organization=organization,
            course=course,
            student=UserFactory(email=email, password=None),
            first_name=f"Student{number:02d}",
            last_name="Example",
            email=email,
            status="confirmed",
            confirmed_at=start,
        )
        Registration.objects.bulk_create(
            Registration(
                organization=organization,
                class_session=class_session,
                student=enrolment.student,
                enrolment=enrolment,
                first_name=enrolment.first_name,
                last_name="Example",
                email=email,
            )
            for class_session in sessions
        )
        enrolments.append(enrolment)
    for s_index, enrolment in enumerate(enrolments):
        for c_index, class_session in enumerate(sessions):
            present = minutes(s_index, c_index)
            if present:
                _present(class_session, enrolment.email, present)
    return course, sessions, enrolments


@pytest.mark.django_db
def test_the_audit_file_of_40_students_and_8_classes_matches_the_class_pages_minute_for_minute(
    trainer_client, organization
):
    course, sessions, _ = _course_with(
        organization, students=40, classes=8, minutes=lambda s, c: (s * 7 + c * 13) % 110 if s % 4 == 0 else 0
    )
    response = trainer_client.get(f"/courses/{course.pk}/evidence/audit.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    audit = {(row["Email"], row["Class"]): int(row["Minutes attended (class)"]) for row in rows}
    pages = {
        (row.registration.email, class_session.title): row.minutes
        for class_session in sessions
        for row in attendance_for_class(class_session=class_session).rows
    }
    assert len(pages) == 40 * 8
    assert audit == pages
    with_presence = [row for row in rows if row["Joined"]]
    assert with_presence and all("+" in row["Joined"] or "-" in row["Joined"][10:] for row in with_presence)


@pytest.mark.django_db
def test_course_rules_are_saved_on_the_course_page_and_standing_follows(trainer_client, organization):
    course, sessions, enrolments = _course_with(organization, students=2, classes=3, minutes=lambda s, c: 100 * (c > 0))
    page = trainer_client.get(f"/courses/{course.pk}/evidence/")
    assert (
        "the organization&#x27;s defaults" in page.content.decode()
        or "the organization's defaults" in page.content.decode()
    )
    assert "missed 1 of 3 classes; 0 allowed" in page.content.decode()

    response = trainer_client.post(
        f"/courses/{course.pk}/evidence/",
        {"missed_allowed": 1, "credit_preset": "cpe50", "unit_minutes": 60, "minimum_credits": "1", "increment": "0.5"},
    )
    assert response.status_code == 302
    assert CompletionRules.objects.get(course=course).missed_allowed == 1
    page = trainer_client.get(f"/courses/{course.pk}/evidence/").content.decode()
    assert "attended 2 of 3 classes; 1 may be missed" in page and "CPE credits" in page


@pytest.mark.django_db
def test_a_custom_scheme_needs_a_name(trainer_client, organization):
    course, *_ = _course_with(organization, students=1, classes=1)
    response = trainer_client.post(
        f"/courses/{course.pk}/evidence/",
        {"missed_allowed": 0, "credit_preset": "custom", "unit_minutes": 45, "minimum_credits": "1", "increment": "1"},
    )
    assert response.status_code == 200
    assert "Name the credits of a custom scheme" in response.content.decode()
    assert not CompletionRules.objects.filter(course=course).exists()


@pytest.mark.django_db
def test_organization_defaults_apply_to_courses_without_their_own(trainer_client, organization):
    course, *_ = _course_with(organization, students=1, classes=2, minutes=lambda s, c: 100 * (c == 0))
    trainer_client.post(
        "/settings/completion/",
        {"missed_allowed": 1, "credit_preset": "pdu60", "unit_minutes": 60, "minimum_credits": "1", "increment": "0.5"},
    )
    page = trainer_client.get(f"/courses/{course.pk}/evidence/").content.decode()
    assert "attended 1 of 2 classes; 1 may be missed" in page and "PDUs" in page


@pytest.mark.django_db
def test_the_portal_shows_a_student_their_progress(client, organization):
    course, sessions, enrolments = _course_with(organization, students=1, classes=2, minutes=lambda s, c: 90)
    CompletionRules.objects.create(organization=organization, course=course, credit_preset="cpe50")
    client.force_login(enrolments[0].student)
    page = client.get("/portal/").content.decode()
    assert "Completed" in page and "2 of 2 classes attended" in page and "3 CPE credits" in page


@pytest.mark.django_db
def test_another_organizations_course_evidence_is_404(trainer_client, other_organization):
    course = CourseFactory(organization=other_organization)
    assert trainer_client.get(f"/courses/{course.pk}/evidence/").status_code == 404
    assert trainer_client.get(f"/courses/{course.pk}/evidence/audit.csv").status_code == 404
    assert trainer_client.post(f"/courses/{course.pk}/evidence/refresh/").status_code == 404


@pytest.mark.django_db
def test_the_audit_summary_pdf_names_every_student_their_standing_and_the_rules(trainer_client, organization):
    from pypdf import PdfReader

    course, sessions, enrolments = _course_with(organization, students=3, classes=2, minutes=lambda s, c: 90 * (s != 2))
    CompletionRules.objects.create(organization=organization, course=course, credit_preset="cpe50")
    response = trainer_client.get(f"/courses/{course.pk}/evidence/audit.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for enrolment in enrolments:
        assert enrolment.email in text
    assert "completed: attended 2 of 2 classes" in text and "not completed: missed 2 of 2 classes" in text
    assert "CPE credits" in text and "Week 2" in text and "(Europe/Berlin)" in text


@pytest.mark.django_db
def test_the_portal_reads_only_the_students_own_attendance(client, organization, monkeypatch):
    """The portal's progress costs the same whatever the size of the class, and builds no class's whole report."""

    def whole_report(**kwargs):
        raise AssertionError("the portal read a whole class's attendance")

    monkeypatch.setattr("evidence.selectors.attendance_for_class", whole_report)
    small, _, small_enrolments = _course_with(organization, students=2, classes=3, minutes=lambda s, c: 90)
    large, _, large_enrolments = _course_with(
        organization, students=40, classes=3, minutes=lambda s, c: 90, prefix="big"
    )

    def portal_queries(student):
        client.force_login(student)
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/portal/").content.decode()
        assert "3 of 3 classes attended" in page
        return queries

    small_queries = portal_queries(small_enrolments[0].student)
    large_queries = portal_queries(large_enrolments[0].student)
    assert len(small_queries) == len(large_queries)
