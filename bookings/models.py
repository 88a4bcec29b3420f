"""One-to-one (or small group) sessions a student books from a trainer's published availability.

A booked time is a `BookingSlot`: it owns one class of the offer's course, so the booking's meeting, join
link, reminders, attendance and recordings are a class's. A one-to-one offer's slot holds one booking; a
group offer's slot holds up to its capacity, all in one meeting.
"""

import secrets
import zoneinfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.templatetags.tz import do_timezone

from courses.models import ClassSession, Course, Registration, SeatHolder
from orgs.models import Organization
from orgs.timezones import validate_timezone


def _token():
    return secrets.token_urlsafe(24)


class BookingOffer(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="booking_offers")
    course = models.ForeignKey(
        Course,
        on_delete=models.CASCADE,
        related_name="booking_offers",
        help_text="Booked sessions become classes of this course (its evidence and certificates count them).",
    )
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="booking_offers",
        help_text="Who holds the sessions; their Zoom hosts them when they connected one.",
    )
    title = models.CharField(max_length=200, help_text="For example “Oral exam” or “Coaching call”.")
    description = models.TextField(blank=True)
    duration_minutes = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(5), MaxValueValidator(480)], help_text="Length of one session."
    )
    buffer_minutes = models.PositiveIntegerField(
        default=10,
        validators=[MaxValueValidator(240)],
        help_text="Free time kept before and after each session.",
    )
    timezone = models.CharField(
        max_length=64, validators=[validate_timezone], help_text="The zone your availability is in."
    )
    availability = models.JSONField(
        default=list, help_text="Weekly windows: [weekday 0=Monday, 'HH:MM', 'HH:MM'] in the offer's zone."
    )
    notice_hours = models.PositiveIntegerField(
        default=24, validators=[MaxValueValidator(24 * 30)], help_text="How soon before a session it can be booked."
    )
    horizon_days = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(365)], help_text="How far ahead students book."
    )
    max_per_student = models.PositiveIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text="Upcoming sessions one student may hold at once.",
    )
    capacity = models.PositiveIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(300)],
        help_text="1 for one-to-one; more for a group session that shares one meeting.",
    )
    is_published = models.BooleanField(default=True, help_text="Students can book from its public page.")
    public_token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="booking_offer_capacity_positive"),
        ]

    def __str__(self):
        return self.title

    @property
    def zone(self):
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def is_group(self):
        return self.capacity > 1


class BookingSlot(models.Model):
    """A booked time of an offer and the class that holds it (deleted when its last booking is cancelled)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="booking_slots")
    offer = models.ForeignKey(BookingOffer, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField()
    class_session = models.OneToOneField(ClassSession, on_delete=models.CASCADE, related_name="booking_slot")

    class Meta:
        ordering = ["starts_at"]
        constraints = [models.UniqueConstraint("offer", "starts_at", name="booking_slot_one_per_time")]


class BookingStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"


class Booking(SeatHolder, models.Model):
    """One person's booking; kept after cancellation (its slot and class are then gone)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="bookings")
    offer = models.ForeignKey(BookingOffer, on_delete=models.CASCADE, related_name="bookings")
    slot = models.ForeignKey(BookingSlot, on_delete=models.SET_NULL, null=True, blank=True, related_name="bookings")
    registration = models.OneToOneField(
        Registration, on_delete=models.SET_NULL, null=True, blank=True, related_name="booking"
    )
    starts_at = models.DateTimeField()
    first_name = models.CharField(max_length=64)
    last_name = models.CharField(max_length=64, blank=True)
    email = models.EmailField(max_length=128)
    status = models.CharField(max_length=16, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED)
    manage_token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["offer", "status", "starts_at"]),
            models.Index(Lower("email"), "offer", name="booking_by_email"),
        ]

    @property
    def is_confirmed(self):
        return self.status == BookingStatus.CONFIRMED

    @property
    def local_starts_at(self):
        return do_timezone(self.starts_at, self.offer.zone)
