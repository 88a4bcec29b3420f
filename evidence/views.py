"""Evidence actions on the attendance report: who an unmatched poll respondent was."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from attendance.selectors import class_session_for_attendance, registration_of_class
from orgs.access import member_required

from . import selectors, services
from .forms import PollAnswerAssignForm


def _back(request, class_session_id):
    """Where the attendance report was shown (its page, or the Zoom page including it)."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("attendance:class_attendance", class_id=class_session_id)


@member_required
@require_POST
def poll_answer_assign_view(request, class_id):
    class_session = class_session_for_attendance(organization=request.organization, class_session_id=class_id)
    form = PollAnswerAssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the student who answered.")
        return _back(request, class_session.pk)
    answer = selectors.poll_answer_unmatched_of_class(
        class_session=class_session, answer_id=form.cleaned_data["answer_id"]
    )
    registration = registration_of_class(
        class_session=class_session, registration_id=form.cleaned_data["registration_id"]
    )
    try:
        services.poll_answer_assign(answer=answer, registration=registration, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        who = answer.respondent_name or answer.respondent_email or "The respondent"
        messages.success(request, f"{who}'s poll answers now count for {registration.full_name}.")
    return _back(request, class_session.pk)
