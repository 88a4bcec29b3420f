"""Evidence writes: completion rules, and the course outcomes (with the course-completed hooks) they decide."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from courses.models import ClassSession, Course, Registration, RegistrationStatus

from . import extensions
from .credits import CUSTOM
from .models import CompletionRules, CourseOutcome, OutcomeStatus, PollAnswer, PollCheck
from .selectors import course_progress

# Outcomes are settled this long after a class ends: Zoom's participant report has been reconciled by then.
SETTLE_AFTER = timedelta(minutes=45)
# A course is looked at again while one of its classes ended within this window.
REFRESH_WINDOW = timedelta(days=14)

RULE_FIELDS = (
    "missed_allowed",
    "makeup_counts",
    "min_polls_percent",
    "credit_preset",
    "credit_label",
    "unit_minutes",
    "minimum_credits",
    "increment",
    "cap_per_class",
    "polls_scale_credit",
)


def completion_rules_update(*, organization, course=None, required_classes=None, **values):
    """Save the course's own rules (or, with no course, the organization's defaults)."""
    if values.get("credit_preset") == CUSTOM and not values.get("credit_label"):
        raise ValidationError({"credit_label": "Name the credits of a custom scheme (for example “CE hours”)."})
    rules, _ = CompletionRules.objects.get_or_create(organization=organization, course=course)
    for name in RULE_FIELDS:
        if name in values:
            setattr(rules, name, values[name])
    rules.full_clean()
    rules.save()
    if course is not None and required_classes is not None:
        rules.required_classes.set([c for c in required_classes if c.course_id == course.pk])
    return rules


def course_outcomes_refresh(*, course):
    """Recompute every enrolment's standing and keep it; completed ones are announced once the class settled."""
    _, progress = course_progress(course=course)
    now = timezone.now()
    newly_completed = []
    with transaction.atomic():
        existing = {
            o.enrolment_id: o for o in CourseOutcome.objects.select_for_update().filter(enrolment__course=course)
        }
        for enrolment, item in progress:
            last_end = max((e.class_session.ends_at for e in item.per_class if e.registered), default=None)
            settled = last_end is not None and last_end + SETTLE_AFTER <= now
            status = item.status if settled or item.status != OutcomeStatus.COMPLETED else OutcomeStatus.IN_PROGRESS
            outcome = existing.get(enrolment.pk) or CourseOutcome(organization=course.organization, enrolment=enrolment)
            outcome.status, outcome.reason = status, item.reason
            outcome.classes_total, outcome.classes_attended = item.classes_total, item.classes_attended
            outcome.minutes, outcome.credits, outcome.credit_label = item.minutes, item.credits, item.credit_label
            if status == OutcomeStatus.COMPLETED:
                outcome.completed_at = outcome.completed_at or now
                newly_completed.append((enrolment, item))
            outcome.save()
        transaction.on_commit(lambda: _announce(newly_completed))
    return progress


def _announce(completed):
    for enrolment, item in completed:
        for hook in extensions.course_completed_hooks:
            hook(enrolment=enrolment, progress=item)


def course_outcomes_refresh_due(*, now=None):
    """Every course with a class that ended recently and someone enrolled: its outcomes recomputed."""
    now = now or timezone.now()
    course_ids = (
        ClassSession.objects.filter(
            starts_at__gte=now - REFRESH_WINDOW - timedelta(days=1),
            starts_at__lte=now,
            course__enrolments__status=RegistrationStatus.CONFIRMED,
        )
        .values_list("course_id", flat=True)
        .distinct()
    )
    refreshed = 0
    for course in Course.objects.filter(pk__in=list(course_ids)).select_related("organization"):
        course_outcomes_refresh(course=course)
        refreshed += 1
    return refreshed


def poll_results_record(*, class_session, source, session_key, poll_key, title, attendance_check, answers):
    """Store one run's answers to one poll (idempotent: a second fetch changes nothing it already holds).

    `answers` holds dicts with email, name, question, answer and answered_at (UTC or None). A respondent is matched
    to the class's confirmed registration with the same email, as attendance matches participants; the others stay
    unmatched for a trainer to assign. Returns the PollCheck.
    """
    by_email = {
        registration.email.lower(): registration
        for registration in Registration.objects.filter(
            class_session=class_session, status=RegistrationStatus.CONFIRMED
        ).only("pk", "email")
    }
    with transaction.atomic():
        poll, created = PollCheck.objects.get_or_create(
            source=source,
            session_key=session_key,
            poll_key=poll_key,
            defaults={
                "organization": class_session.organization,
                "class_session": class_session,
                "title": title[:255],
                "attendance_check": attendance_check,
            },
        )
        if not created and (poll.title, poll.attendance_check) != (title[:255], attendance_check):
            poll.title, poll.attendance_check = title[:255], attendance_check
            poll.save(update_fields=["title", "attendance_check", "fetched_at"])
        rows = [
            PollAnswer(
                organization=class_session.organization,
                poll=poll,
                registration=by_email.get((item.get("email") or "").lower()),
                respondent_email=(item.get("email") or "")[:254],
                respondent_name=(item.get("name") or "")[:255],
                question=item.get("question") or "",
                answer=item.get("answer") or "",
                answered_at=item.get("answered_at"),
            )
            for item in answers
        ]
        PollAnswer.objects.bulk_create(rows, ignore_conflicts=True)
    return poll


def poll_answer_assign(*, answer, registration, by):
    """A trainer says who an unmatched respondent was: every answer of that respondent in that run follows."""
    if registration.class_session_id != answer.poll.class_session_id:
        raise ValidationError("Choose a student registered for this class.")
    PollAnswer.objects.filter(
        poll__class_session=answer.poll.class_session,
        poll__session_key=answer.poll.session_key,
        respondent_email=answer.respondent_email,
        respondent_name=answer.respondent_name,
    ).update(registration=registration, assigned_by=by)


def poll_results_purge(*, organization, source, dry_run=False):
    """A support deletion request: the poll runs and answers one source (Zoom) brought; counts by kind."""
    polls = PollCheck.objects.filter(organization=organization, source=source)
    counts = {
        "attendance-check poll runs": polls.count(),
        "poll answers": PollAnswer.objects.filter(poll__in=polls).count(),
    }
    if not dry_run:
        polls.delete()  # answers go with their poll
    return counts
