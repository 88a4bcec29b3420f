"""Evidence demo data for `make run`: a cohort that finished last month, with its certificates (one revoked) and a
student one class short of the rule. Made through the product's services; loading it again changes nothing."""

from datetime import timedelta

from django.test.utils import override_settings
from django.utils import timezone

from attendance.services import presence_signal_record
from certificates.models import Certificate
from certificates.services import certificate_revoke
from courses.models import ClassSession, Course, Enrolment, Registration
from evidence.services import completion_rules_update, course_outcomes_refresh
from orgs.models import Membership

COMPLETED_COURSE_TITLE = "CAPM Weekend Cohort (completed)"
STUDENTS = (
    ("Ada", "Lovelace", "ada.lovelace@students.example.com", 3),
    ("Alan", "Turing", "alan.turing@students.example.com", 3),
    ("Grace", "Hopper", "grace.hopper@students.example.com", 2),  # missed one: within the allowance
    ("Katherine", "Johnson", "katherine.johnson@students.example.com", 3),
    ("Edsger", "Dijkstra", "edsger.dijkstra@students.example.com", 1),  # missed two: one short of the rule
)


def evidence_demo_load(*, organization, stdout):
    if Course.objects.filter(organization=organization, title=COMPLETED_COURSE_TITLE).exists():
        return
    owner = Membership.objects.filter(organization=organization, role="owner").select_related("user").first().user
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        course = Course.objects.create(
            organization=organization,
            title=COMPLETED_COURSE_TITLE,
            certification="Certified Associate in Project Management (CAPM)",
            description="Three Saturday mornings, held last month.",
        )
        completion_rules_update(organization=organization, course=course, missed_allowed=1, credit_preset="pdu60")
        start = (timezone.now() - timedelta(days=35)).replace(hour=14, minute=0, second=0, microsecond=0)
        classes = [
            ClassSession.objects.create(
                organization=organization,
                course=course,
                title=f"Saturday {number}: CAPM exam content",
                starts_at=start + timedelta(weeks=number - 1),
                duration_minutes=180,
                timezone=organization.timezone,
                delivery_mode="in_person",
                location="Training room 2, 125 Main Street, Boston MA",
                capacity=20,
            )
            for number in (1, 2, 3)
        ]
        for first, last, email, attended in STUDENTS:
            registration = Registration.objects.filter(email=email).select_related("student").first()
            enrolment = Enrolment.objects.create(
                organization=organization,
                course=course,
                student=registration.student,
                first_name=first,
                last_name=last,
                email=email,
                confirmed_at=start - timedelta(days=14),
            )
            for index, class_session in enumerate(classes):
                Registration.objects.create(
                    organization=organization,
                    class_session=class_session,
                    student=enrolment.student,
                    enrolment=enrolment,
                    first_name=first,
                    last_name=last,
                    email=email,
                    confirmed_at=enrolment.confirmed_at,
                )
                if index < attended:
                    _held(class_session, email)
        course_outcomes_refresh(course=course)
        revoked = Certificate.objects.filter(enrolment__course=course, enrolment__first_name="Grace").first()
        if revoked is not None:
            certificate_revoke(certificate=revoked, by=owner, reason="Issued before her exam-eligibility check.")
    stdout.write(
        f"Demo evidence: “{COMPLETED_COURSE_TITLE}” with {Certificate.objects.filter(enrolment__course=course).count()}"
        " certificates (one revoked) and one student short of the rule."
    )


def _held(class_session, email):
    """Checked in 3 minutes in and out 4 minutes before the end, as the room's check-in reports it."""
    for kind, at in (
        ("join", class_session.starts_at + timedelta(minutes=3)),
        ("leave", class_session.ends_at - timedelta(minutes=4)),
    ):
        presence_signal_record(
            class_session=class_session,
            source="check-in",
            external_id=f"demo-{class_session.pk}-{email}-{kind}",
            session_key=f"demo-{class_session.pk}",
            kind=kind,
            occurred_at=at,
            participant_key=email,
            email=email,
        )
