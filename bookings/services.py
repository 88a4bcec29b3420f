"""Publishing bookable sessions and taking, moving and cancelling bookings.

A booked time becomes a class of the offer's course (its own online meeting, with a passcode, under the
trainer's connection), and each booking a registration of that class: the confirmation email with the
personal join link and the .ics, reminders, attendance and recordings are the class's.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from courses import extensions as course_extensions
from courses import services as course_services
from courses.models import DeliveryMode, Registration, RegistrationStatus

from . import selectors
from .models import Booking, BookingOffer, BookingSlot, BookingStatus

OFFER_FIELDS = (
    "course",
    "trainer",
    "title",
    "description",
    "duration_minutes",
    "buffer_minutes",
    "timezone",
    "availability",
    "notice_hours",
    "horizon_days",
    "max_per_student",
    "capacity",
    "is_published",
)


def offer_create(*, organization, **values):
    offer = BookingOffer(organization=organization, **{name: values[name] for name in OFFER_FIELDS if name in values})
    _offer_clean(offer)
    offer.save()
    return offer


def offer_update(*, offer, **values):
    for name in OFFER_FIELDS:
        if name in values:
            setattr(offer, name, values[name])
    _offer_clean(offer)
    offer.save()
    return offer


def _offer_clean(offer):
    offer.full_clean()
    if offer.course.organization_id != offer.organization_id:
        raise ValidationError({"course": "Choose one of your organization's courses."})


def offer_delete(*, offer):
    if selectors.offer_bookings(offer=offer).exists():
        raise ValidationError("This session has upcoming bookings: cancel them first, or unpublish it.")
    offer.delete()


def _trainer_offers_lock(offer):
    """Lock every offer of the trainer, in id order: one trainer's times are taken one booking at a time, so
    two people can't get the same time, nor two offers' overlapping times."""
    locked = list(
        BookingOffer.objects.select_for_update()
        .filter(organization_id=offer.organization_id, trainer_id=offer.trainer_id)
        .select_related("course", "organization", "trainer")
        .order_by("pk")
    )
    return next(item for item in locked if item.pk == offer.pk)


def booking_create(*, offer, starts_at, first_name, last_name, email):
    """Book `starts_at` (one of the offer's free times) for this person, or ValidationError saying why not."""
    first_name, last_name, email = course_services.person_clean(first_name, last_name, email)
    with transaction.atomic():
        offer = _trainer_offers_lock(offer)
        if not offer.is_published:
            raise ValidationError("This session is not open for booking.")
        if starts_at not in selectors.offer_free_slots(offer=offer):
            raise ValidationError("That time was just taken or is no longer offered. Please pick another time.")
        held = selectors.bookings_upcoming_count(offer=offer, email=email)
        if held >= offer.max_per_student:
            raise ValidationError(
                f"{email} already has {held} upcoming {offer.title} session{'s' if held != 1 else ''}, the most "
                "one person may hold. Cancel or reschedule it from the link in its confirmation email."
            )
        slot = BookingSlot.objects.filter(offer=offer, starts_at=starts_at).select_related("class_session").first()
        if slot is None:
            slot = _slot_open(offer, starts_at)
        registration = course_services.registration_create(
            class_session=slot.class_session, first_name=first_name, last_name=last_name, email=email
        )
        booking = Booking.objects.create(
            organization=offer.organization,
            offer=offer,
            slot=slot,
            registration=registration,
            starts_at=starts_at,
            first_name=first_name,
            last_name=last_name,
            email=email,
        )
    return booking


def _slot_open(offer, starts_at):
    trainer_name = offer.trainer.get_full_name() or offer.trainer.email
    class_session = course_services.class_session_create(
        course=offer.course,
        title=f"{offer.title} with {trainer_name}",
        starts_at=starts_at,
        duration_minutes=offer.duration_minutes,
        timezone_name=offer.timezone,
        delivery_mode=DeliveryMode.VIRTUAL,
        location=offer.description[:500],
        capacity=offer.capacity,
        trainer=offer.trainer,
        options={course_extensions.ONLINE_MEETING_CREATE: True},
        register_enrolled=False,
    )
    return BookingSlot.objects.create(
        organization=offer.organization, offer=offer, starts_at=starts_at, class_session=class_session
    )


def booking_cancel(*, booking, by):
    """Cancel a booking (by "student" or "trainer"): its registration is cancelled (the student is emailed),
    and a slot left empty gives its class and its meeting up, which frees the time."""
    if not booking.is_confirmed:
        return booking
    if booking.starts_at <= timezone.now():
        raise ValidationError("This session has already started; it can no longer be cancelled.")
    with transaction.atomic():
        booking.status, booking.cancelled_at, booking.cancelled_by = BookingStatus.CANCELLED, timezone.now(), by
        booking.save(update_fields=["status", "cancelled_at", "cancelled_by"])
        if booking.registration_id:
            course_services.registration_cancel(registration=booking.registration, by=by)
    return booking


def booking_registration_cancelled(*, registration):
    """A booking's registration was cancelled, from any page or the email's link (a registration hook)."""
    booking = Booking.objects.filter(registration_id=registration.pk).select_related("slot").first()
    if booking is None:
        return
    if booking.is_confirmed:
        booking.status, booking.cancelled_at = BookingStatus.CANCELLED, timezone.now()
        booking.save(update_fields=["status", "cancelled_at"])
    if booking.slot_id:
        slot_release(slot_id=booking.slot_id)


def slot_release(*, slot_id):
    """A slot nobody holds any more: delete its class, and with it the meeting on Zoom."""
    with transaction.atomic():
        slot = BookingSlot.objects.select_for_update().filter(pk=slot_id).select_related("class_session").first()
        if slot is None or slot.class_session.has_started:
            return False
        if Registration.objects.filter(class_session=slot.class_session, status=RegistrationStatus.CONFIRMED).exists():
            return False
        course_services.class_session_delete(
            class_session=slot.class_session, options={course_extensions.ONLINE_MEETING_DELETE: True}
        )
    return True


def booking_reschedule(*, booking, starts_at):
    """Move a booking to another free time. A booking alone in its slot moves its class (and its meeting, whose
    link stays the same; the student gets the updated invite); one of a group leaves the group for the new time."""
    if not booking.is_confirmed:
        raise ValidationError("This booking was cancelled.")
    if booking.starts_at <= timezone.now():
        raise ValidationError("This session has already started; it can no longer be moved.")
    if starts_at == booking.starts_at:
        return booking
    with transaction.atomic():
        offer = _trainer_offers_lock(booking.offer)
        slot = BookingSlot.objects.select_related("class_session").filter(pk=booking.slot_id).first()
        alone = (
            slot is not None
            and not offer.is_group
            and not BookingSlot.objects.filter(offer=offer, starts_at=starts_at).exists()
        )
        ignore = [slot.class_session_id] if alone else []
        if starts_at not in selectors.offer_free_slots(offer=offer, ignore_class_ids=ignore):
            raise ValidationError("That time was just taken or is no longer offered. Please pick another time.")
        if alone:
            slot.starts_at = starts_at
            slot.save(update_fields=["starts_at"])
            course_services.class_session_update(class_session=slot.class_session, starts_at=starts_at)
            booking.starts_at = starts_at
            booking.save(update_fields=["starts_at"])
            return booking
        booking_cancel(booking=booking, by="student")
        return booking_create(
            offer=offer,
            starts_at=starts_at,
            first_name=booking.first_name,
            last_name=booking.last_name,
            email=booking.email,
        )
