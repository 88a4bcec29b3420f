import secrets

from django.conf import settings
from django.db import models

from courses.models import Enrolment
from orgs.models import Organization


def verification_code_new():
    return secrets.token_urlsafe(16)  # 128 random bits, URL-safe


class CertificateStatus(models.TextChoices):
    VALID = "valid", "Valid"
    REVOKED = "revoked", "Revoked"
    SUPERSEDED = "superseded", "Superseded by a reissue"


class Certificate(models.Model):
    """A signed record that a student completed a course. Kept at least five years: nothing prunes it.

    `facts` is what was signed (its canonical JSON, see `signing.canonical_json`); the other columns are
    how the certificate stands now. One certificate per enrolment is current (valid or revoked); a reissue
    supersedes it, and the superseded one stays on record.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="certificates")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="certificates")
    number = models.CharField(max_length=32, unique=True)
    verification_code = models.CharField(max_length=64, unique=True, default=verification_code_new, editable=False)
    facts = models.JSONField()
    signature = models.CharField(max_length=128)
    signing_key_id = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=CertificateStatus.choices, default=CertificateStatus.VALID)
    issued_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_reason = models.TextField(blank=True)
    replaces = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by")
    reissued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reissue_reason = models.TextField(blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment"],
                condition=~models.Q(status=CertificateStatus.SUPERSEDED),
                name="certificate_one_current_per_enrolment",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=CertificateStatus.REVOKED)
                | (models.Q(revoked_at__isnull=False) & ~models.Q(revoked_reason="")),
                name="certificate_revoked_has_date_and_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(replaces__isnull=True) | ~models.Q(reissue_reason=""),
                name="certificate_reissue_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["organization", "issued_at"])]

    def __str__(self):
        return self.number

    @property
    def is_valid(self):
        return self.status == CertificateStatus.VALID

    @property
    def is_revoked(self):
        return self.status == CertificateStatus.REVOKED

    @property
    def is_superseded(self):
        return self.status == CertificateStatus.SUPERSEDED


class CertificateNumberCounter(models.Model):
    """The last certificate number given out in a year: numbers read CS-<year>-<6 digits>, counted per year."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)
