from datetime import timedelta

from django.db.models import Count, Q
from django.templatetags.tz import do_timezone
from django.utils import timezone

from courses.models import ClassSession, ClassStatus, RegistrationStatus

from .availability import Busy, slot_starts, slots_free
from .models import Booking, BookingOffer, BookingSlot, BookingStatus


def offer_list(*, organization):
    return (
        BookingOffer.objects.filter(organization=organization)
        .select_related("trainer", "course")
        .annotate(
            upcoming=Count(
                "bookings",
                filter=Q(bookings__status=BookingStatus.CONFIRMED, bookings__starts_at__gt=timezone.now()),
            )
        )
        .order_by("title", "pk")
    )


def offers_published(*, organizations):
    return (
        BookingOffer.objects.filter(organization__in=organizations, is_published=True)
        .select_related("trainer", "organization")
        .order_by("organization__name", "title")
    )


def offer_window(*, offer, now=None):
    now = now or timezone.now()
    return now + timedelta(hours=offer.notice_hours), now + timedelta(days=offer.horizon_days)


def offer_free_slots(*, offer, now=None, ignore_class_ids=()):
    """The starts (UTC) a student can book now: the weekly windows minus the trainer's classes and full slots
    (`ignore_class_ids`: a class about to move, whose own time is not in the way)."""
    earliest, latest = offer_window(offer=offer, now=now)
    starts = slot_starts(
        windows=offer.availability,
        zone=offer.zone,
        duration=offer.duration_minutes,
        buffer=offer.buffer_minutes,
        earliest=earliest,
        latest=latest,
    )
    if not starts:
        return []
    classes = (
        ClassSession.objects.filter(
            organization=offer.organization,
            status=ClassStatus.SCHEDULED,
            starts_at__gte=earliest - timedelta(days=1),
            starts_at__lte=latest + timedelta(days=1),
        )
        .filter(Q(trainer=offer.trainer) | Q(co_trainers=offer.trainer))
        .exclude(pk__in=ignore_class_ids)
        .distinct()
        .only("starts_at", "duration_minutes")
    )
    busy = [Busy(starts_at=c.starts_at, ends_at=c.ends_at) for c in classes]
    open_slots = []
    if offer.is_group:
        open_slots = [
            slot.starts_at
            for slot in BookingSlot.objects.filter(offer=offer, starts_at__gte=earliest, starts_at__lte=latest)
            .annotate(
                taken=Count(
                    "class_session__registrations",
                    filter=Q(class_session__registrations__status=RegistrationStatus.CONFIRMED),
                )
            )
            .filter(taken__lt=offer.capacity, class_session__status=ClassStatus.SCHEDULED)
        ]
    return slots_free(
        starts=starts, duration=offer.duration_minutes, buffer=offer.buffer_minutes, busy=busy, open_slots=open_slots
    )


def offer_bookings(*, offer, upcoming=True):
    bookings = Booking.objects.filter(offer=offer).select_related("slot__class_session", "offer")
    if upcoming:
        return bookings.filter(status=BookingStatus.CONFIRMED, starts_at__gt=timezone.now()).order_by("starts_at")
    return bookings.exclude(status=BookingStatus.CONFIRMED, starts_at__gt=timezone.now()).order_by("-starts_at")


def bookings_upcoming_count(*, offer, email):
    return Booking.objects.filter(
        offer=offer, email__iexact=email, status=BookingStatus.CONFIRMED, starts_at__gt=timezone.now()
    ).count()


def slots_by_day(*, offer, starts):
    """[(local date, [local start, ...]), ...] for a page that lists the free times by day."""
    days = {}
    for start in starts:
        local = do_timezone(start, offer.zone)  # marked, so templates show it in the offer's zone
        days.setdefault(local.date(), []).append(local)
    return sorted(days.items())
