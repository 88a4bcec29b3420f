import factory

from bookings.models import BookingOffer
from tests.factories import CourseFactory, UserFactory

EVERY_DAY = [[day, "09:00", "12:00"] for day in range(7)]


class BookingOfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BookingOffer

    course = factory.SubFactory(CourseFactory)
    organization = factory.SelfAttribute("course.organization")
    trainer = factory.SubFactory(UserFactory)
    title = "Oral exam"
    duration_minutes = 30
    buffer_minutes = 10
    timezone = "Europe/Berlin"
    availability = factory.LazyFunction(lambda: [list(window) for window in EVERY_DAY])
    notice_hours = 24
    horizon_days = 14
    max_per_student = 1
    capacity = 1
