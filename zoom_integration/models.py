from django.conf import settings
from django.db import models

from orgs.models import Organization

from . import crypto
from .constants import ACCOUNT_TYPES, KIND_MEETING, KIND_WEBINAR


class EncryptedTokens(models.Model):
    """An access/refresh token pair, stored only encrypted (see crypto.py).

    The columns hold Fernet ciphertext; `access_token()` and `refresh_token()`
    decrypt on demand, so a model instance never carries a token in plain text
    and neither `repr` nor the admin can show one.
    """

    ENCRYPTED_FIELDS = ("access_token_encrypted", "refresh_token_encrypted")

    access_token_encrypted = models.TextField(blank=True, editable=False)
    refresh_token_encrypted = models.TextField(blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="When the access token expires.")
    scopes = models.JSONField(default=list, blank=True, help_text="Scopes Zoom granted, as it named them.")

    class Meta:
        abstract = True

    @property
    def has_tokens(self):
        return bool(self.access_token_encrypted and self.refresh_token_encrypted)

    def access_token(self):
        return crypto.decrypt(self.access_token_encrypted)

    def refresh_token(self):
        return crypto.decrypt(self.refresh_token_encrypted)

    def set_tokens(self, *, access_token, refresh_token, expires_at, scopes):
        self.access_token_encrypted = crypto.encrypt(access_token)
        self.refresh_token_encrypted = crypto.encrypt(refresh_token)
        self.expires_at = expires_at
        self.scopes = list(scopes)

    def clear_tokens(self):
        self.access_token_encrypted = ""
        self.refresh_token_encrypted = ""
        self.expires_at = None


class ConnectionStatus(models.TextChoices):
    CONNECTED = "connected", "Connected"
    RECONNECT_NEEDED = "reconnect_needed", "Reconnect needed"
    DISCONNECTED = "disconnected", "Not connected"


class ZoomConnection(EncryptedTokens):
    """A Zoom user connected to an organization; that user hosts the meetings made with this connection.

    `user` is empty for the organization's own connection (an owner connects it in Settings → Zoom) and
    names the trainer for a trainer's own Zoom: their classes are hosted there.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="zoom_connections")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="zoom_connections",
        help_text="The trainer whose own Zoom this is; empty for the organization's connection.",
    )
    zoom_user_id = models.CharField(max_length=64)
    zoom_account_id = models.CharField(max_length=64)
    zoom_email = models.EmailField(blank=True)
    account_type = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=ConnectionStatus.choices, default=ConnectionStatus.CONNECTED)
    connected_at = models.DateTimeField()
    connected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    refreshed_at = models.DateTimeField(null=True, blank=True)
    last_webhook_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    notice = models.TextField(
        blank=True, help_text="Why the connection ended, shown once to the next owner who opens Settings → Zoom."
    )

    class Meta:
        constraints = [
            # Zoom keeps only a Zoom user's newest grant for our app, so one Zoom
            # user can serve one organization at a time.
            models.UniqueConstraint(
                fields=["zoom_user_id"],
                condition=~models.Q(status="disconnected"),
                name="zoomconnection_one_org_per_zoom_user",
            ),
            models.UniqueConstraint(fields=["organization", "user"], name="zoomconnection_one_per_trainer"),
            models.UniqueConstraint(
                fields=["organization"], condition=models.Q(user__isnull=True), name="zoomconnection_one_per_org"
            ),
        ]

    def __str__(self):
        whose = f"{self.user} at {self.organization}" if self.user_id else str(self.organization)
        return f"Zoom connection of {whose} ({self.zoom_email or self.zoom_user_id})"

    @property
    def is_organizations(self):
        return self.user_id is None

    @property
    def is_active(self):
        return self.status != ConnectionStatus.DISCONNECTED

    @property
    def account_type_label(self):
        return ACCOUNT_TYPES.get(self.account_type, "Unknown")


class PendingZoomGrant(EncryptedTokens):
    """Tokens of a Marketplace install (Option B) held until we know the organization.

    Zoom's code lives 5 minutes, so it is exchanged at once; the tokens wait
    here, bound to the browser session that brought the code, while the user
    signs in and, if needed, picks an organization.
    """

    session_binding = models.CharField(max_length=64, help_text="SHA-256 of a secret kept in the browser session.")
    zoom_user_id = models.CharField(max_length=64)
    zoom_account_id = models.CharField(max_length=64)
    zoom_email = models.EmailField(blank=True)
    account_type = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    hold_until = models.DateTimeField()

    def __str__(self):
        return f"Pending Zoom grant of {self.zoom_email or self.zoom_user_id}"


class AccessRemovalReason(models.TextChoices):
    DISCONNECTED = "disconnected", "Disconnected in CohortStudio"
    DEAUTHORIZED = "deauthorized", "App removed on Zoom"


class ZoomAccessRemoval(models.Model):
    """Audit: what was deleted when an organization's Zoom access ended, and why."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="zoom_access_removals")
    reason = models.CharField(max_length=20, choices=AccessRemovalReason.choices)
    zoom_user_id = models.CharField(max_length=64)
    zoom_account_id = models.CharField(max_length=64)
    zoom_email = models.EmailField(blank=True)
    deleted = models.JSONField(default=list, help_text="What CohortStudio deleted.")
    removed_at = models.DateTimeField()
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    zoom_reported_at = models.DateTimeField(null=True, blank=True, help_text="Zoom's deauthorization time.")
    webhook_event = models.ForeignKey(
        "WebhookEvent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-removed_at"]

    def __str__(self):
        return f"{self.get_reason_display()}: {self.organization} on {self.removed_at:%Y-%m-%d %H:%M}"


