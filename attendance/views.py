from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from orgs.access import member_required

from . import selectors, services
from .forms import AttendanceMarkForm, ParticipantAssignForm
from .models import OverrideStatus


def _back(request, class_session_id):
    """Where the section was shown (the attendance page or a page including it)."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("attendance:class_attendance", class_id=class_session_id)


def _form_errors(request, form):
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


@member_required
def class_attendance_view(request, class_id):
    class_session = selectors.class_session_for_attendance(organization=request.organization, class_session_id=class_id)
    attendance = selectors.attendance_page_for_class(class_session=class_session, number=request.GET.get("page"))
    context = {
        "class_session": class_session,
        "attendance": attendance,
        "attendance_page": attendance.page,
        "attendance_page_param": "page",
        "attendance_next": request.get_full_path(),
    }
    return render(request, "attendance/class_attendance.html", context)


@member_required
def class_attendance_csv_view(request, class_id):
    class_session = selectors.class_session_for_attendance(organization=request.organization, class_session_id=class_id)
    filename = f"attendance-{slugify(class_session.title) or 'class'}-{class_session.local_starts_at:%Y-%m-%d}.csv"
    response = StreamingHttpResponse(
        selectors.attendance_csv_lines(class_session=class_session), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@member_required
@require_POST
def registration_mark_view(request, registration_id):
    registration = selectors.registration_for_attendance(
        organization=request.organization, registration_id=registration_id
    )
    form = AttendanceMarkForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(request, registration.class_session_id)
    try:
        override = services.attendance_override_set(
            registration=registration,
            status=form.cleaned_data["status"],
            reason=form.cleaned_data["reason"],
            by=request.user,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, f"{registration.full_name}: {message}")
    else:
        if override.status == OverrideStatus.AUTOMATIC:
            messages.success(request, f"{registration.full_name}'s attendance is automatic again.")
        else:
            messages.success(request, f"{registration.full_name} marked {override.get_status_display().lower()}.")
    return _back(request, registration.class_session_id)


@member_required
@require_POST
def participant_assign_view(request, class_id):
    class_session = selectors.class_session_for_attendance(organization=request.organization, class_session_id=class_id)
    form = ParticipantAssignForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(request, class_session.pk)
    participant = selectors.participant_of_class(
        class_session=class_session, participant_id=form.cleaned_data["participant_id"]
    )
    registration = selectors.registration_of_class(
        class_session=class_session, registration_id=form.cleaned_data["registration_id"]
    )
    services.participant_assign(participant=participant, registration=registration, by=request.user)
    messages.success(request, f"{participant} now counts for {registration.full_name}.")
    return _back(request, class_session.pk)
