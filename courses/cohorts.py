"""Writes for cohorts: a series of classes, enrolment in a whole course, its waitlist, and copying a course.

A course enrolment is kept as one registration per class (so attendance, Zoom and the portal work per class as
before), each linked to the enrolment; the enrolment is what the student signed up for and is told about once.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from mailing.queue import emails_queue

from . import extensions
from .models import (
    ClassSeries,
    ClassSession,
    ClassStatus,
    Course,
    Enrolment,
    Registration,
    RegistrationStatus,
)
from .recurrence import RecurrenceError, occurrences, series_title
from .services import (
    class_start_check,
    classes_added_announce,
    enrolled_register,
    enrolment_message,
    people_pasted,
    person_clean,
    registration_confirm,
    registration_for_enrolment,
    student_for_email,
    waitlist_promote_next,
)

# Series ----------------------------------------------------------------------


def class_series_create(
    *,
    course,
    title_pattern,
    rule,
    duration_minutes,
    delivery_mode,
    location="",
    capacity,
    trainer=None,
    co_trainers=(),
    one_zoom_meeting=True,
    options=None,
):
    """Create the classes of a repeat rule in one go; students enrolled in the course are registered for each."""
    try:
        starts = occurrences(rule)
    except RecurrenceError as error:
        raise ValidationError(str(error)) from None
    class_start_check(starts[0])
    with transaction.atomic():
        series = ClassSeries(
            organization=course.organization,
            course=course,
            title_pattern=title_pattern.strip(),
            first_date=rule.first_date,
            start_time=rule.start_time,
            timezone=rule.zone_name,
            duration_minutes=duration_minutes,
            frequency=rule.frequency,
            interval=rule.interval,
            weekdays=",".join(str(day) for day in rule.weekdays),
            count=rule.count,
            until=rule.until,
            one_zoom_meeting=one_zoom_meeting,
        )
        series.full_clean()
        series.save()
        classes = []
        for number, starts_at in enumerate(starts, start=1):
            class_session = ClassSession(
                organization=course.organization,
                course=course,
                series=series,
                series_number=number,
                title=series_title(series.title_pattern, number, course.title)[:200],
                starts_at=starts_at,
                duration_minutes=duration_minutes,
                timezone=rule.zone_name,
                delivery_mode=delivery_mode,
                location=location.strip(),
                capacity=capacity,
                trainer=trainer,
            )
            class_session.full_clean(exclude=["series"])
            classes.append(class_session)
        ClassSession.objects.bulk_create(classes)
        _co_trainers_set(classes, co_trainers)
        registrations = enrolled_register(course=course, classes=classes)
        transaction.on_commit(lambda: classes_added_announce(classes, registrations, options))
    return series


# Enrolment -------------------------------------------------------------------


def _upcoming_classes(course):
    return (
        ClassSession.objects.filter(course=course, status=ClassStatus.SCHEDULED, starts_at__gt=timezone.now())
        .select_related("course", "organization")
        .annotate(seats_taken=Count("registrations", filter=Q(registrations__status=RegistrationStatus.CONFIRMED)))
        .order_by("starts_at")
    )


def enrolment_create(*, course, first_name, last_name, email, waitlist=True, by="student"):
    """Enrol a student in every upcoming class of the course, or put them on the course's waitlist when a class is full.

    The course row is locked, so two people can't take the last seat at once.
    """
    first_name, last_name, email = person_clean(first_name, last_name, email)
    with transaction.atomic():
        course = Course.objects.select_for_update().select_related("organization").get(pk=course.pk)
        if by == "student" and not course.enrolment_open:
            raise ValidationError("Enrolment in this course is closed.")
        existing = Enrolment.objects.filter(course=course, email__iexact=email).first()
        if existing is not None and existing.is_confirmed:
            raise ValidationError({"email": f"{email} is already enrolled in this course."})
        if existing is not None and existing.is_waitlisted:
            raise ValidationError({"email": f"{email} is already on this course's waitlist."})
        upcoming = list(_upcoming_classes(course))
        if not upcoming:
            raise ValidationError("This course has no upcoming classes to enrol in.")
        mine = set(
            Registration.objects.filter(
                class_session__in=upcoming, email__iexact=email, status=RegistrationStatus.CONFIRMED
            ).values_list("class_session_id", flat=True)
        )
        full = [c for c in upcoming if c.pk not in mine and c.seats_taken >= c.capacity]
        if full and not waitlist:
            raise ValidationError(f"“{full[0].title}” is full, so the course is full.")
        now = timezone.now()
        enrolment = existing or Enrolment(organization=course.organization, course=course, email=email)
        enrolment.student = student_for_email(email)
        enrolment.first_name, enrolment.last_name = first_name, last_name
        enrolment.cancelled_at = None
        if full:
            enrolment.status, enrolment.waitlisted_at = RegistrationStatus.WAITLISTED, now
            enrolment.save()
            emails_queue([enrolment_message(enrolment, "enrolment_waitlisted", upcoming, extra=_place(enrolment))])
            return enrolment
        enrolment.status, enrolment.confirmed_at = RegistrationStatus.CONFIRMED, now
        enrolment.save()
        registrations = _register_enrolled_one(enrolment, upcoming, now)
        transaction.on_commit(lambda: _after_enrolment(enrolment, upcoming, registrations))
    return enrolment


def _register_enrolled_one(enrolment, classes, now):
    existing = {
        registration.class_session_id: registration
        for registration in Registration.objects.filter(class_session__in=classes, email__iexact=enrolment.email)
    }
    created, changed = [], []
    for class_session in classes:
        registration = existing.get(class_session.pk)
        if registration is None:
            created.append(registration_for_enrolment(enrolment, class_session, now))
        elif registration.is_confirmed:
            registration.enrolment = enrolment  # a drop-in registration becomes part of the enrolment
            registration.updated_at = now
            changed.append(registration)
        else:
            registration_confirm(registration, enrolment, now)
            changed.append(registration)
    Registration.objects.bulk_create(created)
    Registration.objects.bulk_update(
        changed, ["status", "enrolment", "confirmed_at", "cancelled_at", "waitlisted_at", "updated_at"]
    )
    by_class = {class_session.pk: class_session for class_session in classes}
    registrations = created + changed
    for registration in registrations:
        registration.class_session = by_class[registration.class_session_id]
    return registrations


def _after_enrolment(enrolment, classes, registrations):
    """One email for the whole enrolment; Zoom and the other apps hear of each class's registration."""
    join_info = extensions.join_info_for(registrations)
    emails_queue([enrolment_message(enrolment, "enrolment_confirmed", classes, registrations, join_info)])
    for registration in registrations:
        for hook in extensions.registration_hooks:
            hook(registration=registration, event="confirmed")