class WebhookState(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored"
    FAILED = "failed", "Failed"


class WebhookEvent(models.Model):
    """A verified Zoom webhook delivery, stored before we answer 200."""

    event_type = models.CharField(max_length=100)
    event_ts = models.DateTimeField(null=True, blank=True, help_text="Zoom's event time, when the payload has one.")
    raw_body = models.TextField()
    dedup_key = models.CharField(max_length=64, help_text="SHA-256 of the raw body; Zoom's retries repeat it.")
    received_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=16, choices=WebhookState.choices, default=WebhookState.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A worker is processing it, or it waits for a retry, until then; the sweeper leaves it alone.",
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="zoom_webhook_events",
        db_index=False,  # the partial index below
    )

    class Meta:
        ordering = ["-received_at"]
        # Every index is written by each webhook's insert, so only those a query needs. The organization
        # is only known once processed: rows are indexed by it from then on, not at insert. A constraint
        # rather than unique=True, which would add a second (LIKE) index on PostgreSQL.
        indexes = [
            models.Index(fields=["state", "received_at"], name="zoomwebhook_state_received"),
            models.Index(
                fields=["organization"], name="zoomwebhook_organization", condition=models.Q(organization__isnull=False)
            ),
        ]
        constraints = [models.UniqueConstraint(fields=["dedup_key"], name="zoomwebhook_dedup_key_unique")]

    def __str__(self):
        return f"{self.event_type} #{self.pk} ({self.get_state_display()})"


class ZoomMeetingDefaults(models.Model):
    """The meeting settings an owner chose in Settings → Zoom; kept across reconnects."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="zoom_meeting_defaults")
    waiting_room = models.BooleanField(default=True, help_text="Students wait until you admit them.")
    join_before_host = models.BooleanField(default=False, help_text="Students may join before you start the meeting.")
    auto_recording_cloud = models.BooleanField(
        default=True,
        help_text="Record every class to the Zoom cloud automatically (needs Cloud Recording on your Zoom plan).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Zoom meeting defaults of {self.organization}"


class MeetingStatus(models.TextChoices):
    CREATING = "creating", "Being created on Zoom"
    READY = "ready", "Ready"
    FAILED = "failed", "Could not be created"
    DELETED_ON_ZOOM = "deleted_on_zoom", "Deleted on Zoom"


class SyncStatus(models.TextChoices):
    IDLE = "idle", "Not run yet"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Stopped with errors"


class MeetingKind(models.TextChoices):
    MEETING = KIND_MEETING, "Zoom meeting"
    WEBINAR = KIND_WEBINAR, "Zoom webinar"


class ZoomHostPlan(models.Model):
    """What a Zoom host's plan allows beyond meetings, as Zoom said (their settings) or showed (a refusal)."""

    zoom_user_id = models.CharField(max_length=64, unique=True)
    webinar = models.BooleanField(
        null=True, blank=True, help_text="Whether the host holds Zoom's Webinar add-on; empty until known."
    )
    checked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Zoom plan of {self.zoom_user_id}: webinar {self.webinar}"


