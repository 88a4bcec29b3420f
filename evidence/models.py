"""Certification evidence: completion rules and credit schemes, attendance-check poll answers, course outcomes.

Poll answers and outcomes are evidence an accrediting body may ask for: kept at least five years, never pruned
with the raw webhook deliveries, removed only by an explicit data purge of the organization.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from courses.models import ClassSession, Course, Enrolment, Registration
from orgs.models import Organization

from .credits import CUSTOM, NONE, PRESET_CHOICES, PRESETS, CreditScheme


class CompletionRules(models.Model):
    """How a course is completed and what it earns. One row per organization (its defaults, course empty) and one
    per course that sets its own."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="completion_rules")
    course = models.OneToOneField(
        Course, on_delete=models.CASCADE, null=True, blank=True, related_name="completion_rules"
    )
    missed_allowed = models.PositiveSmallIntegerField(
        default=0, help_text="How many classes a student may miss and still complete the course."
    )
    required_classes = models.ManyToManyField(
        ClassSession, blank=True, related_name="+", help_text="Classes no one may miss, whatever the allowance."
    )
    makeup_counts = models.BooleanField(
        default=False,
        help_text="Attending the same class (same title) in another cohort of the organization makes up a missed one.",
    )
    min_polls_percent = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Share of attendance-check polls a student must answer over the course; empty for no poll rule.",
    )
    credit_preset = models.CharField(max_length=16, choices=PRESET_CHOICES, default=NONE)
    credit_label = models.CharField(max_length=40, blank=True, help_text="Custom schemes: what a credit is called.")
    unit_minutes = models.PositiveSmallIntegerField(default=60, validators=[MinValueValidator(1)])
    minimum_credits = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("1"))
    increment = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("0.5"), validators=[MinValueValidator(Decimal("0.01"))]
    )
    cap_per_class = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    polls_scale_credit = models.BooleanField(
        default=False,
        help_text="Per class: 75% of attendance-check polls answered for full credit, 50–74% for half, less for none.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "completion rules"
        constraints = [
            models.UniqueConstraint(
                fields=["organization"], condition=models.Q(course__isnull=True), name="completion_rules_one_default"
            ),
        ]

    def __str__(self):
        return f"Completion rules of {self.course or self.organization}"

    @property
    def scheme(self):
        if self.credit_preset == CUSTOM:
            return CreditScheme(
                CUSTOM,
                self.credit_label or "credits",
                self.unit_minutes,
                self.minimum_credits,
                self.increment,
                self.cap_per_class,
            )
        return PRESETS[self.credit_preset]


class PollCheck(models.Model):
    """A poll run in a class's meeting; `attendance_check` polls count toward presence."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    class_session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="poll_checks")
    source = models.CharField(max_length=32)
    session_key = models.CharField(max_length=255, help_text="The meeting run (Zoom: the instance UUID).")
    poll_key = models.CharField(max_length=255)
    title = models.CharField(max_length=255, blank=True)
    attendance_check = models.BooleanField(default=True)
    fetched_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "session_key", "poll_key"], name="poll_check_once_per_run"),
        ]


class PollAnswer(models.Model):
    """One respondent's answer to one question of a poll; matched to a registration as attendance is."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    poll = models.ForeignKey(PollCheck, on_delete=models.CASCADE, related_name="answers")
    registration = models.ForeignKey(
        Registration, on_delete=models.SET_NULL, null=True, blank=True, related_name="poll_answers"
    )
    respondent_email = models.CharField(max_length=254, blank=True)
    respondent_name = models.CharField(max_length=255, blank=True)
    question = models.TextField()
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "respondent_email", "respondent_name", "question"], name="poll_answer_once"
            ),
        ]


class OutcomeStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    NOT_COMPLETED = "not_completed", "Not completed"


class CourseOutcome(models.Model):
    """The last computed standing of an enrolment, kept as evidence; `completed_at` is set once."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    enrolment = models.OneToOneField(Enrolment, on_delete=models.CASCADE, related_name="outcome")
    status = models.CharField(max_length=16, choices=OutcomeStatus.choices)
    reason = models.CharField(max_length=255)
    classes_total = models.PositiveSmallIntegerField(default=0)
    classes_attended = models.PositiveSmallIntegerField(default=0)
    minutes = models.PositiveIntegerField(default=0)
    credits = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("0"))
    credit_label = models.CharField(max_length=40, blank=True)
    computed_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
