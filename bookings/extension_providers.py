"""What bookings adds to other apps' pages and hooks (registered in `BookingsConfig.ready()`)."""

from django.conf import settings
from django.urls import reverse

from courses import extensions
from courses.extensions import ManageLink, PortalSection
from orgs import extensions as org_extensions

from . import selectors, services
from .models import Booking, BookingStatus


def registration_hook(*, registration, event):
    if event == "cancelled":
        services.booking_registration_cancelled(registration=registration)


def portal_sections(*, request, registrations):
    """On a booked session's card: where to reschedule or cancel it."""
    bookings = Booking.objects.filter(
        registration_id__in=[registration.pk for registration in registrations], status=BookingStatus.CONFIRMED
    ).only("registration_id", "manage_token")
    return {
        booking.registration_id: [
            PortalSection(
                template="bookings/_portal_booking.html",
                context={"manage_url": reverse("bookings:manage", args=[booking.manage_token])},
            )
        ]
        for booking in bookings
    }


def manage_links(*, registrations):
    """In the booker's emails: their booking's page (reschedule or cancel) instead of the bare cancel link."""
    bookings = Booking.objects.filter(
        registration_id__in=[registration.pk for registration in registrations], status=BookingStatus.CONFIRMED
    ).only("registration_id", "manage_token")
    return {
        booking.registration_id: ManageLink(
            label="Reschedule or cancel",
            url=settings.SITE_URL + reverse("bookings:manage", args=[booking.manage_token]),
        )
        for booking in bookings
    }


def portal_home_sections(*, request, registrations, enrolments):
    """Sessions the student can book with the organizations they study with."""
    organizations = {registration.organization_id for registration in registrations} | {
        enrolment.organization_id for enrolment in enrolments
    }
    if not organizations:
        return []
    offers = list(selectors.offers_published(organizations=organizations))
    if not offers:
        return []
    return [PortalSection(template="bookings/_portal_offers.html", context={"offers": offers})]


def register():
    extensions.registration_hooks.register(registration_hook)
    extensions.portal_sections.register(portal_sections)
    extensions.portal_home_sections.register(portal_home_sections)
    extensions.manage_link_providers.register(manage_links)
    if not any(item["key"] == "bookings" for item in org_extensions.main_menu):
        org_extensions.main_menu.append({"key": "bookings", "label": "One-to-one", "url_name": "bookings:offer_list"})
