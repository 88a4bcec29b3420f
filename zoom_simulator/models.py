"""The simulated Zoom side: users, app grants and tokens, meetings and what happens in them."""

from django.db import models

from zoom_simulator import constants


class SimUser(models.Model):
    """A fake Zoom user who can authorize the app and host meetings."""

    zoom_user_id = models.CharField(max_length=32, unique=True)
    account_id = models.CharField(max_length=32)
    account_number = models.BigIntegerField()
    email = models.EmailField(unique=True)
    first_name = models.CharField(max_length=64)
    last_name = models.CharField(max_length=64)
    account_type = models.PositiveSmallIntegerField(
        choices=constants.USER_TYPE_CHOICES, default=constants.USER_TYPE_LICENSED
    )
    pmi = models.BigIntegerField()
    timezone = models.CharField(max_length=64, default="UTC")
    webinar_addon = models.BooleanField(
        default=True,
        help_text="Holds Zoom's Webinar add-on; without it webinar calls answer 'Webinar plan is missing'.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.email

    @property
    def display_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_licensed(self):
        return self.account_type == constants.USER_TYPE_LICENSED


class Grant(models.Model):
    """One authorization of the app by a user; the app is installed while a grant is active."""

    user = models.ForeignKey(SimUser, on_delete=models.CASCADE, related_name="grants")
    client_id = models.CharField(max_length=128)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class AuthorizationCode(models.Model):
    code = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(SimUser, on_delete=models.CASCADE)
    client_id = models.CharField(max_length=128)
    redirect_uri = models.CharField(max_length=500)
    code_challenge = models.CharField(max_length=128, blank=True)
    code_challenge_method = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)


class Token(models.Model):
    KIND_ACCESS = "access"
    KIND_REFRESH = "refresh"

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="tokens")
    kind = models.CharField(max_length=8, choices=[(KIND_ACCESS, "Access"), (KIND_REFRESH, "Refresh")])
    # Zoom's tokens are long JWTs; only their digest is kept.
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class Meeting(models.Model):
    meeting_id = models.BigIntegerField(unique=True)
    # The uuid the next (or current) instance runs under; it changes after each end.
    uuid = models.CharField(max_length=64)
    host = models.ForeignKey(SimUser, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(
        max_length=8,
        default=constants.KIND_MEETING,
        choices=[(constants.KIND_MEETING, "Meeting"), (constants.KIND_WEBINAR, "Webinar")],
    )
    topic = models.CharField(max_length=200, blank=True)
    type = models.PositiveSmallIntegerField(default=constants.MEETING_TYPE_SCHEDULED)
    start_time = models.DateTimeField()
    duration = models.PositiveIntegerField(default=60)
    timezone = models.CharField(max_length=64)
    password = models.CharField(max_length=10, blank=True)
    agenda = models.TextField(blank=True)
    settings = models.JSONField(default=dict)
    recurrence = models.JSONField(null=True, blank=True)
    # Changes to single occurrences of a recurring meeting: {occurrence_id: {"start_time", "duration", "deleted"}}.
    occurrence_changes = models.JSONField(default=dict, blank=True)
    join_token = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.meeting_id} {self.topic}"

    @property
    def is_webinar(self):
        return self.kind == constants.KIND_WEBINAR

    @property
    def approval_type(self):
        return self.settings.get("approval_type", constants.APPROVAL_NO_REGISTRATION)

    @property
    def registration_enabled(self):
        return self.approval_type != constants.APPROVAL_NO_REGISTRATION


