import csv
import io
import re
from dataclasses import dataclass, field
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError
from django.urls import reverse
from django.utils import timezone

from mailing.queue import email_batch_queue, emails_queue
from mailing.services import email_render

from . import extensions
from .calendar import feed as feed_ics
from .calendar import invite_for_enrolment, invite_for_registration
from .models import (
    CalendarFeed,
    CalendarFeedKind,
    ClassSession,
    ClassStatus,
    Course,
    Enrolment,
    Registration,
    RegistrationStatus,
)
from .selectors import calendar_feed_classes, registrations_due_for_reminder
from .timing import starts_in_words

# Courses ------------------------------------------------------------------


def course_create(
    *, organization, title, description="", certification="", attendance_threshold_percent=None, enrolment_open=True
):
    course = Course(
        organization=organization,
        enrolment_open=enrolment_open,
        title=title.strip(),
        description=description,
        certification=certification.strip(),
        attendance_threshold_percent=attendance_threshold_percent,
    )
    course.full_clean()
    course.save()
    return course


def course_update(*, course, title, description, certification, attendance_threshold_percent, enrolment_open=True):
    course.enrolment_open = enrolment_open
    course.title = title.strip()
    course.description = description
    course.certification = certification.strip()
    course.attendance_threshold_percent = attendance_threshold_percent
    course.full_clean()
    course.save()
    return course


def course_delete(*, course):
    if course.class_sessions.exists():
        raise ValidationError("Delete or move this course's class sessions first.")
    try:
        with transaction.atomic():
            course.delete()
    except ProtectedError:
        # Certificates (kept as evidence for at least five years) hold on to their enrolments.
        raise ValidationError(
            "This course has issued certificates, which are kept as evidence; it can't be deleted."
        ) from None


# Class sessions -------------------------------------------------------------


def _run_class_hooks(class_session, event, changes=(), options=None):
    for hook in extensions.class_session_hooks:
        hook(class_session=class_session, event=event, changes=tuple(changes), options=options or {})


def class_start_check(starts_at):
    if starts_at <= timezone.now():
        raise ValidationError({"starts_at": "The class must start in the future."})


def class_session_create(
    *,
    course,
    title,
    starts_at,
    duration_minutes,
    timezone_name,
    delivery_mode,
    location="",
    capacity,
    trainer=None,
    co_trainers=(),
    options=None,
    register_enrolled=True,
):
    """A new class; the course's enrolled students are registered for it unless `register_enrolled` is off
    (a booked one-to-one session is its booker's alone)."""
    class_start_check(starts_at)
    class_session = ClassSession(
        organization=course.organization,
        course=course,
        title=title.strip(),
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        timezone=timezone_name,
        delivery_mode=delivery_mode,
        location=location.strip(),
        capacity=capacity,
        trainer=trainer,
    )
    class_session.full_clean()
    with transaction.atomic():
        class_session.save()
        class_session.co_trainers.set(co_trainers)
        registrations = enrolled_register(course=course, classes=[class_session]) if register_enrolled else []
        transaction.on_commit(lambda: classes_added_announce([class_session], registrations, options))
    return class_session


def class_session_update(*, class_session, options=None, **values):
    """Update a class; a schedule change emails every confirmed student an updated invite."""
    if class_session.is_cancelled:
        raise ValidationError("This class was cancelled and can no longer be edited.")
    if "starts_at" in values and values["starts_at"] != class_session.starts_at:
        class_start_check(values["starts_at"])
    co_trainers = values.pop("co_trainers", None)
    changes = [name for name, value in values.items() if getattr(class_session, name) != value]
    if co_trainers is not None and {user.pk for user in co_trainers} != set(
        class_session.co_trainers.values_list("pk", flat=True)
    ):
        changes.append("co_trainers")
    if "capacity" in values:
        confirmed = class_session.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
        if values["capacity"] < confirmed:
            raise ValidationError(
                {"capacity": f"{confirmed} students are already registered; capacity can't be lower."}
            )
    for name, value in values.items():
        setattr(class_session, name, value)
    rescheduled = any(name in changes for name in ("starts_at", "duration_minutes"))
    if rescheduled:
        class_session.calendar_sequence += 1
    class_session.full_clean()
    with transaction.atomic():
        class_session.save()
        if "co_trainers" in changes:
            class_session.co_trainers.set(co_trainers)
        if changes:
            transaction.on_commit(lambda: _run_class_hooks(class_session, "updated", changes, options))
        if rescheduled:
            email_batch_queue(CLASS_STUDENTS_EMAIL, class_session_id=class_session.pk, template="class_rescheduled")
    return class_session, changes


