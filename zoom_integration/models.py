from django.conf import settings
from django.db import models

from orgs.models import Organization

from . import crypto
from .constants import ACCOUNT_TYPES


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
    """The Zoom user an organization connected; that user hosts the organization's meetings."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="zoom_connection")
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
            )
        ]

    def __str__(self):
        return f"Zoom connection of {self.organization} ({self.zoom_email or self.zoom_user_id})"

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
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    zoom_reported_at = models.DateTimeField(null=True, blank=True, help_text="Zoom's deauthorization time.")
    webhook_event = models.ForeignKey("WebhookEvent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

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

    event_type = models.CharField(max_length=100, db_index=True)
    event_ts = models.DateTimeField(null=True, blank=True, help_text="Zoom's event time, when the payload has one.")
    raw_body = models.TextField()
    dedup_key = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the raw body; Zoom's retries repeat it.")
    received_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=16, choices=WebhookState.choices, default=WebhookState.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A worker is processing it (or it waits for a retry) until then; the sweeper leaves it alone till then.",
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="zoom_webhook_events"
    )

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["state", "received_at"], name="zoomwebhook_state_received")]

    def __str__(self):
        return f"{self.event_type} #{self.pk} ({self.get_state_display()})"
