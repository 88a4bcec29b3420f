"""Polls answered per student on the attendance report (page and CSV), and unmatched respondents assigned."""

import csv
import html
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attendance import selectors as attendance_selectors
from courses.models import Registration
from evidence import services
from evidence.models import PollAnswer
from tests.factories import ClassSessionFactory, CourseFactory, RegistrationFactory, UserFactory


@pytest.fixture
def ada(class_session):
    return RegistrationFactory(
        class_session=class_session, first_name="Ada", last_name="Lovelace", email="ada@example.com"
    )


@pytest.fixture
def grace(class_session):
    return RegistrationFactory(
        class_session=class_session, first_name="Grace", last_name="Hopper", email="grace@example.com"
    )


def record(class_session, poll_key, respondents, *, attendance_check=True, run="1"):
    moment = class_session.starts_at + timedelta(minutes=20)
    return services.poll_results_record(
        class_session=class_session,
        source="zoom",
        session_key=f"class-{class_session.pk}-run-{run}",  # like Zoom's instance uuids, unique to one run
        poll_key=poll_key,
        title=f"Check {poll_key}",
        attendance_check=attendance_check,
        answers=[
            {"email": email, "name": name, "question": "Still with us?", "answer": "Yes", "answered_at": moment}
            for email, name in respondents
        ],
    )


def page(client, class_session):
    response = client.get(f"/attendance/classes/{class_session.pk}/")
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def row_of(text, registration):
    return text.split(f'id="attendance-registration-{registration.pk}"')[1].split("</tr>")[0]


def test_the_attendance_page_and_csv_show_polls_answered_of_attendance_checks_only(
    trainer_client, class_session, ada, grace
):
    record(class_session, "p1", [("ada@example.com", "Ada"), ("grace@example.com", "Grace")])
    record(class_session, "p2", [("ada@example.com", "Ada")])
    record(class_session, "p3", [("ada@example.com", "Ada")], run="2")  # a restart's poll counts too
    record(class_session, "zoom-only", [("grace@example.com", "Grace")], attendance_check=False)

    text = page(trainer_client, class_session)

    assert '<th scope="col">Polls answered</th>' in text
    assert '<td class="report-column">3 of 3</td>' in row_of(text, ada)
    assert '<td class="report-column">1 of 3</td>' in row_of(text, grace)
    assert "“Check zoom-only” · 1 respondent · " in text and "not an attendance check, not counted" in text

    response = trainer_client.get(f"/attendance/classes/{class_session.pk}/attendance.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][-1] == "Polls answered"
    assert {row[3]: row[-1] for row in rows[1:]} == {"ada@example.com": "3 of 3", "grace@example.com": "1 of 3"}


def test_a_class_without_attendance_check_polls_has_no_polls_column(trainer_client, class_session, ada):
    text = page(trainer_client, class_session)

    assert "Polls answered" not in text and "Polls of this class" not in text


def _queries(class_session, read):
    loaded = attendance_selectors.class_session_for_attendance(
        organization=class_session.organization, class_session_id=class_session.pk
    )
    with CaptureQueriesContext(connection) as captured:
        read(loaded)
    return len(captured)


def _class_with(course, size):
    class_session = ClassSessionFactory(course=course)
    student = UserFactory()
    registrations = Registration.objects.bulk_create(
        Registration(
            organization=course.organization,
            class_session=class_session,
            student=student,
            first_name=f"S{number}",
            email=f"s{number}@example.com",
        )
        for number in range(size)
    )
    record(class_session, "p1", [(r.email, r.first_name) for r in registrations] + [("", "Guest")])
    record(class_session, "p2", [(r.email, r.first_name) for r in registrations[::2]])
    return class_session


def test_the_polls_column_and_section_cost_the_same_queries_for_5_or_300_students(organization):
    course = CourseFactory(organization=organization)
    small, large = _class_with(course, 5), _class_with(course, 300)

    def read(class_session):
        attendance = attendance_selectors.attendance_for_class(class_session=class_session)
        return attendance.columns, attendance.sections

    # The report's own 5 queries (records read as values), then 2 for the column and 2 for the sections.
    assert _queries(small, read) == _queries(large, read) == 5 + 2 + 2
    assert _queries(small, lambda c: list(attendance_selectors.attendance_csv_lines(class_session=c))) == 5 + 2


def test_an_unmatched_respondent_is_assigned_to_a_student_and_counts_for_them(
    trainer_client, class_session, ada, grace
):
    record(class_session, "p1", [("ada@example.com", "Ada"), ("", "Grace's iPad")])  # Zoom gave no email
    record(class_session, "p2", [("", "Grace's iPad")])
    text = page(trainer_client, class_session)
    assert "Poll respondents not matched to a registration" in text
    assert '<td class="report-column">0 of 2</td>' in row_of(text, grace)
    answer = PollAnswer.objects.filter(respondent_name="Grace's iPad").order_by("pk").first()
    assert f'id="poll-respondent-{answer.pk}"' in text

    next_url = f"/attendance/classes/{class_session.pk}/"
    response = trainer_client.post(
        f"/evidence/classes/{class_session.pk}/poll-answers/assign/",
        {"answer_id": answer.pk, "registration_id": grace.pk, "next": next_url},
    )

    assert response.status_code == 302 and response["Location"] == next_url
    assert set(PollAnswer.objects.filter(respondent_name="Grace's iPad").values_list("registration", flat=True)) == {
        grace.pk
    }
    text = page(trainer_client, class_session)
    assert '<td class="report-column">2 of 2</td>' in row_of(text, grace)
    assert "Poll respondents not matched to a registration" not in text


def test_assigning_another_organizations_answer_or_student_answers_404(
    trainer_client, class_session, ada, other_organization
):
    foreign_class = ClassSessionFactory(course=CourseFactory(organization=other_organization))
    foreign_student = RegistrationFactory(class_session=foreign_class, email="x@example.com")
    record(foreign_class, "p1", [("", "Stranger")])
    foreign_answer = PollAnswer.objects.get()
    record(class_session, "p1", [("", "Guest")])
    own_answer = PollAnswer.objects.get(respondent_name="Guest")
    url = f"/evidence/classes/{class_session.pk}/poll-answers/assign/"

    assert trainer_client.post(url, {"answer_id": foreign_answer.pk, "registration_id": ada.pk}).status_code == 404
    assert (
        trainer_client.post(url, {"answer_id": own_answer.pk, "registration_id": foreign_student.pk}).status_code == 404
    )
    foreign_url = f"/evidence/classes/{foreign_class.pk}/poll-answers/assign/"
    assert (
        trainer_client.post(foreign_url, {"answer_id": foreign_answer.pk, "registration_id": ada.pk}).status_code == 404
    )
    assert not PollAnswer.objects.filter(registration__isnull=False).exists()
