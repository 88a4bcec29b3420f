"""The trainer's pages, the public booking page and the booker's own page (reschedule, cancel)."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings import selectors, services
from bookings.models import Booking, BookingOffer
from courses.models import ClassSession

from .factories import BookingOfferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer(course, trainer):
    return BookingOfferFactory(course=course, trainer=trainer)


def test_a_trainer_publishes_availability_and_gets_a_booking_page(trainer_client, course, trainer):
    response = trainer_client.post(
        "/one-to-one/new/",
        {
            "title": "Oral exam",
            "description": "Bring your ID.",
            "course": course.pk,
            "trainer": trainer.pk,
            "duration_minutes": 30,
            "buffer_minutes": 10,
            "timezone": "America/New_York",
            "availability_text": "Mon 09:00-12:00\nThu 14:00-16:00",
            "notice_hours": 12,
            "horizon_days": 21,
            "max_per_student": 1,
            "capacity": 1,
            "is_published": "on",
        },
    )
    offer = BookingOffer.objects.get()
    assert response.status_code == 302 and response.url == f"/one-to-one/{offer.pk}/"
    assert offer.availability == [[0, "09:00", "12:00"], [3, "14:00", "16:00"]]
    page = trainer_client.get(response.url).content.decode()
    assert f"/book/{offer.public_token}/" in page and "No upcoming bookings yet" in page
    assert "so booked times get no meeting link yet" in page
    assert "Oral exam" in trainer_client.get("/one-to-one/").content.decode()


def test_bad_availability_is_explained_and_the_form_keeps_what_was_typed(trainer_client, course, trainer):
    response = trainer_client.post(
        "/one-to-one/new/",
        {
            "title": "Coaching",
            "course": course.pk,
            "trainer": trainer.pk,
            "duration_minutes": 30,
            "buffer_minutes": 0,
            "timezone": "Europe/Berlin",
            "availability_text": "Someday 09:00-10:00",
            "notice_hours": 1,
            "horizon_days": 7,
            "max_per_student": 1,
            "capacity": 1,
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Line 1" in page and "Someday 09:00-10:00" in page
    assert not BookingOffer.objects.exists()


def test_a_student_books_from_the_public_page_then_reschedules_and_cancels(
    client, offer, django_capture_on_commit_callbacks
):
    first, second = selectors.offer_free_slots(offer=offer)[:2]
    page = client.get(f"/book/{offer.public_token}/").content.decode()
    assert "(times in Europe/Berlin)" in page and f'value="{first.astimezone(offer.zone).isoformat()}"' in page
    response = client.post(
        f"/book/{offer.public_token}/",
        {"starts_at": first.isoformat(), "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
    )
    booking = Booking.objects.get()
    assert response.status_code == 302 and response.url == f"/bookings/{booking.manage_token}/"
    assert "You're booked" in client.get(response.url).content.decode()

    response = client.post(response.url, {"starts_at": second.isoformat()})
    booking.refresh_from_db()
    assert response.status_code == 302 and booking.starts_at == second
    assert ClassSession.objects.get().starts_at == second

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/bookings/{booking.manage_token}/cancel/")
    booking.refresh_from_db()
    assert response.status_code == 302 and not booking.is_confirmed
    assert not ClassSession.objects.exists()
    assert "is cancelled" in client.get(f"/bookings/{booking.manage_token}/").content.decode()


def test_a_time_taken_meanwhile_is_explained_on_the_page(client, offer):
    start = selectors.offer_free_slots(offer=offer)[0]
    data = {"starts_at": start.isoformat(), "first_name": "Ada", "email": "ada@example.com"}
    client.post(f"/book/{offer.public_token}/", data)
    response = client.post(f"/book/{offer.public_token}/", {**data, "email": "grace@example.com"})
    assert response.status_code == 200
    assert "Pick one of the times offered." in response.content.decode()
    assert Booking.objects.count() == 1


def test_the_trainer_cancels_a_booking_after_confirming(trainer_client, offer):
    start = selectors.offer_free_slots(offer=offer)[0]
    trainer_client.post(
        f"/book/{offer.public_token}/",
        {"starts_at": start.isoformat(), "first_name": "Ada", "email": "ada@example.com"},
    )
    booking = Booking.objects.get()
    confirm = trainer_client.get(f"/one-to-one/bookings/{booking.pk}/cancel/").content.decode()
    assert "Cancel Ada's booking?" in confirm
    booking.refresh_from_db()
    assert booking.is_confirmed
    response = trainer_client.post(f"/one-to-one/bookings/{booking.pk}/cancel/")
    booking.refresh_from_db()
    assert response.status_code == 302 and booking.cancelled_by == "trainer"


def test_an_offer_with_upcoming_bookings_is_not_deleted(trainer_client, offer):
    start = selectors.offer_free_slots(offer=offer)[0]
    trainer_client.post(
        f"/book/{offer.public_token}/",
        {"starts_at": start.isoformat(), "first_name": "Ada", "email": "ada@example.com"},
    )
    response = trainer_client.post(f"/one-to-one/{offer.pk}/delete/", follow=True)
    assert "has upcoming bookings" in response.content.decode()
    assert BookingOffer.objects.filter(pk=offer.pk).exists()


def test_the_portal_offers_booking_and_links_a_booking_to_its_page(client, offer):
    start = selectors.offer_free_slots(offer=offer)[0]
    client.post(
        f"/book/{offer.public_token}/",
        {"starts_at": start.isoformat(), "first_name": "Ada", "email": "ada@example.com"},
    )
    booking = Booking.objects.get()
    client.force_login(booking.registration.student)
    page = client.get("/portal/").content.decode()
    assert "Book a one-to-one session" in page and f"/book/{offer.public_token}/" in page
    assert f"/bookings/{booking.manage_token}/" in page


def test_the_trainers_page_and_the_booking_page_cost_the_same_queries_at_3_and_30_bookings(
    trainer_client, client, course, trainer
):
    offer = BookingOfferFactory(course=course, trainer=trainer, capacity=40, max_per_student=1)
    start = selectors.offer_free_slots(offer=offer)[0]

    def book(count):
        for n in range(Booking.objects.count(), count):
            services.booking_create(
                offer=offer, starts_at=start, first_name=f"Student{n}", last_name="", email=f"s{n}@example.com"
            )

    counts = []
    for size in (3, 30):
        book(size)
        with CaptureQueriesContext(connection) as trainer_page:
            assert trainer_client.get(f"/one-to-one/{offer.pk}/").status_code == 200
        with CaptureQueriesContext(connection) as public_page:
            assert client.get(f"/book/{offer.public_token}/").status_code == 200
        counts.append((len(trainer_page), len(public_page)))
    assert counts[0] == counts[1], counts
