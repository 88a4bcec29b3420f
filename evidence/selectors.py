"""Where each enrolled student stands in a course: completion by the course's rules, minutes, credits, polls.

Computed from the same per-class attendance the class pages show (`attendance.selectors.attendance_for_class`), so
a page, the audit file and a certificate never disagree. The cost is a fixed number of queries per class, whatever
the number of students.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone

from attendance.selectors import attendance_for_class, attendance_for_student
from courses.models import ClassSession, ClassStatus, Enrolment, Registration, RegistrationStatus
from orgs.access import get_for_org_or_404

from .credits import class_credits, credits_for_minutes, poll_factor_for
from .extensions import CourseProgress
from .models import CompletionRules, CourseOutcome, OutcomeStatus, PollAnswer, PollCheck


@dataclass(frozen=True)
class ClassEvidence:
    class_session: ClassSession
    registered: bool
    ended: bool
    attended: bool
    made_up: bool
    minutes: int
    credits: Decimal
    polls_answered: int
    polls_asked: int
    override_reason: str = ""


def completion_rules_for(*, course):
    """The course's own rules, else its organization's defaults, else the built-in defaults (unsaved)."""
    rules = CompletionRules.objects.filter(course=course).first()
    if rules is None:
        rules = CompletionRules.objects.filter(organization=course.organization, course__isnull=True).first()
    return rules or CompletionRules(organization=course.organization)


def _required_ids(rules):
    return set(rules.required_classes.values_list("pk", flat=True)) if rules.pk else set()


def _course_classes(course):
    return list(
        ClassSession.objects.filter(course=course, organization=course.organization)
        .exclude(status=ClassStatus.CANCELLED)
        .select_related("course", "organization")
        .order_by("starts_at")
    )


def _poll_counts(classes):
    """({class id: attendance-check polls asked}, {(class id, registration id): polls answered})."""
    asked = dict(
        PollCheck.objects.filter(class_session__in=classes, attendance_check=True)
        .values("class_session")
        .annotate(n=Count("pk"))
        .values_list("class_session", "n")
    )
    answered = {
        (class_id, registration_id): n
        for class_id, registration_id, n in PollAnswer.objects.filter(
            poll__class_session__in=classes, poll__attendance_check=True, registration__isnull=False
        )
        .values("poll__class_session", "registration")
        .annotate(n=Count("poll", distinct=True))
        .values_list("poll__class_session", "registration", "n")
    }
    return asked, answered


def poll_counts_of_class(*, class_session):
    """(attendance-check polls asked in the class's runs, {registration id: how many of them it answered})."""
    asked, answered = _poll_counts([class_session])
    return asked.get(class_session.pk, 0), {registration_id: n for (_, registration_id), n in answered.items()}


def poll_answer_unmatched_of_class(*, class_session, answer_id):
    """An answer of this class no registration matched; any other id answers 404."""
    return get_for_org_or_404(
        PollAnswer.objects.filter(poll__class_session=class_session, registration__isnull=True).select_related("poll"),
        organization=class_session.organization,
        pk=answer_id,
    )


def _made_up(course, missing):
    """{(email, title)} of missed classes the student attended in another cohort of the organization."""
    if not missing:
        return set()
    emails = {email for email, _ in missing}
    titles = {title for _, title in missing}
    others = (
        ClassSession.objects.filter(organization=course.organization, title__in=titles)
        .exclude(course=course)
        .exclude(status=ClassStatus.CANCELLED)
        .select_related("course", "organization")
    )
    made_up = set()
    for other in others:
        if other.ends_at > timezone.now():
            continue
        for row in attendance_for_class(class_session=other).rows:
            email = row.registration.email.lower()
            if email in emails and row.attended:
                made_up.add((email, other.title))
    return made_up


def course_progress(*, course, enrolment_ids=None):
    """(classes, [(enrolment, CourseProgress)]) for every enrolment of the course that is not cancelled.

    With `enrolment_ids`, only those enrolments (a student's portal): their attendance alone is read, not every
    class's whole report, and each one's progress is the same as in the whole course's.
    """
    rules = completion_rules_for(course=course)
    scheme = rules.scheme
    classes = _course_classes(course)
    enrolments = Enrolment.objects.filter(course=course, status=RegistrationStatus.CONFIRMED)
    if enrolment_ids is not None:
        enrolments = enrolments.filter(pk__in=enrolment_ids)
    enrolments = list(enrolments.order_by("last_name", "first_name", "email"))
    confirmed = Registration.objects.filter(enrolment__in=enrolments, status=RegistrationStatus.CONFIRMED)
    if enrolment_ids is None:
        confirmed = confirmed.only("pk", "enrolment_id", "class_session_id", "email")
    else:
        confirmed = confirmed.select_related("class_session__course", "class_session__organization")
    registrations = {
        (registration.enrolment_id, registration.class_session_id): registration for registration in confirmed
    }
    rows = {}
    if enrolment_ids is None:
        for class_session in classes:
            for row in attendance_for_class(class_session=class_session).rows:
                rows[row.registration.pk] = row
    else:
        rows = attendance_for_student(registrations=list(registrations.values()))
    asked, answered = _poll_counts(classes)
    required = _required_ids(rules)
    now = timezone.now()

    missing_for_makeup = set()
    if rules.makeup_counts:
        for enrolment in enrolments:
            for class_session in classes:
                registration = registrations.get((enrolment.pk, class_session.pk))
                row = rows.get(registration.pk) if registration else None
                if registration and class_session.ends_at <= now and not (row and row.attended):
                    missing_for_makeup.add((enrolment.email.lower(), class_session.title))
    made_up = _made_up(course, missing_for_makeup)

    result = []
    for enrolment in enrolments:
        per_class = []
        for class_session in classes:
            registration = registrations.get((enrolment.pk, class_session.pk))
            row = rows.get(registration.pk) if registration else None
            polls_asked = asked.get(class_session.pk, 0)
            polls_answered = answered.get((class_session.pk, registration.pk), 0) if registration else 0
            attended = bool(row and row.attended)
            factor = (
                poll_factor_for(answered=polls_answered, asked=polls_asked) if rules.polls_scale_credit else Decimal(1)
            )
            minutes = row.minutes if row else 0
            # Credits follow time present, unless a trainer marked the student absent.
            marked_absent = bool(row and row.override is not None and not row.attended)
            per_class.append(
                ClassEvidence(
                    class_session=class_session,
                    registered=registration is not None,
                    ended=class_session.ends_at <= now,
                    attended=attended,
                    made_up=not attended and (enrolment.email.lower(), class_session.title) in made_up,
                    minutes=minutes,
                    credits=class_credits(
                        minutes_present=minutes,
                        scheduled_minutes=class_session.duration_minutes,
                        scheme=scheme,
                        poll_factor=factor,
                    )
                    if not marked_absent
                    else Decimal(0),
                    polls_answered=polls_answered,
                    polls_asked=polls_asked,
                    override_reason=row.override.reason if row and row.override else "",
                )
            )
        result.append((enrolment, _progress(enrolment, per_class, rules, required, scheme)))
    return classes, result


def _progress(enrolment, per_class, rules, required, scheme):
    counted = [item for item in per_class if item.registered]
    ended = [item for item in counted if item.ended]
    present = [item for item in counted if item.attended or item.made_up]
    missed = [item for item in ended if not (item.attended or item.made_up)]
    polls_asked = sum(item.polls_asked for item in counted)
    polls_answered = sum(item.polls_answered for item in counted)
    allowed = rules.missed_allowed
    total = len(counted)
    missed_required = [item for item in missed if item.class_session.pk in required]
    if missed_required:
        status, reason = (
            OutcomeStatus.NOT_COMPLETED,
            f"missed a required class: {missed_required[0].class_session.title}",
        )
    elif len(missed) > allowed:
        status, reason = OutcomeStatus.NOT_COMPLETED, f"missed {len(missed)} of {total} classes; {allowed} allowed"
    elif len(ended) < total:
        status = OutcomeStatus.IN_PROGRESS
        reason = f"attended {len(present)} of {len(ended)} classes held so far; {total - len(ended)} to come"
    elif rules.min_polls_percent and polls_asked and polls_answered * 100 < rules.min_polls_percent * polls_asked:
        status = OutcomeStatus.NOT_COMPLETED
        reason = f"answered {polls_answered} of {polls_asked} attendance polls; {rules.min_polls_percent}% needed"
    elif total == 0:
        status, reason = OutcomeStatus.IN_PROGRESS, "no classes yet"
    else:
        status = OutcomeStatus.COMPLETED
        reason = f"attended {len(present)} of {total} classes" + (f"; {allowed} may be missed" if allowed else "")
    dates = [item.class_session.local_starts_at.date() for item in present] or [None]
    return CourseProgress(
        enrolment_id=enrolment.pk,
        status=status,
        reason=reason,
        classes_total=total,
        classes_attended=len(present),
        minutes=sum(item.minutes for item in counted),
        credits=sum((item.credits for item in counted), Decimal(0)),
        credit_label=scheme.label if scheme.enabled else "",
        polls_answered=polls_answered,
        polls_total=polls_asked,
        first_class_on=min(d for d in dates) if dates[0] else None,
        last_class_on=max(d for d in dates) if dates[0] else None,
        per_class=tuple(per_class),
    )


def enrolment_progress(*, enrolment):
    _, progress = course_progress(course=enrolment.course, enrolment_ids=[enrolment.pk])
    return next((item for owner, item in progress if owner.pk == enrolment.pk), None)


def scheduled_credits(*, class_session, scheme):
    return credits_for_minutes(class_session.duration_minutes, scheme)


def outcomes_of(*, course):
    return {outcome.enrolment_id: outcome for outcome in CourseOutcome.objects.filter(enrolment__course=course)}
