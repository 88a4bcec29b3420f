from datetime import timedelta

from django.db.models import Case, Count, F, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from orgs.access import get_for_org_or_404

from .models import CalendarFeed, ClassSession, Course, Enrolment, Registration, RegistrationStatus

CONFIRMED = Q(registrations__status=RegistrationStatus.CONFIRMED)


def course_list(*, organization):
    return (
        Course.objects.filter(organization=organization)
        .annotate(
            class_count=Count("class_sessions", distinct=True),
            upcoming_count=Count(
                "class_sessions", filter=Q(class_sessions__starts_at__gte=timezone.now()), distinct=True
            ),
        )
        .order_by("title")
    )


def course_get(*, organization, course_id):
    return get_for_org_or_404(Course.objects.select_related("organization"), organization=organization, pk=course_id)


def class_sessions_of_course(*, course):
    return (
        ClassSession.objects.filter(course=course, organization=course.organization)
        .annotate(confirmed_count=Count("registrations", filter=CONFIRMED))
        .order_by("-starts_at")
    )


def class_session_get(*, organization, class_session_id):
    return get_for_org_or_404(
        ClassSession.objects.select_related("course", "organization", "trainer")
        .prefetch_related("co_trainers")
        .annotate(confirmed_count=Count("registrations", filter=CONFIRMED)),
        organization=organization,
        pk=class_session_id,
    )


def registration_list(*, class_session):
    """The class's roster: confirmed, then cancelled; the waitlist is `class_waitlist`."""
    return (
        Registration.objects.filter(class_session=class_session, organization=class_session.organization)
        .exclude(status=RegistrationStatus.WAITLISTED)
        .order_by("-status", "last_name", "first_name", "email")
    )


def registration_get(*, organization, registration_id):
    return get_for_org_or_404(
        Registration.objects.select_related("class_session__course", "class_session__organization"),
        organization=organization,
        pk=registration_id,
    )


def class_sessions_upcoming(*, organization, limit=None):
    queryset = (
        ClassSession.objects.filter(organization=organization, starts_at__gte=timezone.now())
        .select_related("course")
        .annotate(confirmed_count=Count("registrations", filter=CONFIRMED))
        .order_by("starts_at")
    )
    return queryset[:limit] if limit else queryset


def registrations_for_student(*, student):
    """Every registration of this student across organizations, upcoming first."""
    return list(
        Registration.objects.filter(student=student)
        .select_related("class_session__course", "class_session__organization")
        .order_by("class_session__starts_at")
    )


def calendar_feed_classes(*, feed):
    """The classes a feed shows: a student's confirmed classes, or an organization's classes."""
    if feed.kind == "student":
        registrations = list(
            Registration.objects.filter(student=feed.user, status=RegistrationStatus.CONFIRMED)
            .select_related("class_session__course", "class_session__organization")
            .order_by("class_session__starts_at")
        )
        return registrations, [registration.class_session for registration in registrations]
    class_sessions = ClassSession.objects.filter(organization=feed.organization).select_related("course")
    if feed.kind == "stakeholder":
        class_sessions = class_sessions.filter(
            status="scheduled", starts_at__gte=timezone.now() - STAKEHOLDER_FEED_PAST
        )
    return [], list(class_sessions.order_by("starts_at"))


# A stakeholder feed keeps the last month's classes, then everything ahead.
STAKEHOLDER_FEED_PAST = timedelta(days=30)


def stakeholder_feed_of(*, organization):
    return CalendarFeed.objects.filter(organization=organization, kind="stakeholder").first()


def registrations_due_for_reminder(*, window_start, window_end, field):
    return Registration.objects.filter(
        status=RegistrationStatus.CONFIRMED,
        class_session__status="scheduled",
        class_session__starts_at__gt=window_start,
        class_session__starts_at__lte=window_end,
        **{f"{field}__isnull": True},
    )


# Cohorts -----------------------------------------------------------------------


def _waitlist_position(model, scope):
    """Annotation: 1 + how many of the same scope waited longer."""
    earlier = (
        model.objects.filter(
            **{scope: OuterRef(scope)},
            status=RegistrationStatus.WAITLISTED,
            waitlisted_at__lt=OuterRef("waitlisted_at"),
        )
        .order_by()
        .values(scope)
        .annotate(ahead=Count("pk"))
        .values("ahead")
    )
    return Coalesce(Subquery(earlier), 0) + 1


def enrolment_list(*, course):
    return (
        Enrolment.objects.filter(course=course, organization=course.organization)
        .exclude(status=RegistrationStatus.CANCELLED)
        .annotate(
            waitlist_position=_waitlist_position(Enrolment, "course"),
            # The waitlist in its queue order; the enrolled by name (a promoted student keeps the waitlisted_at).
            queue_order=Case(When(status=RegistrationStatus.WAITLISTED, then=F("waitlisted_at"))),
        )
        .order_by("status", "queue_order", "last_name", "first_name", "email")
    )


def enrolment_counts(*, course):
    counts = dict(
        Enrolment.objects.filter(course=course).values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return {
        "enrolled": counts.get(RegistrationStatus.CONFIRMED, 0),
        "waitlisted": counts.get(RegistrationStatus.WAITLISTED, 0),
    }


def enrolment_get(*, organization, enrolment_id):
    return get_for_org_or_404(
        Enrolment.objects.select_related("course", "organization"), organization=organization, pk=enrolment_id
    )


def course_roster(*, course, enrolments):
    """Per enrolled student, their registration status in each class of the course (one query, whatever the size)."""
    classes = list(ClassSession.objects.filter(course=course, organization=course.organization).order_by("starts_at"))
    emails = {enrolment.email.lower() for enrolment in enrolments}
    status = {
        (email.lower(), class_id): value
        for email, class_id, value in Registration.objects.filter(
            class_session__course=course, email__in=emails
        ).values_list("email", "class_session_id", "status")
    }
    rows = [
        {
            "enrolment": enrolment,
            "cells": [status.get((enrolment.email.lower(), class_session.pk)) for class_session in classes],
        }
        for enrolment in enrolments
    ]
    return classes, rows


def class_waitlist(*, class_session):
    return (
        Registration.objects.filter(
            class_session=class_session,
            organization=class_session.organization,
            status=RegistrationStatus.WAITLISTED,
        )
        .annotate(waitlist_position=_waitlist_position(Registration, "class_session"))
        .order_by("waitlisted_at", "pk")
    )


def course_schedule_upcoming(*, course):
    return list(
        ClassSession.objects.filter(course=course, status="scheduled", starts_at__gt=timezone.now())
        .annotate(confirmed_count=Count("registrations", filter=CONFIRMED))
        .order_by("starts_at")
    )


def enrolments_for_student(*, student):
    """The student's course enrolments across organizations, with their place in line when waiting."""
    return list(
        Enrolment.objects.filter(student=student)
        .exclude(status=RegistrationStatus.CANCELLED)
        .select_related("course", "organization")
        .annotate(waitlist_position=_waitlist_position(Enrolment, "course"))
        .order_by("course__title")
    )


def waitlist_positions_for_registrations(*, registrations):
    """{registration id: place in its class's waitlist} for the waitlisted ones."""
    waiting = [registration.pk for registration in registrations if registration.is_waitlisted]
    if not waiting:
        return {}
    return dict(
        Registration.objects.filter(pk__in=waiting)
        .annotate(position=_waitlist_position(Registration, "class_session"))
        .values_list("pk", "position")
    )