def class_session_invite_revise(*, class_session_id):
    """The class's invite changed in a way students are emailed about (a new meeting link): calendars must
    replace the invite they hold, so its SEQUENCE goes up as on a reschedule or cancellation."""
    ClassSession.objects.filter(pk=class_session_id).update(
        calendar_sequence=F("calendar_sequence") + 1, updated_at=timezone.now()
    )


@transaction.atomic
def class_session_cancel(*, class_session, options=None):
    if class_session.is_cancelled:
        return class_session
    class_session.status = ClassStatus.CANCELLED
    class_session.calendar_sequence += 1
    class_session.save(update_fields=["status", "calendar_sequence", "updated_at"])
    transaction.on_commit(lambda: _run_class_hooks(class_session, "cancelled", options=options))
    email_batch_queue(
        CLASS_STUDENTS_EMAIL, class_session_id=class_session.pk, template="class_cancelled", cancelled=True
    )
    return class_session


@transaction.atomic
def class_session_delete(*, class_session, options=None):
    """Delete a class with its registrations; students of an upcoming class are told."""
    _run_class_hooks(class_session, "deleting", options=options)
    if not class_session.is_cancelled and not class_session.has_started:
        registrations = list(_confirmed_registrations(class_session))
        class_session.status = ClassStatus.CANCELLED
        class_session.calendar_sequence += 1
        # Rendered now: once deleted, nothing is left for the worker to read.
        emails_queue(_registration_messages(registrations, class_session, "class_cancelled", cancelled=True))
    class_session.delete()


def _confirmed_registrations(class_session):
    return (
        Registration.objects.filter(class_session=class_session, status=RegistrationStatus.CONFIRMED)
        .select_related("class_session__course", "class_session__organization")
        .order_by("pk")
    )


# The email batch (mailing) that tells every confirmed student of a class about a change to it.
CLASS_STUDENTS_EMAIL = "courses.class_students"


def class_students_messages(*, class_session_id, template, cancelled=False):
    """The messages of a CLASS_STUDENTS_EMAIL batch, rendered by the worker."""
    class_session = ClassSession.objects.select_related("course", "organization").filter(pk=class_session_id).first()
    if class_session is None:
        return []
    registrations = list(_confirmed_registrations(class_session))
    return _registration_messages(registrations, class_session, template, cancelled=cancelled)


def _registration_messages(registrations, class_session, template, cancelled=False):
    join_info = {} if cancelled else extensions.join_info_for(registrations)
    manage_links = extensions.manage_link_for(registrations)
    messages = []
    for registration in registrations:
        registration.class_session = class_session
        messages.append(
            _registration_message(
                registration,
                template,
                join_info=join_info.get(registration.pk),
                cancelled_invite=cancelled,
                manage_links=manage_links,
            )
        )
    return messages


# Enrolments' registrations (the rest of cohorts is in cohorts.py) -------------


def enrolled_register(*, course, classes):
    """Classes added to a course: each confirmed enrolment gets a registration for each (in the open transaction)."""
    enrolments = list(
        Enrolment.objects.filter(course=course, status=RegistrationStatus.CONFIRMED).select_related(
            "course", "organization"
        )
    )
    if not enrolments or not classes:
        return []
    existing = {
        (registration.class_session_id, registration.email.lower()): registration
        for registration in Registration.objects.filter(class_session__in=classes)
    }
    now = timezone.now()
    created, reinstated = [], []
    for class_session in classes:
        for enrolment in enrolments:
            registration = existing.get((class_session.pk, enrolment.email.lower()))
            if registration is None:
                created.append(registration_for_enrolment(enrolment, class_session, now))
            elif not registration.is_confirmed:
                registration_confirm(registration, enrolment, now)
                reinstated.append(registration)
    Registration.objects.bulk_create(created)
    Registration.objects.bulk_update(
        reinstated, ["status", "enrolment", "confirmed_at", "cancelled_at", "waitlisted_at", "updated_at"]
    )
    return created + reinstated


