from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from cohortstudio.ratelimits import PUBLIC_REGISTRATION_LIMIT, RateLimited, email_form_rate_limit
from courses import extensions as course_extensions
from courses.forms import add_validation_errors
from orgs.access import member_required

from . import selectors, services
from .forms import BookingForm, OfferForm, RescheduleForm
from .models import Booking, BookingOffer

PAGE_SIZE = 25


def _offer_of(request, offer_id):
    return get_object_or_404(
        BookingOffer.objects.select_related("course", "trainer"), pk=offer_id, organization=request.organization
    )


@member_required
def offer_list_view(request):
    page = Paginator(selectors.offer_list(organization=request.organization), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "bookings/offer_list.html", {"page": page})


@member_required
def offer_create_view(request):
    form = OfferForm(request.POST or None, organization=request.organization, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            offer = services.offer_create(organization=request.organization, **form.offer_values())
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, f"“{offer.title}” is ready. Share its booking page with your students.")
            return redirect("bookings:offer_detail", offer_id=offer.pk)
    return render(request, "bookings/offer_form.html", {"form": form, "offer": None})


@member_required
def offer_edit_view(request, offer_id):
    offer = _offer_of(request, offer_id)
    form = OfferForm(request.POST or None, instance=offer, organization=request.organization, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.offer_update(offer=offer, **form.offer_values())
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, "Saved. Bookings already made keep their times.")
            return redirect("bookings:offer_detail", offer_id=offer.pk)
    return render(request, "bookings/offer_form.html", {"form": form, "offer": offer})


@member_required
def offer_detail_view(request, offer_id):
    offer = _offer_of(request, offer_id)
    upcoming = Paginator(selectors.offer_bookings(offer=offer), PAGE_SIZE).get_page(request.GET.get("page"))
    past = selectors.offer_bookings(offer=offer, upcoming=False)[:PAGE_SIZE]
    free = selectors.offer_free_slots(offer=offer)
    context = {
        "offer": offer,
        "upcoming": upcoming,
        "past": past,
        "free_count": len(free),
        "next_free": free[0] if free else None,
        "public_url": request.build_absolute_uri(reverse("bookings:public_book", args=[offer.public_token])),
        "hosting_notes": course_extensions.online_hosting_notes_for(
            organization=request.organization, teacher=offer.trainer
        ),
    }
    return render(request, "bookings/offer_detail.html", context)


@member_required
def offer_delete_view(request, offer_id):
    offer = _offer_of(request, offer_id)
    if request.method == "POST":
        try:
            services.offer_delete(offer=offer)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("bookings:offer_detail", offer_id=offer.pk)
        messages.success(request, f"“{offer.title}” deleted.")
        return redirect("bookings:offer_list")
    return render(request, "bookings/offer_delete.html", {"offer": offer})


@member_required
def booking_cancel_view(request, booking_id):
    booking = get_object_or_404(
        Booking.objects.select_related("offer", "registration"), pk=booking_id, organization=request.organization
    )
    if request.method == "POST":
        try:
            services.booking_cancel(booking=booking, by="trainer")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{booking.full_name}'s booking was cancelled; they were emailed.")
        return redirect("bookings:offer_detail", offer_id=booking.offer_id)
    return render(request, "bookings/booking_cancel.html", {"booking": booking, "by_trainer": True})


# Public pages: the offer's and the booking's tokens are their own credentials. -------------------------


def public_book_view(request, token):
    offer = get_object_or_404(BookingOffer.objects.select_related("organization", "trainer"), public_token=token)
    slots = selectors.offer_free_slots(offer=offer) if offer.is_published else []
    initial = {}
    if request.user.is_authenticated:
        initial = {"first_name": request.user.first_name, "last_name": request.user.last_name}
        initial["email"] = request.user.email
    form = BookingForm(request.POST or None, slots=slots, initial=initial)
    if request.method == "POST" and offer.is_published and form.is_valid():
        try:
            email_form_rate_limit(request=request, limit=PUBLIC_REGISTRATION_LIMIT, address=form.cleaned_data["email"])
            booking = services.booking_create(offer=offer, **form.cleaned_data)
        except RateLimited as limited:
            form.add_error(None, str(limited))
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            return redirect("bookings:manage", token=booking.manage_token)
    context = {
        "offer": offer,
        "form": form,
        "days": selectors.slots_by_day(offer=offer, starts=slots),
        "chosen": request.POST.get("starts_at", ""),
    }
    return render(request, "bookings/public_book.html", context)


def booking_manage_view(request, token):
    booking = get_object_or_404(
        Booking.objects.select_related("offer__organization", "offer__trainer", "slot__class_session"),
        manage_token=token,
    )
    slots = []
    if booking.is_confirmed and booking.starts_at > timezone.now():
        slots = [start for start in selectors.offer_free_slots(offer=booking.offer) if start != booking.starts_at]
    form = RescheduleForm(request.POST or None, slots=slots)
    if request.method == "POST" and form.is_valid():
        try:
            moved = services.booking_reschedule(booking=booking, **form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, "Moved. We emailed you the new time and an updated calendar invite.")
            return redirect("bookings:manage", token=moved.manage_token)
    context = {
        "booking": booking,
        "form": form,
        "days": selectors.slots_by_day(offer=booking.offer, starts=slots),
        "chosen": request.POST.get("starts_at", ""),
    }
    return render(request, "bookings/manage.html", context)


@require_POST
def booking_cancel_public_view(request, token):
    booking = get_object_or_404(Booking.objects.select_related("offer", "registration"), manage_token=token)
    try:
        services.booking_cancel(booking=booking, by="student")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Your booking is cancelled and the time is free again. We emailed you.")
    return redirect("bookings:manage", token=booking.manage_token)
