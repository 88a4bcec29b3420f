"""Completion rules across a course and the credits they earn, from real presence signals."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from attendance import services as attendance
from attendance.models import OverrideStatus
from courses.models import ClassSession, Enrolment, Registration
from evidence import extensions, services
from evidence.models import CourseOutcome, PollAnswer, PollCheck
from evidence.selectors import course_progress
from tests.factories import ClassSessionFactory, CourseFactory, UserFactory


@pytest.fixture
def cohort(organization):
    """A course of four 100-minute classes, all held, and two enrolled students."""
    course = CourseFactory(organization=organization, title="CPA review")
    start = timezone.now().replace(microsecond=0) - timedelta(days=30)
    classes = [
        ClassSessionFactory(
            course=course, title=f"Week {n}", starts_at=start + timedelta(weeks=n), duration_minutes=100
        )
        for n in range(4)
    ]
    students = {}
    for name in ("ada", "alan"):
        email = f"{name}@example.com"
        enrolment = Enrolment.objects.create(
            organization=organization,
            course=course,
            student=UserFactory(email=email, password=None),
            first_name=name.title(),
            email=email,
            status="confirmed",
            confirmed_at=start,
        )
        for class_session in classes:
            Registration.objects.create(
                organization=organization,
                class_session=class_session,
                student=enrolment.student,
                enrolment=enrolment,
                first_name=name.title(),
                email=email,
            )
        students[name] = enrolment
    return course, classes, students


def _present(class_session, email, minutes, *, start_after=0, key=None):
    joined = class_session.starts_at + timedelta(minutes=start_after)
    for kind, at in (("join", joined), ("leave", joined + timedelta(minutes=minutes))):
        attendance.presence_signal_record(
            class_session=class_session,
            source="test",
            external_id=f"{class_session.pk}-{email}-{kind}-{start_after}",
            session_key="run-1",
            kind=kind,
            occurred_at=at,
            participant_key=key or email,
            email=email,
        )


def _progress_of(course, enrolment):
    """The enrolment's progress, read both ways: in the whole course (trainer's pages) and alone (the portal)."""
    _, progress = course_progress(course=course)
    in_course = next(item for owner, item in progress if owner.pk == enrolment.pk)
    _, alone = course_progress(course=course, enrolment_ids=[enrolment.pk])
    assert [owner.pk for owner, _ in alone] == [enrolment.pk]
    assert alone[0][1] == in_course
    return in_course


@pytest.mark.django_db
def test_attending_every_class_completes_with_cpe_credits(cohort):
    course, classes, students = cohort
    services.completion_rules_update(organization=course.organization, course=course, credit_preset="cpe50")
    for class_session in classes:
        _present(class_session, "ada@example.com", 100)
    progress = _progress_of(course, students["ada"])
    assert (progress.status, progress.reason) == ("completed", "attended 4 of 4 classes")
    assert progress.credits == Decimal("8") and progress.credit_label == "CPE credits"
    assert progress.minutes == 400


@pytest.mark.django_db
def test_missing_more_classes_than_allowed_says_so_in_words(cohort):
    course, classes, students = cohort
    services.completion_rules_update(organization=course.organization, course=course, missed_allowed=1)
    _present(classes[0], "alan@example.com", 100)
    _present(classes[1], "alan@example.com", 30)  # 30% of the time: below the 80% threshold
    progress = _progress_of(course, students["alan"])
    assert progress.status == "not_completed"
    assert progress.reason == "missed 3 of 4 classes; 1 allowed"


@pytest.mark.django_db
def test_one_missed_class_within_the_allowance_completes(cohort):
    course, classes, students = cohort
    services.completion_rules_update(organization=course.organization, course=course, missed_allowed=1)
    for class_session in classes[1:]:
        _present(class_session, "ada@example.com", 90)
    assert _progress_of(course, students["ada"]).status == "completed"


@pytest.mark.django_db
def test_a_missed_required_class_fails_whatever_the_allowance(cohort):
    course, classes, students = cohort
    services.completion_rules_update(
        organization=course.organization, course=course, missed_allowed=2, required_classes=[classes[3]]
    )
    for class_session in classes[:3]:
        _present(class_session, "ada@example.com", 100)
    progress = _progress_of(course, students["ada"])
    assert (progress.status, progress.reason) == ("not_completed", "missed a required class: Week 3")


@pytest.mark.django_db
def test_classes_to_come_keep_the_course_in_progress(cohort):
    course, classes, students = cohort
    ClassSession.objects.filter(pk=classes[3].pk).update(starts_at=timezone.now() + timedelta(days=2))
    for class_session in classes[:3]:
        _present(class_session, "ada@example.com", 100)
    progress = _progress_of(course, students["ada"])
    assert progress.status == "in_progress" and progress.reason.endswith("1 to come")


@pytest.mark.django_db
def test_make_up_in_another_cohort_counts_when_the_rule_allows(cohort, organization):
    course, classes, students = cohort
    services.completion_rules_update(organization=organization, course=course, makeup_counts=True)
    for class_session in classes[:3]:
        _present(class_session, "ada@example.com", 100)
    other_cohort = CourseFactory(organization=organization, title="CPA review, spring")
    makeup = ClassSessionFactory(
        course=other_cohort, title="Week 3", starts_at=classes[3].starts_at + timedelta(days=2)
    )
    Registration.objects.create(
        organization=organization,
        class_session=makeup,
        student=students["ada"].student,
        first_name="Ada",
        email="ada@example.com",
    )
    _present(makeup, "ada@example.com", 90)
    assert _progress_of(course, students["ada"]).status == "completed"
    services.completion_rules_update(organization=organization, course=course, makeup_counts=False)
    assert _progress_of(course, students["ada"]).status == "not_completed"


@pytest.mark.django_db
def test_a_student_in_two_intervals_earns_credits_for_the_total(cohort):
    course, classes, students = cohort
    services.completion_rules_update(organization=course.organization, course=course, credit_preset="cpe50")
    _present(classes[0], "ada@example.com", 40)
    _present(classes[0], "ada@example.com", 45, start_after=50)
    item = _progress_of(course, students["ada"]).per_class[0]
    assert item.minutes == 85 and item.credits == Decimal("1.5")


@pytest.mark.django_db
def test_a_trainer_marking_absent_removes_the_credits(cohort, owner):
    course, classes, students = cohort
    services.completion_rules_update(organization=course.organization, course=course, credit_preset="pdu60")
    _present(classes[0], "ada@example.com", 100)
    registration = Registration.objects.get(enrolment=students["ada"], class_session=classes[0])
    attendance.attendance_override_set(
        registration=registration, status=OverrideStatus.ABSENT, reason="camera off all class", by=owner
    )
    item = _progress_of(course, students["ada"]).per_class[0]
    assert item.credits == 0 and item.override_reason == "camera off all class"


@pytest.mark.django_db
def test_the_poll_rule_needs_its_share_of_attendance_checks(cohort):
    course, classes, students = cohort
    services.completion_rules_update(organization=course.organization, course=course, min_polls_percent=75)
    registration_of = {r.class_session_id: r for r in Registration.objects.filter(enrolment=students["ada"])}
    for class_session in classes:
        _present(class_session, "ada@example.com", 100)
        poll = PollCheck.objects.create(
            organization=course.organization,
            class_session=class_session,
            source="test",
            session_key=f"run-{class_session.pk}",
            poll_key="p1",
        )
        if class_session != classes[0] and class_session != classes[1]:
            PollAnswer.objects.create(
                organization=course.organization,
                poll=poll,
                registration=registration_of[class_session.pk],
                question="Still with us?",
                answer="Yes",
            )
    progress = _progress_of(course, students["ada"])
    assert (progress.polls_answered, progress.polls_total) == (2, 4)
    assert progress.reason == "answered 2 of 4 attendance polls; 75% needed"


@pytest.mark.django_db
def test_outcomes_are_kept_and_completion_is_announced_once(cohort, django_capture_on_commit_callbacks):
    course, classes, students = cohort
    for class_session in classes:
        _present(class_session, "ada@example.com", 100)
    heard = []
    hook = extensions.course_completed_hooks.register(lambda *, enrolment, progress: heard.append(enrolment.email))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.course_outcomes_refresh(course=course)
    finally:
        extensions.course_completed_hooks._items.remove(hook)
    assert heard == ["ada@example.com"]
    outcomes = {o.enrolment.email: o for o in CourseOutcome.objects.select_related("enrolment")}
    assert outcomes["ada@example.com"].status == "completed" and outcomes["ada@example.com"].completed_at
    assert outcomes["alan@example.com"].status == "not_completed"
    assert outcomes["alan@example.com"].reason == "missed 4 of 4 classes; 0 allowed"


@pytest.mark.django_db
def test_poll_results_match_respondents_by_email_and_a_second_fetch_changes_nothing(cohort, owner):
    course, classes, students = cohort
    answers = [
        {"email": "ADA@example.com", "name": "Ada", "question": "Still with us?", "answer": "Yes", "answered_at": None},
        {"email": "", "name": "Phone guest", "question": "Still with us?", "answer": "Yes", "answered_at": None},
    ]
    for _ in range(2):
        poll = services.poll_results_record(
            class_session=classes[0],
            source="zoom",
            session_key="run==",
            poll_key="p1",
            title="Check",
            attendance_check=True,
            answers=answers,
        )
    assert poll.answers.count() == 2
    ada = Registration.objects.get(enrolment=students["ada"], class_session=classes[0])
    assert poll.answers.get(respondent_name="Ada").registration == ada
    guest = poll.answers.get(respondent_name="Phone guest")
    assert guest.registration is None
    alan = Registration.objects.get(enrolment=students["alan"], class_session=classes[0])
    services.poll_answer_assign(answer=guest, registration=alan, by=owner)
    assert poll.answers.get(respondent_name="Phone guest").registration == alan


@pytest.mark.django_db
def test_evidence_outlives_the_webhook_prune_and_goes_only_with_an_explicit_purge(cohort, owner):
    from datetime import timedelta

    from attendance.models import AttendanceOverride
    from zoom_integration.inbox.drain import webhook_events_prune
    from zoom_integration.models import WebhookEvent
    from zoom_integration.operations import zoom_data_purge

    course, classes, students = cohort
    registration = Registration.objects.filter(enrolment=students["ada"]).first()
    poll = services.poll_results_record(
        class_session=classes[0],
        source="zoom",
        session_key="run==",
        poll_key="p1",
        title="Check",
        attendance_check=True,
        answers=[
            {"email": "ada@example.com", "name": "Ada", "question": "Here?", "answer": "Yes", "answered_at": None}
        ],
    )
    attendance.attendance_override_set(
        registration=registration, status=OverrideStatus.PRESENT, reason="on the phone", by=owner
    )
    with_outcome = services.course_outcomes_refresh(course=course)
    event = WebhookEvent.objects.create(
        organization=course.organization,
        event_type="meeting.ended",
        raw_body="{}",
        dedup_key="c" * 64,
        state="processed",
    )
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=timezone.now() - timedelta(days=400))

    webhook_events_prune(now=timezone.now() + timedelta(days=5 * 365))

    assert not WebhookEvent.objects.filter(pk=event.pk).exists()
    assert PollAnswer.objects.filter(poll=poll).count() == 1
    assert AttendanceOverride.objects.filter(registration=registration).exists()
    assert CourseOutcome.objects.filter(enrolment__course=course).count() == len(with_outcome)

    counts = zoom_data_purge(organization=course.organization)
    assert counts["poll answers"] == 1 and not PollCheck.objects.filter(source="zoom").exists()