def registration_for_enrolment(enrolment, class_session, now):
    registration = Registration(
        organization=enrolment.organization,
        class_session=class_session,
        enrolment=enrolment,
        student_id=enrolment.student_id,
        first_name=enrolment.first_name,
        last_name=enrolment.last_name,
        email=enrolment.email,
        confirmed_at=now,
    )
    return registration


def registration_confirm(registration, enrolment, now):
    registration.status = RegistrationStatus.CONFIRMED
    registration.enrolment = enrolment
    registration.confirmed_at, registration.cancelled_at, registration.waitlisted_at = now, None, None
    registration.updated_at = now


def classes_added_announce(classes, registrations, options=None):
    """After commit: the class hooks for new classes, and one email per enrolment naming the classes added to it."""
    for class_session in classes:
        _run_class_hooks(class_session, "created", options=options)
    by_enrolment = {}
    for registration in registrations:
        by_enrolment.setdefault(registration.enrolment_id, []).append(registration)
    if registrations:
        join_info = extensions.join_info_for(registrations)
        by_class = {class_session.pk: class_session for class_session in classes}
        messages = []
        for group in by_enrolment.values():
            for registration in group:
                registration.class_session = by_class[registration.class_session_id]
            enrolment = group[0].enrolment
            added = sorted((registration.class_session for registration in group), key=lambda c: c.starts_at)
            messages.append(enrolment_message(enrolment, "enrolment_classes_added", added, group, join_info))
        emails_queue(messages)
    for registration in registrations:
        for hook in extensions.registration_hooks:
            hook(registration=registration, event="confirmed")


def enrolment_message(enrolment, template, classes, registrations=(), join_info=None, extra=None):
    join_info = join_info or {}
    by_class = {registration.class_session_id: registration for registration in registrations}
    schedule = [
        {
            "class_session": class_session,
            "join_info": join_info.get(getattr(by_class.get(class_session.pk), "pk", None)),
        }
        for class_session in classes
    ]
    context = {
        "enrolment": enrolment,
        "course": enrolment.course,
        "organization": enrolment.organization,
        "schedule": schedule,
        "cancel_url": settings.SITE_URL + reverse("enrolment_cancel", args=[enrolment.cancel_token]),
        "portal_url": settings.SITE_URL + reverse("portal:home"),
        **(extra or {}),
    }
    attachments = []
    if registrations:
        invite = invite_for_enrolment(
            enrolment,
            classes,
            join_info_by_class={
                class_id: join_info.get(registration.pk) for class_id, registration in by_class.items()
            },
        )
        attachments.append(("course.ics", invite.decode(), "text/calendar; method=REQUEST"))
    return email_render(template=template, to=enrolment.email, context=context, attachments=attachments)


# Registrations -------------------------------------------------------------


@dataclass
class BulkResult:
    created: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # (line number, line, message)


def student_for_email(email):
    """The passwordless account a registration is linked to (created on first registration)."""
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(email=email)
        except IntegrityError:
            user = User.objects.get(email__iexact=email)
    EmailAddress.objects.get_or_create(user=user, email__iexact=email, defaults={"email": email, "primary": True})
    return user


def person_clean(first_name, last_name, email):
    first_name, last_name, email = first_name.strip(), last_name.strip(), email.strip().lower()
    errors = {}
    if not first_name:
        errors["first_name"] = "Enter the student's first name."
    elif len(first_name) > 64:
        errors["first_name"] = "First names can be at most 64 characters."
    if len(last_name) > 64:
        errors["last_name"] = "Last names can be at most 64 characters."
    try:
        validate_email(email)
        if len(email) > 128:
            raise ValidationError("too long")
    except ValidationError:
        errors["email"] = "Enter a valid email address."
    if errors:
        raise ValidationError(errors)
    return first_name, last_name, email