def _place(enrolment):
    ahead = Enrolment.objects.filter(
        course_id=enrolment.course_id, status=RegistrationStatus.WAITLISTED, waitlisted_at__lt=enrolment.waitlisted_at
    ).count()
    return {"waitlist_position": ahead + 1}


def enrolment_cancel(*, enrolment, by):
    """Cancel an enrolment (or a place on the course's waitlist): its classes yet to start are cancelled, past
    attendance stays. Freed seats go to the waitlists: the course's first, then each class's."""
    if enrolment.status == RegistrationStatus.CANCELLED:
        return enrolment
    with transaction.atomic():
        Course.objects.select_for_update().get(pk=enrolment.course_id)
        was_confirmed = enrolment.is_confirmed
        now = timezone.now()
        enrolment.status, enrolment.cancelled_at = RegistrationStatus.CANCELLED, now
        enrolment.save(update_fields=["status", "cancelled_at"])
        future = list(
            Registration.objects.select_for_update()
            .filter(enrolment=enrolment, status=RegistrationStatus.CONFIRMED, class_session__starts_at__gt=now)
            .select_related("class_session__course", "class_session__organization")
        )
        Registration.objects.filter(pk__in=[registration.pk for registration in future]).update(
            status=RegistrationStatus.CANCELLED, cancelled_at=now, updated_at=now
        )
        if was_confirmed:
            classes = sorted((registration.class_session for registration in future), key=lambda c: c.starts_at)
            emails_queue([enrolment_message(enrolment, "enrolment_cancelled", classes, extra={"cancelled_by": by})])
            transaction.on_commit(lambda: _after_enrolment_cancelled(future))
            if not _enrolment_promote_next(enrolment.course):
                for class_session in {registration.class_session for registration in future}:
                    waitlist_promote_next(class_session=class_session)
        else:
            emails_queue([enrolment_message(enrolment, "enrolment_waitlist_left", [], extra={"cancelled_by": by})])
    return enrolment


def _after_enrolment_cancelled(registrations):
    for registration in registrations:
        registration.status = RegistrationStatus.CANCELLED
        for hook in extensions.registration_hooks:
            hook(registration=registration, event="cancelled")


def _enrolment_promote_next(course):
    """The first on the course's waitlist, enrolled if every upcoming class now has a seat for them."""
    first = (
        Enrolment.objects.select_for_update()
        .filter(course=course, status=RegistrationStatus.WAITLISTED)
        .order_by("waitlisted_at", "pk")
        .first()
    )
    if first is None:
        return None
    try:
        return enrolment_promote(enrolment=first)
    except ValidationError:
        return None


