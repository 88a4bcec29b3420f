"""Two people booking the same time at the same moment: one gets it, the other is told it was just taken."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from bookings import selectors, services
from bookings.models import Booking
from courses.models import ClassSession
from tests.factories import CourseFactory, MembershipFactory

from .factories import BookingOfferFactory


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("capacity", [1, 2])
def test_two_requests_for_the_last_seat_at_once_give_one_booking(capacity):
    """On PostgreSQL, as the suite always runs: the trainer's offers are locked rows."""
    course = CourseFactory()
    trainer = MembershipFactory(organization=course.organization, role="trainer").user
    offer = BookingOfferFactory(course=course, trainer=trainer, capacity=capacity)
    start = selectors.offer_free_slots(offer=offer)[0]
    if capacity == 2:
        services.booking_create(
            offer=offer, starts_at=start, first_name="First", last_name="", email="first@example.com"
        )
    barrier = threading.Barrier(2)
    outcomes = []

    def book(email):
        try:
            barrier.wait()
            services.booking_create(offer=offer, starts_at=start, first_name="Racer", last_name="", email=email)
            outcomes.append("booked")
        except ValidationError as error:
            outcomes.append(" ".join(error.messages))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(f"racer{n}@example.com",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2 and outcomes.count("booked") == 1
    assert "just taken" in next(outcome for outcome in outcomes if outcome != "booked")
    assert Booking.objects.filter(starts_at=start).count() == capacity
    assert ClassSession.objects.count() == 1
    assert ClassSession.objects.get().registrations.filter(status="confirmed").count() == capacity