def registration_create(*, class_session, first_name, last_name, email, waitlist=False):
    """Register a student for a class, or reinstate their cancelled registration.

    The class row is locked so two people can't take the last seat at once. A full class refuses, or with
    `waitlist` puts the student at the end of its waitlist.
    """
    first_name, last_name, email = person_clean(first_name, last_name, email)
    with transaction.atomic():
        class_session = (
            ClassSession.objects.select_for_update().select_related("course", "organization").get(pk=class_session.pk)
        )
        if class_session.is_cancelled:
            raise ValidationError("This class was cancelled; registration is closed.")
        if class_session.has_started:
            raise ValidationError("This class has already started; registration is closed.")
        existing = Registration.objects.filter(class_session=class_session, email__iexact=email).first()
        if existing is not None and existing.is_confirmed:
            raise ValidationError({"email": f"{email} is already registered for this class."})
        if existing is not None and existing.is_waitlisted:
            raise ValidationError({"email": f"{email} is already on this class's waitlist."})
        full = class_seats_taken(class_session) >= class_session.capacity
        if full and not waitlist:
            raise ValidationError("This class is full.")
        student = student_for_email(email)
        now = timezone.now()
        registration = existing or Registration(
            organization=class_session.organization, class_session=class_session, email=email
        )
        registration.student = student
        registration.first_name, registration.last_name = first_name, last_name
        registration.cancelled_at = None
        if full:
            registration.status, registration.waitlisted_at = RegistrationStatus.WAITLISTED, now
        else:
            registration.status, registration.confirmed_at, registration.waitlisted_at = (
                RegistrationStatus.CONFIRMED,
                now,
                None,
            )
        registration.save()
        registration.class_session = class_session
        if full:
            extra = _waitlist_place(registration)
            emails_queue(
                [_registration_message(registration, "registration_waitlisted", extra=extra, with_invite=False)]
            )
        else:
            transaction.on_commit(lambda: _after_confirmation(registration))
    return registration


def class_seats_taken(class_session):
    return Registration.objects.filter(class_session=class_session, status=RegistrationStatus.CONFIRMED).count()


def _waitlist_place(registration):
    ahead = Registration.objects.filter(
        class_session_id=registration.class_session_id,
        status=RegistrationStatus.WAITLISTED,
        waitlisted_at__lt=registration.waitlisted_at,
    ).count()
    return {"waitlist_position": ahead + 1}


def waitlist_promote_next(*, class_session):
    """Give a freed seat of the class to the first on its waitlist; called inside the transaction that freed it."""
    class_session = ClassSession.objects.select_for_update().get(pk=class_session.pk)
    if class_session.is_cancelled or class_session.has_started:
        return None
    if class_seats_taken(class_session) >= class_session.capacity:
        return None
    first = (
        Registration.objects.select_for_update()
        .filter(class_session=class_session, status=RegistrationStatus.WAITLISTED)
        .order_by("waitlisted_at", "pk")
        .first()
    )
    if first is None:
        return None
    return _registration_promote(first, class_session)


def registration_promote(*, registration):
    """A trainer moves a student from the waitlist into the class (a seat must be free)."""
    with transaction.atomic():
        class_session = ClassSession.objects.select_for_update().get(pk=registration.class_session_id)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if not registration.is_waitlisted:
            raise ValidationError(f"{registration.email} is not on the waitlist.")
        if class_seats_taken(class_session) >= class_session.capacity:
            raise ValidationError("The class is full: raise its capacity or cancel a registration first.")
        return _registration_promote(registration, class_session)


def _registration_promote(registration, class_session):
    registration.status, registration.confirmed_at = RegistrationStatus.CONFIRMED, timezone.now()
    registration.save(update_fields=["status", "confirmed_at", "updated_at"])
    registration.class_session = class_session
    transaction.on_commit(lambda: _after_confirmation(registration))
    return registration


