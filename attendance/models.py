"""Attendance: stored presence signals and what is derived from them.

`PresenceSignal` rows are the facts ("this participant joined at ..."), kept
forever and never edited. `Participant` and `AttendanceRecord` are derived from
them and can be rebuilt at any time (`services.attendance_rebuild`); the only
human input they carry is a trainer's assignment of a participant. Manual
attendance decisions live apart, in `AttendanceOverride`, and win over the
derived result.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from courses.models import ClassSession, Registration
from orgs.models import Organization


class SignalKind(models.TextChoices):
    JOIN = "join", "Joined"
    LEAVE = "leave", "Left"
    SESSION_START = "session_start", "Meeting started"
    SESSION_END = "session_end", "Meeting ended"


PARTICIPANT_KINDS = (SignalKind.JOIN, SignalKind.LEAVE)
SESSION_KINDS = (SignalKind.SESSION_START, SignalKind.SESSION_END)


class PresenceSignal(models.Model):
    """One thing a meeting tool told us, as it told us.

    `source` names the tool ("zoom"); `external_id` is unique within it so a
    redelivered signal is stored once. `session_key` is one run of the meeting
    (a restarted meeting gets a new one); `participant_key` is one connection
    in it (a second device is a second participant).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    class_session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="presence_signals")
    source = models.CharField(max_length=32)
    external_id = models.CharField(max_length=255)
    session_key = models.CharField(max_length=255)
    participant_key = models.CharField(max_length=255, blank=True)
    kind = models.CharField(max_length=16, choices=SignalKind.choices)
    occurred_at = models.DateTimeField()
    registration = models.ForeignKey(
        Registration,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The registration the source itself identified (for example by its registrant id).",
    )
    email = models.CharField(max_length=254, blank=True, help_text="As the meeting tool reported it.")
    display_name = models.CharField(max_length=255, blank=True)
    reconciled = models.BooleanField(
        default=False, help_text="Filled in after the meeting from the tool's participant report."
    )
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="presence_signal_unique_external_id"),
            models.CheckConstraint(
                condition=(
                    models.Q(kind__in=PARTICIPANT_KINDS) & ~models.Q(participant_key="")
                    | models.Q(kind__in=SESSION_KINDS, participant_key="")
                ),
                name="presence_signal_participant_key_matches_kind",
            ),
        ]
        indexes = [
            models.Index(
                fields=["class_session", "source", "session_key", "participant_key"], name="presence_signal_participant"
            ),
        ]

    def __str__(self):
        who = self.display_name or self.participant_key or self.session_key
        return f"{self.get_kind_display()}: {who} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"


class MatchMethod(models.TextChoices):
    SOURCE = "source", "Identified by the meeting tool"
    EMAIL = "email", "Same email address"
    ASSIGNED = "assigned", "Assigned by a trainer"


class Participant(models.Model):
    """One connection to one run of a class's meeting, and who it was."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    class_session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="participants")
    source = models.CharField(max_length=32)
    session_key = models.CharField(max_length=255)
    participant_key = models.CharField(max_length=255)
    display_name = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=254, blank=True)
    registration = models.ForeignKey(
        Registration, on_delete=models.SET_NULL, null=True, blank=True, related_name="participants"
    )
    match_method = models.CharField(max_length=16, choices=MatchMethod.choices, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    intervals = models.JSONField(default=list, help_text="Closed presence intervals, ISO 8601 pairs.")
    open_since = models.DateTimeField(null=True, blank=True)
    first_joined_at = models.DateTimeField(null=True, blank=True)
    last_left_at = models.DateTimeField(null=True, blank=True)
    seconds_present = models.PositiveIntegerField(default=0)
    reconciled = models.BooleanField(default=False, help_text="Known only from the participant report.")

    class Meta:
        ordering = ["first_joined_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["class_session", "source", "session_key", "participant_key"], name="participant_unique_key"
            ),
        ]
        indexes = [models.Index(fields=["class_session", "registration"], name="participant_registration")]

    def __str__(self):
        return self.display_name or self.email or self.participant_key

    @property
    def minutes_present(self):
        return self.seconds_present // 60


class AttendanceRecord(models.Model):
    """A registration's presence in its class: the union of its participants."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    class_session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="attendance_records")
    registration = models.OneToOneField(Registration, on_delete=models.CASCADE, related_name="attendance_record")
    intervals = models.JSONField(default=list, help_text="Closed presence intervals, ISO 8601 pairs, merged.")
    open_since = models.DateTimeField(null=True, blank=True)
    first_joined_at = models.DateTimeField(null=True, blank=True)
    last_left_at = models.DateTimeField(null=True, blank=True)
    seconds_present = models.PositiveIntegerField(default=0)
    reconciled = models.BooleanField(default=False, help_text="Some of it comes from the participant report.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["class_session", "registration"]

    def __str__(self):
        return f"Attendance of {self.registration}"


class OverrideStatus(models.TextChoices):
    PRESENT = "present", "Present"
    ABSENT = "absent", "Absent"
    AUTOMATIC = "automatic", "Automatic"


class AttendanceOverride(models.Model):
    """A trainer's decision on a registration's attendance. Rows are only added;
    the latest one is in force, and "automatic" hands the decision back to the
    recorded presence."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    class_session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="attendance_overrides")
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="attendance_overrides")
    status = models.CharField(max_length=16, choices=OverrideStatus.choices)
    reason = models.CharField(max_length=500, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["set_at", "id"]
        indexes = [models.Index(fields=["class_session", "registration", "set_at"], name="attendance_override_latest")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="automatic") | ~models.Q(reason=""),
                name="attendance_override_reason_required",
            ),
        ]

    def __str__(self):
        return f"{self.get_status_display()} for {self.registration}"