class ZoomSeriesMeeting(models.Model):
    """One recurring Zoom meeting (type 8) for the virtual classes of a series.

    Each class keeps its own `ZoomMeeting` row (so attendance, summaries, recordings and the class page work
    per class as for a single meeting); those rows share this meeting's Zoom ID and each names its occurrence.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="zoom_series_meetings")
    class_series = models.OneToOneField(
        "courses.ClassSeries", on_delete=models.CASCADE, related_name="zoom_series_meeting"
    )
    connection = models.ForeignKey(
        ZoomConnection,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hosted_series_meetings",
        help_text="The Zoom host the recurring meeting was made with.",
    )
    status = models.CharField(max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.CREATING)
    zoom_meeting_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    error = models.TextField(blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)
    create_after = models.DateTimeField(
        null=True, blank=True, help_text="Waits for Zoom's daily limit: created after this time (00:00 UTC)."
    )
    create_claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Recurring Zoom meeting {self.zoom_meeting_id or '(pending)'} of series {self.class_series_id}"

    @property
    def is_ready(self):
        return self.status == MeetingStatus.READY and self.zoom_meeting_id is not None


class ZoomMeeting(models.Model):
    """The Zoom meeting of one class session.

    Meeting metadata (ID, join URL, password) outlives a disconnect, as the guide
    promises; deleting the class deletes this row and its registrant links.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="zoom_meetings")
    class_session = models.OneToOneField("courses.ClassSession", on_delete=models.CASCADE, related_name="zoom_meeting")
    connection = models.ForeignKey(
        ZoomConnection,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hosted_meetings",
        help_text="The Zoom host the meeting was made with: later calls and webhooks go through it.",
    )
    status = models.CharField(max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.CREATING)
    kind = models.CharField(
        max_length=8,
        choices=MeetingKind.choices,
        default=MeetingKind.MEETING,
        help_text="Which of Zoom's APIs serves it; follows conversions made on Zoom.",
    )
    zoom_meeting_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    zoom_uuid = models.CharField(max_length=64, blank=True)
    host_id = models.CharField(max_length=64, blank=True)
    meeting_type = models.PositiveSmallIntegerField(default=2)
    join_url = models.URLField(max_length=1000, blank=True)
    registration_url = models.URLField(max_length=1000, blank=True)
    password = models.CharField(max_length=32, blank=True)
    topic = models.CharField(max_length=200, blank=True)
    start_time = models.DateTimeField(null=True, blank=True)
    duration = models.PositiveIntegerField(null=True, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    registration_enabled = models.BooleanField(default=True)
    error = models.TextField(blank=True, help_text="Why the last Zoom action failed, in plain words.")
    retry_at = models.DateTimeField(null=True, blank=True, help_text="When a rate-limited action will be retried.")
    zoom_changes = models.JSONField(
        default=dict, blank=True, help_text="Fields changed on Zoom's side: {field: {'zoom': value, 'class': value}}."
    )
    sync_status = models.CharField(max_length=16, choices=SyncStatus.choices, default=SyncStatus.IDLE)
    sync_started_at = models.DateTimeField(null=True, blank=True)
    sync_finished_at = models.DateTimeField(null=True, blank=True)
    create_claimed_until = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="A worker is asking Zoom to create this meeting until then."
    )
    create_after = models.DateTimeField(
        null=True, blank=True, help_text="Waits for Zoom's daily limit: created after this time (00:00 UTC)."
    )
    series_meeting = models.ForeignKey(
        ZoomSeriesMeeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="class_meetings"
    )
    occurrence_id = models.CharField(
        max_length=32, blank=True, help_text="The occurrence of the series' recurring meeting this class is."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "zoom_meeting_id"], name="zoommeeting_org_meeting")]

    def __str__(self):
        return f"Zoom meeting {self.zoom_meeting_id or '(pending)'} of {self.class_session_id}"

    @property
    def is_ready(self):
        return self.status == MeetingStatus.READY and self.zoom_meeting_id is not None

    @property
    def is_occurrence(self):
        return bool(self.occurrence_id)

    @property
    def is_webinar(self):
        return self.kind == MeetingKind.WEBINAR

    @property
    def waits_for_daily_limit(self):
        return self.status == MeetingStatus.CREATING and self.create_after is not None

    @property
    def formatted_meeting_id(self):
        digits = str(self.zoom_meeting_id or "")
        if len(digits) == 11:
            return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        if len(digits) == 10:
            return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
        return digits