def _after_confirmation(registration):
    deferred = False
    for deferrer in extensions.confirmation_deferrers:
        deferred = deferrer(registration=registration) or deferred
    if not deferred:
        registration_confirmation_send(registration=registration)
    for hook in extensions.registration_hooks:
        hook(registration=registration, event="confirmed")


def registration_confirmation_message(*, registration, join_info=None, template="registration_confirmed"):
    """The confirmation (with .ics) of one student; providers supply how to join."""
    if join_info is None:
        join_info = extensions.join_info_for([registration]).get(registration.pk)
    return _registration_message(registration, template, join_info=join_info)


def registration_confirmation_send(*, registration, join_info=None, template="registration_confirmed"):
    emails_queue([registration_confirmation_message(registration=registration, join_info=join_info, template=template)])


_LINE_WITH_ANGLE = re.compile(r"^\s*(?P<name>[^<]*?)\s*<\s*(?P<email>[^>]+?)\s*>\s*$")


def person_line_parse(line):
    """`First Last <email>`, `email`, or CSV `first,last,email`."""
    match = _LINE_WITH_ANGLE.match(line)
    if match:
        name = match.group("name").strip().strip('"')
        first, _, last = name.partition(" ")
        return first, last, match.group("email")
    cells = next(csv.reader(io.StringIO(line)))
    cells = [cell.strip() for cell in cells]
    if len(cells) >= 3:
        return cells[0], cells[1], cells[2]
    if len(cells) == 2:
        first, _, last = cells[0].partition(" ")
        return first, last, cells[1]
    if len(cells) == 1 and "@" in cells[0]:
        local = cells[0].split("@")[0]
        return local, "", cells[0]
    raise ValidationError("Use “Name <email>” or “first,last,email”.")


def people_pasted(text, add):
    """Call `add(first, last, email)` for each pasted line (a CSV header skipped); [(number, line, message)] of the
    lines refused, by the parser or by `add`."""
    errors = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if number == 1 and line.lower().replace(" ", "").startswith(("first,last", "firstname,lastname")):
            continue
        try:
            add(*person_line_parse(line))
        except ValidationError as error:
            errors.append((number, line.strip(), " ".join(error.messages)))
    return errors


def registrations_bulk_create(*, class_session, text):
    result = BulkResult()

    def add(first, last, email):
        result.created.append(
            registration_create(class_session=class_session, first_name=first, last_name=last, email=email)
        )

    result.errors = people_pasted(text, add)
    return result


def registration_cancel(*, registration, by):
    """Cancel a registration or a place on the waitlist (by "student" or "trainer") and send the email.

    A freed seat goes to the first student on the class's waitlist.
    """
    if registration.status == RegistrationStatus.CANCELLED:
        return registration
    with transaction.atomic():
        was_confirmed = registration.is_confirmed
        registration.status = RegistrationStatus.CANCELLED
        registration.cancelled_at = timezone.now()
        registration.save(update_fields=["status", "cancelled_at", "updated_at"])
        if was_confirmed:
            transaction.on_commit(lambda: _after_cancellation(registration, by))
            waitlist_promote_next(class_session=registration.class_session)
        else:
            extra = {"cancelled_by": by}
            emails_queue(
                [_registration_message(registration, "registration_waitlist_left", extra=extra, with_invite=False)]
            )
    return registration


def _after_cancellation(registration, by):
    emails_queue(
        [
            _registration_message(
                registration, "registration_cancelled", cancelled_invite=True, extra={"cancelled_by": by}
            )
        ]
    )
    for hook in extensions.registration_hooks:
        hook(registration=registration, event="cancelled")


