import secrets
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.templatetags.tz import do_timezone
from django.utils import timezone

from orgs.models import Organization
from orgs.timezones import validate_timezone


def _token():
    return secrets.token_urlsafe(24)


class Course(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="courses")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    certification = models.CharField(
        max_length=200, blank=True, help_text="The certification this course prepares students for."
    )
    attendance_threshold_percent = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Leave empty to use the organization's threshold.",
    )
    enrolment_open = models.BooleanField(
        default=True, help_text="Students can enrol in the whole course from its public page."
    )
    public_token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["organization", "title"])]

    def __str__(self):
        return self.title

    @property
    def effective_attendance_threshold(self):
        return self.attendance_threshold_percent or self.organization.attendance_threshold_percent


class DeliveryMode(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    VIRTUAL = "virtual", "Virtual"


class ClassStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


class RepeatFrequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    DAILY = "daily", "Daily"


class ClassSeries(models.Model):
    """Classes scheduled together by a repeat rule; each class stays editable on its own.

    The rule is kept as it was given (dates in the class's zone) so a copy or a Zoom recurring meeting can be made
    from it; the classes themselves are the truth of when the series meets.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="class_series")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="series")
    title_pattern = models.CharField(max_length=200, help_text="{n} is the class's number: “Week {n}: Risk”.")
    first_date = models.DateField()
    start_time = models.TimeField()
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    duration_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(1440)])
    frequency = models.CharField(max_length=8, choices=RepeatFrequency.choices, default=RepeatFrequency.WEEKLY)
    interval = models.PositiveSmallIntegerField(default=1)
    weekdays = models.CharField(max_length=13, blank=True, help_text="Comma-separated, Monday 0 … Sunday 6.")
    count = models.PositiveSmallIntegerField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    one_zoom_meeting = models.BooleanField(
        default=True, help_text="Virtual classes share one recurring Zoom meeting: one link for every class."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "class series"

    def __str__(self):
        return self.title_pattern

    @property
    def weekday_numbers(self):
        return tuple(int(day) for day in self.weekdays.split(",") if day != "")


class ClassSession(models.Model):
    """One class of a course. `starts_at` is stored in UTC; `timezone` is how it is shown."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="class_sessions")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="class_sessions")
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(1440)])
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    delivery_mode = models.CharField(max_length=16, choices=DeliveryMode.choices, default=DeliveryMode.VIRTUAL)
    location = models.TextField(blank=True, help_text="Address for in-person classes, or notes for students.")
    capacity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    status = models.CharField(max_length=16, choices=ClassStatus.choices, default=ClassStatus.SCHEDULED)
    public_token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    calendar_sequence = models.PositiveIntegerField(
        default=0, help_text="Bumped on every emailed change of the invite so calendars replace the old one."
    )
    series = models.ForeignKey(
        ClassSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="class_sessions"
    )
    series_number = models.PositiveSmallIntegerField(null=True, blank=True)
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="classes_taught",
        help_text="Who teaches the class; their own Zoom hosts it when they connected one.",
    )
    co_trainers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="classes_co_taught",
        help_text="Who teaches alongside; on Zoom they become the meeting's alternative hosts where Zoom allows it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["organization", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="class_capacity_positive"),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=1, duration_minutes__lte=1440), name="class_duration_range"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def ends_at(self):
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def zone(self):
        return zoneinfo.ZoneInfo(self.timezone)

    # Marked (by do_timezone) so templates show them in the class's zone, not the viewer's.
    @property
    def local_starts_at(self):
        return do_timezone(self.starts_at, self.zone)

    @property
    def local_ends_at(self):
        return do_timezone(self.ends_at, self.zone)

    @property
    def is_virtual(self):
        return self.delivery_mode == DeliveryMode.VIRTUAL

    @property
    def is_cancelled(self):
        return self.status == ClassStatus.CANCELLED

    @property
    def has_started(self):
        return self.starts_at <= timezone.now()


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    WAITLISTED = "waitlisted", "On the waitlist"
    CANCELLED = "cancelled", "Cancelled"


class SeatHolder:
    """What a registration and an enrolment share: a named student holding a seat, or a place in line."""

    def __str__(self):
        return f"{self.full_name} <{self.email}>"

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_confirmed(self):
        return self.status == RegistrationStatus.CONFIRMED

    @property
    def is_waitlisted(self):
        return self.status == RegistrationStatus.WAITLISTED


class Enrolment(SeatHolder, models.Model):
    """A student in a whole course: registered for every class of it that has not started, and every class added."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="enrolments")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrolments")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrolments")
    first_name = models.CharField(max_length=64)
    last_name = models.CharField(max_length=64, blank=True)
    email = models.EmailField(max_length=128)
    status = models.CharField(max_length=16, choices=RegistrationStatus.choices, default=RegistrationStatus.CONFIRMED)
    cancel_token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    waitlisted_at = models.DateTimeField(null=True, blank=True, help_text="Place in the waitlist: first come first.")
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["last_name", "first_name", "email"]
        constraints = [
            models.UniqueConstraint("course", Lower("email"), name="enrolment_one_per_email_per_course"),
        ]
        indexes = [models.Index(fields=["course", "status", "waitlisted_at"])]


class Registration(SeatHolder, models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="registrations")
    class_session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="registrations")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registrations")
    first_name = models.CharField(max_length=64)
    last_name = models.CharField(max_length=64, blank=True)
    email = models.EmailField(max_length=128)
    status = models.CharField(max_length=16, choices=RegistrationStatus.choices, default=RegistrationStatus.CONFIRMED)
    cancel_token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reminder_day_sent_at = models.DateTimeField(null=True, blank=True, help_text="The 24-hour reminder went out.")
    reminder_hour_sent_at = models.DateTimeField(null=True, blank=True, help_text="The 1-hour reminder went out.")
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.SET_NULL, null=True, blank=True, related_name="registrations"
    )
    waitlisted_at = models.DateTimeField(null=True, blank=True, help_text="Place in the waitlist: first come first.")

    class Meta:
        ordering = ["last_name", "first_name", "email"]
        constraints = [
            models.UniqueConstraint("class_session", Lower("email"), name="registration_one_per_email_per_class"),
        ]
        indexes = [
            models.Index(fields=["class_session", "status"]),
            models.Index(fields=["class_session", "status", "waitlisted_at"], name="registration_waitlist"),
        ]


class CalendarFeedKind(models.TextChoices):
    STUDENT = "student", "A student's classes"
    TRAINER = "trainer", "An organization's classes (no student details)"
    STAKEHOLDER = "stakeholder", "For observers: upcoming classes with how to join, no participants"


class CalendarFeed(models.Model):
    """A private, subscribable calendar URL; the token is the only credential."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="calendar_feeds"
    )
    kind = models.CharField(max_length=16, choices=CalendarFeedKind.choices)
    token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "kind"], name="calendar_feed_one_per_scope"),
            models.UniqueConstraint(
                fields=["user", "kind"],
                condition=models.Q(organization__isnull=True),
                name="calendar_feed_one_student_feed",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} feed of {self.user}"
