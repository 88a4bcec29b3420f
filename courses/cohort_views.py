"""Pages for cohorts: schedule a series, the course roster and its waitlist, copying a course, public enrolment."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from cohortstudio.ratelimits import PUBLIC_ENROLMENT_LIMIT, RateLimited, email_form_rate_limit
from orgs.access import member_required

from . import cohorts, selectors, services
from .forms import BulkRegistrationForm, ClassSeriesForm, CourseCopyForm, RegistrationForm, add_validation_errors
from .models import Course, Enrolment, RegistrationStatus

ROSTER_PAGE_SIZE = 50


def _flash_form_errors(request, form):
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))


# Series ------------------------------------------------------------------------


@member_required
def class_series_create_view(request, course_id):
    course = selectors.course_get(organization=request.organization, course_id=course_id)
    form = ClassSeriesForm(request.POST or None, organization=request.organization, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            series = cohorts.class_series_create(
                course=course,
                title_pattern=data["title_pattern"],
                rule=form.rule(),
                duration_minutes=data["duration_minutes"],
                delivery_mode=data["delivery_mode"],
                location=data.get("location", ""),
                capacity=data["capacity"],
                **form.teachers_values(),
                one_zoom_meeting=data["one_zoom_meeting"],
                options=form.extension_options(),
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "starts_at" in error.error_dict:
                error = ValidationError({"first_starts_at_local": error.error_dict["starts_at"]})
            add_validation_errors(form, error)
        else:
            count = series.class_sessions.count()
            messages.success(request, f"{count} classes scheduled. Each can be moved, cancelled or edited on its own.")
            return redirect("courses:course_detail", course_id=course.pk)
    return render(request, "courses/series_form.html", {"form": form, "course": course})


# Roster and enrolment (trainer) -------------------------------------------------


@member_required
def course_roster_view(request, course_id):
    course = selectors.course_get(organization=request.organization, course_id=course_id)
    page = Paginator(selectors.enrolment_list(course=course), ROSTER_PAGE_SIZE).get_page(request.GET.get("page"))
    classes, rows = selectors.course_roster(course=course, enrolments=list(page.object_list))
    context = {
        "course": course,
        "page": page,
        "classes": classes,
        "rows": rows,
        "counts": selectors.enrolment_counts(course=course),
        "form": RegistrationForm(),
        "bulk_form": BulkRegistrationForm(),
        "public_url": request.build_absolute_uri(reverse("public_enrol", args=[course.public_token])),
    }
    return render(request, "courses/course_roster.html", context)


@member_required
@require_POST
def enrolment_add_view(request, course_id):
    course = selectors.course_get(organization=request.organization, course_id=course_id)
    form = RegistrationForm(request.POST)
    if not form.is_valid():
        _flash_form_errors(request, form)
        return redirect("courses:course_roster", course_id=course.pk)
    try:
        enrolment = cohorts.enrolment_create(course=course, by="trainer", **form.cleaned_data)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        if enrolment.is_waitlisted:
            messages.warning(request, f"A class of the course is full: {enrolment.full_name} is on the waitlist.")
        else:
            messages.success(request, f"{enrolment.full_name} is enrolled in every upcoming class and was emailed.")
    return redirect("courses:course_roster", course_id=course.pk)


@member_required
def enrolments_bulk_view(request, course_id):
    course = selectors.course_get(organization=request.organization, course_id=course_id)
    form = BulkRegistrationForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = cohorts.enrolments_bulk_create(course=course, text=form.cleaned_data["lines"])
        if result.enrolled:
            messages.success(request, f"{len(result.enrolled)} students enrolled.")
        if result.waitlisted:
            messages.warning(request, f"{len(result.waitlisted)} students are on the waitlist: a class is full.")
        if not result.errors:
            return redirect("courses:course_roster", course_id=course.pk)
        form = BulkRegistrationForm(initial={"lines": "\n".join(line for _, line, _ in result.errors)})
    return render(request, "courses/enrolments_bulk.html", {"course": course, "form": form, "result": result})


@member_required
def enrolment_cancel_view(request, enrolment_id):
    enrolment = selectors.enrolment_get(organization=request.organization, enrolment_id=enrolment_id)
    if request.method == "POST":
        cohorts.enrolment_cancel(enrolment=enrolment, by="trainer")
        what = "enrolment" if enrolment.confirmed_at else "place on the waitlist"
        messages.success(request, f"The {what} of {enrolment.full_name} is cancelled; they were emailed.")
        return redirect("courses:course_roster", course_id=enrolment.course_id)
    return render(request, "courses/enrolment_cancel.html", {"enrolment": enrolment, "by_trainer": True})


@member_required
@require_POST
def enrolment_promote_view(request, enrolment_id):
    enrolment = selectors.enrolment_get(organization=request.organization, enrolment_id=enrolment_id)
    try:
        cohorts.enrolment_promote(enrolment=enrolment)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"{enrolment.full_name} is off the waitlist and enrolled; they were emailed.")
    return redirect("courses:course_roster", course_id=enrolment.course_id)


@member_required
@require_POST
def registration_promote_view(request, registration_id):
    registration = selectors.registration_get(organization=request.organization, registration_id=registration_id)
    try:
        services.registration_promote(registration=registration)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"{registration.full_name} is off the waitlist and registered; they were emailed.")
    return redirect(reverse("courses:class_detail", args=[registration.class_session_id]) + "#waitlist")


# Copying a course ----------------------------------------------------------------


@member_required
def course_copy_view(request, course_id):
    course = selectors.course_get(organization=request.organization, course_id=course_id)
    initial = {
        "title": f"{course.title} (next cohort)",
        "first_starts_on": cohorts.course_copy_default_start(course=course),
    }
    form = CourseCopyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            copy = cohorts.course_copy(course=course, **form.cleaned_data)
        except ValidationError as error:
            if hasattr(error, "error_dict") and "starts_at" in error.error_dict:
                error = ValidationError(
                    {"first_starts_on": "A copied class would start in the past: pick a later date."}
                )
            add_validation_errors(form, error)
        else:
            messages.success(
                request,
                f"“{copy.title}” created with {copy.class_sessions.count()} classes, no students and no Zoom meetings "
                "yet: create meetings from each class, or edit the classes first.",
            )
            return redirect("courses:course_detail", course_id=copy.pk)
    schedule = selectors.class_sessions_of_course(course=course).exclude(status="cancelled").order_by("starts_at")
    return render(request, "courses/course_copy.html", {"form": form, "course": course, "schedule": schedule})


# Public enrolment --------------------------------------------------------------


def public_enrol_view(request, token):
    course = get_object_or_404(Course.objects.select_related("organization"), public_token=token)
    schedule = selectors.course_schedule_upcoming(course=course)
    full = any(class_session.confirmed_count >= class_session.capacity for class_session in schedule)
    closed_reason = None
    if not course.enrolment_open:
        closed_reason = "Enrolment in this course is closed."
    elif not schedule:
        closed_reason = "This course has no upcoming classes to enrol in."
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and closed_reason is None and form.is_valid():
        try:
            email_form_rate_limit(request=request, limit=PUBLIC_ENROLMENT_LIMIT, address=form.cleaned_data["email"])
            enrolment = cohorts.enrolment_create(course=course, waitlist=True, by="student", **form.cleaned_data)
        except RateLimited as limited:
            form.add_error(None, str(limited))
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            position = None
            if enrolment.is_waitlisted:
                position = selectors.enrolment_list(course=course).get(pk=enrolment.pk).waitlist_position
            return render(
                request,
                "courses/public_enrolled.html",
                {"course": course, "enrolment": enrolment, "schedule": schedule, "waitlist_position": position},
            )
    context = {"course": course, "schedule": schedule, "form": form, "closed_reason": closed_reason, "full": full}
    return render(request, "courses/public_enrol.html", context)


def enrolment_cancel_public_view(request, token):
    """Cancel from the link in the enrolment email (the token is the credential)."""
    enrolment = get_object_or_404(Enrolment.objects.select_related("course", "organization"), cancel_token=token)
    if request.method == "POST":
        cohorts.enrolment_cancel(enrolment=enrolment, by="student")
        return render(request, "courses/enrolment_cancelled.html", {"enrolment": enrolment})
    already = enrolment.status == RegistrationStatus.CANCELLED
    return render(request, "courses/enrolment_cancel.html", {"enrolment": enrolment, "already_cancelled": already})
