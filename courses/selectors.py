from django.db.models import Count, Q
from django.utils import timezone

from orgs.access import get_for_org_or_404

from .models import ClassSession, Course, Registration, RegistrationStatus

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
        ClassSession.objects.select_related("course", "organization").annotate(
            confirmed_count=Count("registrations", filter=CONFIRMED)
        ),
        organization=organization,
        pk=class_session_id,
    )


def registration_list(*, class_session):
    return Registration.objects.filter(class_session=class_session, organization=class_session.organization).order_by(
        "status", "last_name", "first_name", "email"
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
    class_sessions = list(
        ClassSession.objects.filter(organization=feed.organization).select_related("course").order_by("starts_at")
    )
    return [], class_sessions


def registrations_due_for_reminder(*, window_start, window_end, field):
    return Registration.objects.filter(
        status=RegistrationStatus.CONFIRMED,
        class_session__status="scheduled",
        class_session__starts_at__gt=window_start,
        class_session__starts_at__lte=window_end,
        **{f"{field}__isnull": True},
    )