def enrolment_promote(*, enrolment):
    """Move an enrolment off the course's waitlist (a seat must be free in every upcoming class)."""
    with transaction.atomic():
        course = Course.objects.select_for_update().get(pk=enrolment.course_id)
        enrolment = Enrolment.objects.select_for_update().select_related("course", "organization").get(pk=enrolment.pk)
        if not enrolment.is_waitlisted:
            raise ValidationError(f"{enrolment.email} is not on the waitlist.")
        upcoming = list(_upcoming_classes(course))
        mine = set(
            Registration.objects.filter(
                class_session__in=upcoming, email__iexact=enrolment.email, status=RegistrationStatus.CONFIRMED
            ).values_list("class_session_id", flat=True)
        )
        full = [c for c in upcoming if c.pk not in mine and c.seats_taken >= c.capacity]
        if full:
            raise ValidationError(f"“{full[0].title}” is full: raise its capacity or cancel an enrolment first.")
        if not upcoming:
            raise ValidationError("This course has no upcoming classes to enrol in.")
        now = timezone.now()
        enrolment.status, enrolment.confirmed_at = RegistrationStatus.CONFIRMED, now
        enrolment.save(update_fields=["status", "confirmed_at"])
        registrations = _register_enrolled_one(enrolment, upcoming, now)
        transaction.on_commit(lambda: _after_enrolment(enrolment, upcoming, registrations))
    return enrolment


@dataclass
class BulkEnrolResult:
    enrolled: list = field(default_factory=list)
    waitlisted: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # (line number, line, message)


def enrolments_bulk_create(*, course, text):
    """A trainer pastes many: one line each, as for a class (`Name <email>` or `first,last,email`)."""
    result = BulkEnrolResult()

    def add(first, last, email):
        enrolment = enrolment_create(
            course=course, first_name=first, last_name=last, email=email, waitlist=True, by="trainer"
        )
        (result.waitlisted if enrolment.is_waitlisted else result.enrolled).append(enrolment)

    result.errors = people_pasted(text, add)
    return result


# Copying a course ------------------------------------------------------------


def course_copy(*, course, title, first_starts_on):
    """A new course for the next cohort: the same description, settings and schedule, shifted so its first class
    falls on `first_starts_on`, each class at the same local time in its zone. No students, no Zoom meetings."""
    source = list(
        ClassSession.objects.filter(course=course).exclude(status=ClassStatus.CANCELLED).order_by("starts_at")
    )
    if not source:
        raise ValidationError("This course has no classes to copy.")
    shift = first_starts_on - source[0].local_starts_at.date()
    with transaction.atomic():
        copy = Course.objects.create(
            organization=course.organization,
            title=title.strip() or f"{course.title} (copy)",
            description=course.description,
            certification=course.certification,
            attendance_threshold_percent=course.attendance_threshold_percent,
            enrolment_open=course.enrolment_open,
        )
        series_copies = {}
        for series in ClassSeries.objects.filter(pk__in={c.series_id for c in source if c.series_id}):
            original_pk = series.pk
            series.pk = None
            series.course = copy
            series.first_date += shift
            if series.until:
                series.until += shift
            series.save()
            series_copies[original_pk] = series
        classes = []
        for class_session in source:
            local = class_session.local_starts_at
            moved = datetime.combine(local.date() + shift, local.time().replace(tzinfo=None), tzinfo=class_session.zone)
            class_start_check(moved)
            classes.append(
                ClassSession(
                    organization=course.organization,
                    course=copy,
                    series=series_copies.get(class_session.series_id),
                    series_number=class_session.series_number,
                    title=class_session.title,
                    starts_at=moved,
                    duration_minutes=class_session.duration_minutes,
                    timezone=class_session.timezone,
                    delivery_mode=class_session.delivery_mode,
                    location=class_session.location,
                    capacity=class_session.capacity,
                    trainer_id=class_session.trainer_id,
                )
            )
        ClassSession.objects.bulk_create(classes)
        links = ClassSession.co_trainers.through
        pairs = links.objects.filter(classsession__in=source).values_list("classsession_id", "user_id")
        copies = {original.pk: made.pk for original, made in zip(source, classes, strict=True)}
        links.objects.bulk_create(
            [links(classsession_id=copies[class_id], user_id=user_id) for class_id, user_id in pairs]
        )
    return copy


def _co_trainers_set(classes, co_trainers):
    links = ClassSession.co_trainers.through
    links.objects.bulk_create(
        [links(classsession_id=class_session.pk, user_id=user.pk) for class_session in classes for user in co_trainers]
    )


def course_copy_default_start(*, course):
    """The date a copy starts on unless told otherwise: a week after the course's last class, same weekday."""
    last = ClassSession.objects.filter(course=course).order_by("-starts_at").first()
    first = ClassSession.objects.filter(course=course).order_by("starts_at").first()
    if last is None:
        return None
    span_weeks = (last.starts_at - first.starts_at).days // 7 + 1
    return first.local_starts_at.date() + timedelta(weeks=span_weeks)
