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
    CANCELLED = "cancelled", "Cancelled"


class Registration(models.Model):
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

    class Meta:
        ordering = ["last_name", "first_name", "email"]
        constraints = [
            models.UniqueConstraint("class_session", Lower("email"), name="registration_one_per_email_per_class"),
        ]
        indexes = [models.Index(fields=["class_session", "status"])]

    def __str__(self):
        return f"{self.full_name} <{self.email}>"

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_confirmed(self):
        return self.status == RegistrationStatus.CONFIRMED


class CalendarFeedKind(models.TextChoices):
    STUDENT = "student", "A student's classes"
    TRAINER = "trainer", "An organization's classes (no student details)"


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