class RegistrantStatus(models.TextChoices):
    PENDING = "pending", "Waiting for Sync now"
    SYNCING = "syncing", "Being registered on Zoom"
    SYNCED = "synced", "Registered on Zoom"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled on Zoom"


class ZoomSeriesRegistrant(models.Model):
    """A student registered once on a series' recurring meeting (registration_type 1): one link for every class."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="zoom_series_registrants")
    series_meeting = models.ForeignKey(ZoomSeriesMeeting, on_delete=models.CASCADE, related_name="registrants")
    email = models.EmailField(max_length=128, help_text="Lower case: Zoom knows a registrant by email.")
    status = models.CharField(max_length=16, choices=RegistrantStatus.choices, default=RegistrantStatus.PENDING)
    registrant_id = models.CharField(max_length=64, blank=True)
    join_url = models.URLField(max_length=1000, blank=True)
    error = models.TextField(blank=True)
    add_calls_day = models.DateField(null=True, blank=True)
    add_calls = models.PositiveSmallIntegerField(default=0, help_text="Add-registrant calls made on add_calls_day.")
    link_emailed_at = models.DateTimeField(null=True, blank=True, help_text="When the one join link was emailed.")
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["series_meeting", "email"], name="zoomseriesregistrant_one_per_email")
        ]

    def __str__(self):
        return f"Series registrant {self.registrant_id or '(not yet)'} <{self.email}>"


class ZoomRegistrant(models.Model):
    """A registration pre-registered on the class's Zoom meeting, with its unique join link."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="zoom_registrants")
    meeting = models.ForeignKey(ZoomMeeting, on_delete=models.CASCADE, related_name="registrants")
    registration = models.OneToOneField(
        "courses.Registration", on_delete=models.CASCADE, related_name="zoom_registrant"
    )
    series_registrant = models.ForeignKey(
        ZoomSeriesRegistrant, on_delete=models.SET_NULL, null=True, blank=True, related_name="class_registrants"
    )
    status = models.CharField(max_length=16, choices=RegistrantStatus.choices, default=RegistrantStatus.PENDING)
    registrant_id = models.CharField(max_length=64, blank=True)
    join_url = models.URLField(max_length=1000, blank=True)
    error = models.TextField(blank=True)
    add_calls_day = models.DateField(null=True, blank=True)
    add_calls = models.PositiveSmallIntegerField(
        default=0, help_text="Add-registrant calls made on add_calls_day (Zoom allows 3)."
    )
    synced_at = models.DateTimeField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the confirmation email went out."
    )
    link_emailed_at = models.DateTimeField(null=True, blank=True, help_text="When the unique join link was emailed.")
    claimed_until = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="A worker is registering this student on Zoom until then."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["meeting", "status"], name="zoomregistrant_meeting_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "registrant_id"],
                condition=~models.Q(registrant_id=""),
                name="zoomregistrant_unique_id",
            )
        ]

    def __str__(self):
        return f"Zoom registrant {self.registrant_id or '(not yet)'} for registration {self.registration_id}"