class MeetingInstance(models.Model):
    """One occurrence that was started; participants, summary and recordings belong to it."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="instances")
    uuid = models.CharField(max_length=64, unique=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    recording_password = models.CharField(max_length=16, blank=True)
    recording_play_passcode = models.CharField(max_length=40, blank=True)
    recording_share_token = models.CharField(max_length=64, blank=True)
    next_participant_number = models.PositiveIntegerField(default=16778240)

    class Meta:
        ordering = ["-started_at"]

    @property
    def is_live(self):
        return self.ended_at is None


class Registrant(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="registrants")
    registrant_id = models.CharField(max_length=32, unique=True)
    email = models.EmailField(max_length=128)
    first_name = models.CharField(max_length=64)
    last_name = models.CharField(max_length=64, blank=True)
    extra_fields = models.JSONField(default=dict)
    status = models.CharField(max_length=16)
    join_token = models.CharField(max_length=64)
    participant_pin_code = models.PositiveIntegerField()
    create_time = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["create_time", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "email"], name="zoomsim_registrant_unique_email"),
        ]

    def __str__(self):
        return self.email

    @property
    def display_name(self):
        return f"{self.first_name} {self.last_name}".strip()


class Participant(models.Model):
    """One join of one person into one instance (a rejoin is a new row, as in Zoom's reports)."""

    instance = models.ForeignKey(MeetingInstance, on_delete=models.CASCADE, related_name="participants")
    registrant = models.ForeignKey(Registrant, null=True, blank=True, on_delete=models.SET_NULL)
    participant_user_id = models.CharField(max_length=16)
    participant_uuid = models.CharField(max_length=32)
    zoom_user_id = models.CharField(max_length=32, blank=True)
    name = models.CharField(max_length=128)
    email = models.CharField(max_length=128, blank=True)
    join_time = models.DateTimeField()
    leave_time = models.DateTimeField(null=True, blank=True)
    leave_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["join_time", "id"]


class Poll(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="polls")
    poll_id = models.CharField(max_length=32, unique=True)
    title = models.CharField(max_length=64)
    poll_type = models.PositiveSmallIntegerField(default=1)
    anonymous = models.BooleanField(default=False)
    questions = models.JSONField(default=list)
    status = models.CharField(max_length=16, default="notstart")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class PollResponse(models.Model):
    """One participant's answers to one poll launched in one instance (what past poll results list)."""

    instance = models.ForeignKey(MeetingInstance, on_delete=models.CASCADE, related_name="poll_responses")
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="responses")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="poll_responses")
    # [{"question": ..., "answer": ...}] in the poll's question order.
    answers = models.JSONField(default=list)
    answered_at = models.DateTimeField()

    class Meta:
        ordering = ["answered_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["instance", "poll", "participant"], name="zoomsim_poll_response_once")
        ]


class Summary(models.Model):
    instance = models.OneToOneField(MeetingInstance, on_delete=models.CASCADE, related_name="summary")
    title = models.CharField(max_length=255)
    overview = models.TextField()
    details = models.JSONField(default=list)
    next_steps = models.JSONField(default=list)
    content = models.TextField()
    doc_token = models.CharField(max_length=32)
    created_at = models.DateTimeField()
    trashed_at = models.DateTimeField(null=True, blank=True)


class RecordingFile(models.Model):
    instance = models.ForeignKey(MeetingInstance, on_delete=models.CASCADE, related_name="recording_files")
    file_id = models.CharField(max_length=36, unique=True)
    recording_type = models.CharField(max_length=64)
    file_type = models.CharField(max_length=16)
    file_extension = models.CharField(max_length=8)
    file_size = models.BigIntegerField()
    recording_start = models.DateTimeField()
    recording_end = models.DateTimeField()
    play_token = models.CharField(max_length=64)
    trashed_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["recording_start", "id"]


class DailyCounter(models.Model):
    """Requests counted against one of Zoom's per-day limits (reset at 00:00 UTC)."""

    key = models.CharField(max_length=255)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "day"], name="zoomsim_daily_counter_unique")]


class Fault(models.Model):
    """The next `remaining` API calls fail this way."""

    kind = models.CharField(max_length=8, choices=[(kind, kind) for kind in constants.FAULT_KINDS])
    remaining = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
