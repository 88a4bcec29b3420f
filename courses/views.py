from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from cohortstudio.ratelimits import PUBLIC_REGISTRATION_LIMIT, RateLimited, email_form_rate_limit
from orgs.access import member_required, owner_required

from . import extensions, selectors, services
from .forms import BulkRegistrationForm, ClassSessionForm, CourseForm, RegistrationForm, add_validation_errors
from .models import CalendarFeed, ClassSession, Registration, RegistrationStatus

PAGE_SIZE = 25
ROSTER_PAGE_SIZE = 50


def home_view(request):
    if not request.user.is_authenticated:
        return redirect("account_login")
    if request.membership is not None:
        return redirect("courses:course_list")
    if request.user.has_usable_password():
        return redirect("orgs:organization_create")
    return redirect("portal:home")


def privacy_view(request):
    return render(request, "privacy.html")


# Courses -----------------------------------------------------------------


@member_required
def course_list_view(request):
    page = Paginator(selectors.course_list(organization=request.organization), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    upcoming = selectors.class_sessions_upcoming(organization=request.organization, limit=5)
    feed = services.calendar_feed_get_or_create(user=request.user, organization=request.organization)
    feed_url = request.build_absolute_uri(reverse("calendar_feed", args=[feed.token]))
    return render(request, "courses/course_list.html", {"page": page, "upcoming": upcoming, "feed_url": feed_url})


@member_required
def course_create_view(request):
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.course_create(organization=request.organization, **form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, f"Course “{course.title}” created.")
            return redirect("courses:course_detail", course_id=course.pk)
    return render(request, "courses/course_form.html", {"form": form})


@member_required
def course_detail_view(request, course_id):
    course = selectors.course_get(organization=request.organization, course_id=course_id)
    page = Paginator(selectors.class_sessions_of_course(course=course), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "course": course,
        "page": page,
        "enrolment_counts": selectors.enrolment_counts(course=course),
        "course_links": [
            link for provider in extensions.course_links for link in provider(request=request, course=course)
        ],
        "public_enrol_url": request.build_absolute_uri(reverse("public_enrol", args=[course.public_token])),
    }
    return render(request, "courses/course_detail.html", context)


@member_required
def course_edit_view(request, course_id):
    course = selectors.course_get(organization=request.organization, course_id=course_id)
    form = CourseForm(request.POST or None, instance=course)
    if request.method == "POST" and form.is_valid():
        try:
            services.course_update(course=course, **form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, "Course saved.")
            return redirect("courses:course_detail", course_id=course.pk)
    return render(request, "courses/course_form.html", {"form": form, "course": course})


@member_required
def course_delete_view(request, course_id):
    course = selectors.course_get(organization=request.organization, course_id=course_id)
    if request.method == "POST":
        try:
            services.course_delete(course=course)
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect("courses:course_detail", course_id=course.pk)
        messages.success(request, f"Course “{course.title}” deleted.")
        return redirect("courses:course_list")
    return render(request, "courses/course_delete.html", {"course": course})


# Class sessions --------------------------------------------------------------


@member_required
def class_create_view(request, course_id):
    course = selectors.course_get(organization=request.organization, course_id=course_id)
    form = ClassSessionForm(request.POST or None, organization=request.organization, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            values = form.session_values()
            values["timezone_name"] = values.pop("timezone")
            class_session = services.class_session_create(course=course, **values, options=form.extension_options())
        except ValidationError as error:
            add_validation_errors(form, _rename_starts_at(error))
        else:
            messages.success(request, f"Class “{class_session.title}” saved.")
            return redirect("courses:class_detail", class_id=class_session.pk)
    return render(request, "courses/class_form.html", {"form": form, "course": course})


def _rename_starts_at(error):
    if hasattr(error, "error_dict") and "starts_at" in error.error_dict:
        error.error_dict["starts_at_local"] = error.error_dict.pop("starts_at")
    return error


@member_required
def class_detail_view(request, class_id):
    class_session = selectors.class_session_get(organization=request.organization, class_session_id=class_id)
    roster = Paginator(selectors.registration_list(class_session=class_session), ROSTER_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    panels = [
        panel
        for provider in extensions.class_panels
        if (panel := provider(request=request, class_session=class_session)) is not None
    ]
    panels.sort(key=lambda panel: panel.order)
    context = {
        "class_session": class_session,
        "course": class_session.course,
        "roster": roster,
        "panels": panels,
        "waitlist": list(selectors.class_waitlist(class_session=class_session)[:ROSTER_PAGE_SIZE]),
        "registration_form": RegistrationForm(),
        "bulk_form": BulkRegistrationForm(),
        "public_url": request.build_absolute_uri(reverse("public_register", args=[class_session.public_token])),
    }
    return render(request, "courses/class_detail.html", context)


@member_required
def class_edit_view(request, class_id):
    class_session = selectors.class_session_get(organization=request.organization, class_session_id=class_id)
    if class_session.is_cancelled:
        messages.error(request, "This class was cancelled and can no longer be edited.")
        return redirect("courses:class_detail", class_id=class_session.pk)
    form = ClassSessionForm(request.POST or None, organization=request.organization, class_session=class_session)
    if request.method == "POST" and form.is_valid():
        try:
            _, changes = services.class_session_update(
                class_session=class_session, options=form.extension_options(), **form.session_values()
            )
        except ValidationError as error:
            add_validation_errors(form, _rename_starts_at(error))
        else:
            messages.success(request, "Class saved." if changes else "Nothing changed.")
            return redirect("courses:class_detail", class_id=class_session.pk)
    return render(
        request,
        "courses/class_form.html",
        {"form": form, "course": class_session.course, "class_session": class_session},
    )


def _delete_options(class_session):
    options = []
    for provider in extensions.class_delete_options:
        options.extend(provider(class_session=class_session))
    return options


@member_required
def class_cancel_view(request, class_id):
    class_session = selectors.class_session_get(organization=request.organization, class_session_id=class_id)
    options = _delete_options(class_session)
    if request.method == "POST":
        chosen = {option["name"]: request.POST.get(option["name"]) == "on" for option in options}
        services.class_session_cancel(class_session=class_session, options=chosen)
        messages.success(request, "Class cancelled. Registered students were emailed.")
        return redirect("courses:class_detail", class_id=class_session.pk)
    return render(
        request, "courses/class_cancel.html", {"class_session": class_session, "options": options, "action": "cancel"}
    )


@member_required
def class_delete_view(request, class_id):
    class_session = selectors.class_session_get(organization=request.organization, class_session_id=class_id)
    options = _delete_options(class_session)
    if request.method == "POST":
        chosen = {option["name"]: request.POST.get(option["name"]) == "on" for option in options}
        course_id = class_session.course_id
        services.class_session_delete(class_session=class_session, options=chosen)
        messages.success(request, f"Class “{class_session.title}” deleted.")
        return redirect("courses:course_detail", course_id=course_id)
    return render(
        request, "courses/class_cancel.html", {"class_session": class_session, "options": options, "action": "delete"}
    )


# Registrations (trainer) -------------------------------------------------------


@member_required
@require_POST
def registration_add_view(request, class_id):
    class_session = selectors.class_session_get(organization=request.organization, class_session_id=class_id)
    form = RegistrationForm(request.POST)
    if form.is_valid():
        try:
            registration = services.registration_create(class_session=class_session, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, f"{registration.full_name} is registered and was emailed a confirmation.")
            return redirect("courses:class_detail", class_id=class_session.pk)
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return redirect(reverse("courses:class_detail", args=[class_session.pk]) + "#add-student")


@member_required
def registrations_bulk_view(request, class_id):
    class_session = selectors.class_session_get(organization=request.organization, class_session_id=class_id)
    form = BulkRegistrationForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = services.registrations_bulk_create(class_session=class_session, text=form.cleaned_data["lines"])
        if result.created:
            messages.success(request, f"{len(result.created)} students registered.")
        if not result.errors:
            return redirect("courses:class_detail", class_id=class_session.pk)
        failed_lines = "\n".join(line for _, line, _ in result.errors)
        form = BulkRegistrationForm(initial={"lines": failed_lines})
    return render(
        request, "courses/registrations_bulk.html", {"class_session": class_session, "form": form, "result": result}
    )


@member_required
def registration_cancel_view(request, registration_id):
    registration = selectors.registration_get(organization=request.organization, registration_id=registration_id)
    if request.method == "POST":
        waiting = registration.is_waitlisted
        services.registration_cancel(registration=registration, by="trainer")
        if waiting:
            messages.success(request, f"{registration.full_name} is off the waitlist; they were emailed.")
        else:
            messages.success(request, f"Registration of {registration.full_name} cancelled; they were emailed.")
        return redirect("courses:class_detail", class_id=registration.class_session_id)
    return render(request, "courses/registration_cancel.html", {"registration": registration, "by_trainer": True})


# Public pages --------------------------------------------------------------------


def public_register_view(request, token):
    class_session = get_object_or_404(ClassSession.objects.select_related("course", "organization"), public_token=token)
    confirmed = class_session.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
    closed_reason = None
    if class_session.is_cancelled:
        closed_reason = "This class was cancelled."
    elif class_session.has_started:
        closed_reason = "This class has already started, so registration is closed."
    full = confirmed >= class_session.capacity
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and closed_reason is None and form.is_valid():
        try:
            email_form_rate_limit(request=request, limit=PUBLIC_REGISTRATION_LIMIT, address=form.cleaned_data["email"])
            registration = services.registration_create(class_session=class_session, waitlist=True, **form.cleaned_data)
        except RateLimited as limited:
            form.add_error(None, str(limited))
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            return render(
                request,
                "courses/public_registered.html",
                {
                    "class_session": class_session,
                    "registration": registration,
                    "waitlist_position": selectors.waitlist_positions_for_registrations(
                        registrations=[registration]
                    ).get(registration.pk),
                },
            )
    context = {
        "class_session": class_session,
        "form": form,
        "closed_reason": closed_reason,
        "full": full,
        "seats_left": max(class_session.capacity - confirmed, 0),
    }
    return render(request, "courses/public_register.html", context)


def registration_cancel_public_view(request, token):
    """Cancel from the link in the confirmation email (the token is the credential)."""
    registration = get_object_or_404(
        Registration.objects.select_related("class_session__course", "class_session__organization"), cancel_token=token
    )
    if request.method == "POST":
        services.registration_cancel(registration=registration, by="student")
        messages.success(request, "Your registration is cancelled. We've emailed you a confirmation.")
        return render(request, "courses/registration_cancelled.html", {"registration": registration})
    return render(request, "courses/registration_cancel.html", {"registration": registration})


# Student portal --------------------------------------------------------------


@login_required(login_url="portal:login")
def portal_home_view(request):
    registrations = selectors.registrations_for_student(student=request.user)
    confirmed = [registration for registration in registrations if registration.is_confirmed]
    join_info = extensions.join_info_for(confirmed)
    sections = {}
    for provider in extensions.portal_sections:
        for registration_id, items in provider(request=request, registrations=confirmed).items():
            sections.setdefault(registration_id, []).extend(items)
    now = timezone.now()
    positions = selectors.waitlist_positions_for_registrations(registrations=registrations)
    entries = [
        {
            "registration": registration,
            "join_info": join_info.get(registration.pk),
            "sections": sections.get(registration.pk, []),
            "ended": registration.class_session.ends_at <= now,
            "waitlist_position": positions.get(registration.pk),
        }
        for registration in registrations
    ]
    upcoming = [entry for entry in entries if not entry["ended"]]
    past = [entry for entry in reversed(entries) if entry["ended"]]
    feed = services.calendar_feed_get_or_create(user=request.user)
    feed_url = request.build_absolute_uri(reverse("calendar_feed", args=[feed.token]))
    enrolments = selectors.enrolments_for_student(student=request.user)
    enrolment_sections = {}
    for provider in extensions.enrolment_sections:
        for enrolment_id, items in provider(request=request, enrolments=enrolments).items():
            enrolment_sections.setdefault(enrolment_id, []).extend(items)
    for enrolment in enrolments:
        enrolment.portal_sections = enrolment_sections.get(enrolment.pk, [])
    home_sections = [
        section
        for provider in extensions.portal_home_sections
        for section in provider(request=request, registrations=registrations, enrolments=enrolments)
    ]
    context = {
        "upcoming": upcoming,
        "past": past,
        "feed_url": feed_url,
        "enrolments": enrolments,
        "home_sections": home_sections,
    }
    return render(request, "portal/home.html", context)


@login_required(login_url="portal:login")
def portal_registration_cancel_view(request, registration_id):
    registration = get_object_or_404(
        Registration.objects.select_related("class_session__course", "class_session__organization"),
        pk=registration_id,
        student=request.user,
    )
    if request.method == "POST":
        services.registration_cancel(registration=registration, by="student")
        messages.success(request, f"Your registration for “{registration.class_session.title}” is cancelled.")
        return redirect("portal:home")
    return render(request, "courses/registration_cancel.html", {"registration": registration, "from_portal": True})


def portal_login_view(request):
    if request.user.is_authenticated:
        return redirect("portal:home")
    return redirect(reverse("account_request_login_code") + "?next=" + reverse("portal:home"))


# Calendar feeds ------------------------------------------------------------------


@owner_required
def stakeholder_feed_view(request):
    """Owners share a private feed of the organization's sessions with observers; it can be revoked."""
    feed = selectors.stakeholder_feed_of(organization=request.organization)
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.stakeholder_feed_revoke(organization=request.organization)
            messages.success(request, "The stakeholder link is revoked: calendars subscribed to it stop updating.")
        else:
            services.stakeholder_feed_create(organization=request.organization, user=request.user)
            messages.success(
                request, "A new stakeholder link is ready." + (" The previous one no longer works." if feed else "")
            )
        return redirect("courses:stakeholder_feed")
    feed_url = request.build_absolute_uri(reverse("calendar_feed", args=[feed.token])) if feed else None
    return render(request, "courses/stakeholder_feed.html", {"feed": feed, "feed_url": feed_url})


def calendar_feed_view(request, token):
    feed = get_object_or_404(CalendarFeed.objects.select_related("user", "organization"), token=token)
    response = HttpResponse(services.calendar_feed_render(feed=feed), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="cohortstudio.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