class ZoomSummary(models.Model):
    """Our copy of the AI Companion summary of one meeting instance; deleting it on Zoom deletes this copy."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="zoom_summaries")
    meeting = models.ForeignKey(ZoomMeeting, on_delete=models.CASCADE, related_name="summaries")
    meeting_uuid = models.CharField(max_length=64, help_text="Zoom's uuid of the meeting instance summarised.")
    title = models.CharField(max_length=300, blank=True)
    content = models.TextField(blank=True, help_text="Zoom's summary_content, in Markdown.")
    overview = models.TextField(blank=True, help_text="Zoom's older summary_overview, used when there is no content.")
    details = models.JSONField(default=list, blank=True, help_text="Zoom's older summary_details: [{label, summary}].")
    next_steps = models.JSONField(default=list, blank=True)
    doc_url = models.URLField(max_length=1000, blank=True)
    meeting_started_at = models.DateTimeField(null=True, blank=True)
    summary_created_at = models.DateTimeField(null=True, blank=True, help_text="When Zoom made the summary.")
    fetched_at = models.DateTimeField()
    deleted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Deleted on Zoom from CohortStudio: the copy is wiped, the instance remembered.",
    )

    class Meta:
        ordering = ["-summary_created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["meeting", "meeting_uuid"], name="zoomsummary_one_per_instance")]

    def __str__(self):
        return f"AI summary of {self.meeting_uuid} (meeting {self.meeting_id})"


class ZoomRecordingFile(models.Model):
    """A reference to one cloud recording file on Zoom and whether the class may see it; never the media itself."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="zoom_recording_files")
    meeting = models.ForeignKey(ZoomMeeting, on_delete=models.CASCADE, related_name="recording_files")
    meeting_uuid = models.CharField(max_length=64, help_text="Zoom's uuid of the recorded meeting instance.")
    file_id = models.CharField(
        max_length=128, help_text="Zoom's file id (files without one, such as captions, get a stand-in)."
    )
    file_type = models.CharField(max_length=16, blank=True)
    file_extension = models.CharField(max_length=16, blank=True)
    recording_type = models.CharField(max_length=64, blank=True)
    recording_start = models.DateTimeField(null=True, blank=True)
    recording_end = models.DateTimeField(null=True, blank=True)
    file_size = models.BigIntegerField(null=True, blank=True, help_text="Bytes, as Zoom reports them.")
    status = models.CharField(max_length=16, blank=True, help_text="Zoom's processing status (completed, processing).")
    play_url = models.URLField(max_length=1000, blank=True, help_text="Zoom's web player for this file.")
    share_url = models.URLField(
        max_length=1000, blank=True, help_text="Zoom's share link of the instance's recordings."
    )
    passcode_encrypted = models.TextField(blank=True, editable=False, help_text="The share link's passcode, encrypted.")
    shared = models.BooleanField(default=False, help_text="Shown to the class's confirmed students in the portal.")
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    shared_at = models.DateTimeField(null=True, blank=True)
    deleted_on_zoom = models.BooleanField(default=False, help_text="Trashed or deleted on Zoom: hidden everywhere.")
    deleted_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["recording_start", "file_type", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "meeting_uuid", "file_id"], name="zoomrecordingfile_unique_file")
        ]
        indexes = [models.Index(fields=["meeting", "deleted_on_zoom", "shared"], name="zoomrecording_meeting_shared")]

    def __str__(self):
        return f"Zoom recording file {self.file_id} ({self.file_type}) of meeting {self.meeting_id}"

    def passcode(self):
        return crypto.decrypt(self.passcode_encrypted) if self.passcode_encrypted else ""

    def set_passcode(self, passcode):
        self.passcode_encrypted = crypto.encrypt(passcode) if passcode else ""


class ZoomMeetingInstance(models.Model):
    """One run of a meeting (Zoom's instance uuid) and the class it was for: an occurrence's run, or a restart."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="zoom_meeting_instances")
    meeting = models.ForeignKey(ZoomMeeting, on_delete=models.CASCADE, related_name="instances")
    zoom_meeting_id = models.BigIntegerField()
    uuid = models.CharField(max_length=64)
    start_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "zoom_meeting_id", "uuid"], name="zoominstance_unique")
        ]

    def __str__(self):
        return f"Instance {self.uuid} of {self.zoom_meeting_id} (class meeting {self.meeting_id})"


class ZoomHostDailyWrites(models.Model):
    """Meeting creates and updates asked of Zoom for one host on one UTC day (Zoom allows 100)."""

    zoom_user_id = models.CharField(max_length=64)
    day = models.DateField()
    used = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["zoom_user_id", "day"], name="zoomhostdailywrites_unique")]

    def __str__(self):
        return f"{self.used} meeting writes for {self.zoom_user_id} on {self.day}"


class ZoomPoll(models.Model):
    """A poll CohortStudio pushed to a Zoom meeting, and whether the trainer made it an attendance check.

    Keyed by the Zoom meeting (a recurring meeting's polls belong to every class of its series), so its results
    from any run find it. Polls added on Zoom itself have no row: their results are kept but not counted.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="zoom_polls")
    zoom_meeting_id = models.BigIntegerField()
    poll_id = models.CharField(max_length=64)
    title = models.CharField(max_length=255)
    attendance_check = models.BooleanField(
        default=False, help_text="Answering it counts as proof of presence (“Polls answered 5 of 6”)."
    )
    pushed_from = models.ForeignKey(ZoomMeeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "zoom_meeting_id", "poll_id"], name="zoompoll_unique")
        ]

    def __str__(self):
        return f"Poll {self.poll_id} “{self.title}” on {self.zoom_meeting_id}"
