"""Taking, moving and cancelling bookings: each booked time is a class of its own, freed when cancelled."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from bookings import selectors, services
from bookings.models import Booking, BookingSlot
from courses import services as course_services
from courses.models import ClassSession, Enrolment, RegistrationStatus
from tests.factories import ClassSessionFactory, MembershipFactory

from .factories import BookingOfferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer(course, trainer):
    return BookingOfferFactory(course=course, trainer=trainer)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Call a service; what it leaves for after commit (emails, hooks, releasing a slot) runs as after a real one."""

    def run(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return run


@pytest.fixture
def book(run):
    def book(offer, start, email="ada@example.com", first_name="Ada"):
        return run(
            services.booking_create,
            offer=offer,
            starts_at=start,
            first_name=first_name,
            last_name="Lovelace",
            email=email,
        )

    return book


def test_free_times_respect_notice_horizon_and_the_trainers_other_classes(offer, course, trainer):
    free = selectors.offer_free_slots(offer=offer)
    now = timezone.now()
    assert free and all(now + timedelta(hours=24) <= start <= now + timedelta(days=14) for start in free)
    taught = ClassSessionFactory(course=course, trainer=trainer, starts_at=free[0], duration_minutes=30)
    assert free[0] not in selectors.offer_free_slots(offer=offer)
    # The next start (40 min later) is clear of the class's end plus the 10-minute buffer.
    assert free[1] in selectors.offer_free_slots(offer=offer)
    taught.co_trainers.add(MembershipFactory(organization=offer.organization, role="trainer").user)
    other = BookingOfferFactory(course=course, trainer=taught.co_trainers.get())
    assert free[0] not in selectors.offer_free_slots(offer=other)


def test_a_booking_is_a_class_of_its_own_with_the_booker_registered_and_emailed(offer, course, book):
    Enrolment.objects.create(
        organization=course.organization,
        course=course,
        student=MembershipFactory(organization=course.organization).user,
        email="enrolled@example.com",
        first_name="Enrolled",
    )
    start = selectors.offer_free_slots(offer=offer)[0]
    booking = book(offer, start)
    class_session = booking.slot.class_session
    assert class_session.starts_at == start and class_session.duration_minutes == 30
    assert class_session.trainer == offer.trainer and class_session.is_virtual and class_session.capacity == 1
    # Only the booker: the course's enrolled students are not pulled into someone's oral exam.
    assert [r.email for r in class_session.registrations.all()] == ["ada@example.com"]
    assert booking.registration.status == RegistrationStatus.CONFIRMED
    confirmation = next(message for message in mail.outbox if "ada@example.com" in message.to)
    # The email's link goes to the booking's page (reschedule or cancel), not only to cancelling the seat.
    assert re.search(rf"Reschedule or cancel: \S+/bookings/{booking.manage_token}/", confirmation.body)
    assert start not in selectors.offer_free_slots(offer=offer)


def test_a_taken_time_a_second_booking_and_an_unpublished_offer_are_refused(offer, book):
    start, later = selectors.offer_free_slots(offer=offer)[:2]
    book(offer, start)
    with pytest.raises(ValidationError, match="just taken"):
        book(offer, start, email="grace@example.com")
    with pytest.raises(ValidationError, match="the most one person may hold"):
        book(offer, later, email="ADA@example.com")
    offer.is_published = False
    offer.save()
    with pytest.raises(ValidationError, match="not open for booking"):
        book(offer, later, email="grace@example.com")
    assert Booking.objects.count() == 1


def test_a_time_not_offered_is_refused(offer, book):
    start = selectors.offer_free_slots(offer=offer)[0]
    with pytest.raises(ValidationError, match="no longer offered"):
        book(offer, start + timedelta(minutes=5))


def test_cancelling_deletes_the_class_and_frees_the_time(offer, run, book):
    start = selectors.offer_free_slots(offer=offer)[0]
    booking = book(offer, start)
    class_id = booking.slot.class_session_id
    mail.outbox.clear()
    run(services.booking_cancel, booking=booking, by="student")
    booking.refresh_from_db()
    assert not booking.is_confirmed and booking.cancelled_by == "student" and booking.slot is None
    assert not ClassSession.objects.filter(pk=class_id).exists()
    assert start in selectors.offer_free_slots(offer=offer)
    assert [message.to for message in mail.outbox] == [["ada@example.com"]]
    assert "cancel" in mail.outbox[0].subject.lower()
    again = book(offer, start, email="grace@example.com")
    assert again.slot.class_session_id != class_id


def test_cancelling_the_registration_anywhere_releases_the_booking(offer, run, book):
    start = selectors.offer_free_slots(offer=offer)[0]
    booking = book(offer, start)
    run(course_services.registration_cancel, registration=booking.registration, by="trainer")
    booking.refresh_from_db()
    assert not booking.is_confirmed
    assert not BookingSlot.objects.exists()
    assert start in selectors.offer_free_slots(offer=offer)


def test_rescheduling_alone_moves_the_class_and_emails_the_new_time(offer, run, book):
    start, later = selectors.offer_free_slots(offer=offer)[:2]
    booking = book(offer, start)
    class_id = booking.slot.class_session_id
    mail.outbox.clear()
    moved = run(services.booking_reschedule, booking=booking, starts_at=later)
    assert moved.pk == booking.pk and moved.starts_at == later
    class_session = ClassSession.objects.get(pk=class_id)
    assert class_session.starts_at == later and class_session.calendar_sequence == 1
    assert BookingSlot.objects.get().starts_at == later
    assert start in selectors.offer_free_slots(offer=offer) and later not in selectors.offer_free_slots(offer=offer)
    assert any("ada@example.com" in message.to for message in mail.outbox)


def test_rescheduling_to_a_taken_time_changes_nothing(offer, book):
    start, later = selectors.offer_free_slots(offer=offer)[:2]
    booking = book(offer, start)
    book(offer, later, email="grace@example.com")
    with pytest.raises(ValidationError, match="just taken"):
        services.booking_reschedule(booking=booking, starts_at=later)
    booking.refresh_from_db()
    assert booking.starts_at == start and booking.is_confirmed


def test_group_sessions_share_one_class_until_full(course, trainer, run, book):
    offer = BookingOfferFactory(course=course, trainer=trainer, capacity=2, max_per_student=1)
    start = selectors.offer_free_slots(offer=offer)[0]
    first = book(offer, start)
    assert start in selectors.offer_free_slots(offer=offer)  # one seat left
    second = book(offer, start, email="grace@example.com", first_name="Grace")
    assert first.slot_id == second.slot_id
    assert start not in selectors.offer_free_slots(offer=offer)
    run(services.booking_cancel, booking=first, by="student")
    assert ClassSession.objects.filter(pk=second.slot.class_session_id).exists()  # Grace still meets
    assert start in selectors.offer_free_slots(offer=offer)
    run(services.booking_cancel, booking=second, by="trainer")
    assert not BookingSlot.objects.exists()


def test_a_started_session_can_not_be_cancelled(offer, book):
    start = selectors.offer_free_slots(offer=offer)[0]
    booking = book(offer, start)
    Booking.objects.filter(pk=booking.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
    booking.refresh_from_db()
    with pytest.raises(ValidationError, match="already started"):
        services.booking_cancel(booking=booking, by="student")