def _registration_message(
    registration, template, *, join_info=None, cancelled_invite=False, extra=None, with_invite=True, manage_links=None
):
    """One student's email; `manage_links`, when the caller looked them up for a whole list, saves a query each."""
    class_session = registration.class_session
    context = {
        "registration": registration,
        "class_session": class_session,
        "course": class_session.course,
        "organization": class_session.organization,
        "join_info": join_info,
        "cancel_url": settings.SITE_URL + reverse("registration_cancel", args=[registration.cancel_token]),
        "manage_link": (manage_links if manage_links is not None else extensions.manage_link_for([registration])).get(
            registration.pk
        ),
        "portal_url": settings.SITE_URL + reverse("portal:home"),
        **(extra or {}),
    }
    attachments = []
    if with_invite:
        invite = invite_for_registration(registration, join_info=join_info, cancelled=cancelled_invite).decode()
        method = "CANCEL" if cancelled_invite else "REQUEST"
        attachments.append(("invite.ics", invite, f"text/calendar; method={method}"))
    return email_render(template=template, to=registration.email, context=context, attachments=attachments)


# Reminders and calendar feeds -------------------------------------------------

# (field marking it sent, how long before the class, email template)
REMINDERS = (
    ("reminder_day_sent_at", timedelta(hours=24), "class_reminder"),
    ("reminder_hour_sent_at", timedelta(hours=1), "class_reminder"),
)
REMINDER_BATCH = 500


def reminders_send_due(*, now=None):
    """Email the 24-hour and 1-hour reminders that are due, each exactly once.

    Rows are claimed (marked sent) under a row lock before mailing, so two beat
    runs or workers never send the same reminder twice.
    """
    now = now or timezone.now()
    sent = 0
    for sent_field, lead, template in REMINDERS:
        # Inside the last hour the 1-hour reminder is the one that matters.
        window_start = now + timedelta(hours=1) if sent_field == "reminder_day_sent_at" else now
        with transaction.atomic():
            due = list(
                registrations_due_for_reminder(window_start=window_start, window_end=now + lead, field=sent_field)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("class_session__course", "class_session__organization")
                .order_by("pk")[:REMINDER_BATCH]
            )
            Registration.objects.filter(pk__in=[registration.pk for registration in due]).update(**{sent_field: now})
        join_info = extensions.join_info_for(due)
        manage_links = extensions.manage_link_for(due)
        messages = []
        for registration in due:
            class_session = registration.class_session
            starts_in = starts_in_words(starts_at=class_session.starts_at, zone=class_session.zone, now=now)
            messages.append(
                _registration_message(
                    registration,
                    template,
                    join_info=join_info.get(registration.pk),
                    extra={"starts_in": starts_in},
                    manage_links=manage_links,
                )
            )
        emails_queue(messages)
        sent += len(due)
    return sent


def calendar_feed_get_or_create(*, user, organization=None):
    """A student's feed (organization None) or a trainer's feed of one organization's classes."""
    kind = CalendarFeedKind.TRAINER if organization else CalendarFeedKind.STUDENT
    feed, _ = CalendarFeed.objects.get_or_create(user=user, organization=organization, kind=kind)
    return feed


def stakeholder_feed_create(*, organization, user):
    """A new private link for observers; any earlier one stops working."""
    with transaction.atomic():
        CalendarFeed.objects.filter(organization=organization, kind=CalendarFeedKind.STAKEHOLDER).delete()
        return CalendarFeed.objects.create(user=user, organization=organization, kind=CalendarFeedKind.STAKEHOLDER)


def stakeholder_feed_revoke(*, organization):
    CalendarFeed.objects.filter(organization=organization, kind=CalendarFeedKind.STAKEHOLDER).delete()


def calendar_feed_render(*, feed):
    registrations, class_sessions = calendar_feed_classes(feed=feed)
    if feed.kind == CalendarFeedKind.STAKEHOLDER:
        # How anyone joins, never a student's own link; the feed names no participant.
        joining = extensions.class_join_info_for(class_sessions)
        return feed_ics(class_sessions, join_info_by_class=joining, name=f"{feed.organization.name}: sessions")
    join_by_class = {}
    if registrations:
        join_info = extensions.join_info_for(registrations)
        join_by_class = {
            registration.class_session_id: join_info[registration.pk]
            for registration in registrations
            if registration.pk in join_info
        }
    name = "My CohortStudio classes" if feed.kind == CalendarFeedKind.STUDENT else f"{feed.organization.name} classes"
    return feed_ics(class_sessions, join_info_by_class=join_by_class, name=name)
