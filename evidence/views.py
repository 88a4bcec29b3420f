import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from attendance.selectors import class_session_for_attendance, registration_of_class
from courses.forms import add_validation_errors
from courses.selectors import course_get
from orgs.access import member_required

from . import selectors, services
from .audit import course_audit_pdf, course_audit_rows
from .extensions import certificates_of
from .forms import CompletionRulesForm, PollAnswerAssignForm
from .models import CompletionRules


class _Echo:
    def write(self, value):
        return value


def _rules_form_handle(request, *, course=None):
    organization = request.organization
    current = CompletionRules.objects.filter(organization=organization, course=course).first()
    inherited = selectors.completion_rules_for(course=course) if course and current is None else None
    form = CompletionRulesForm(request.POST or None, instance=current or inherited, course=course)
    if request.method == "POST" and form.is_valid():
        try:
            services.completion_rules_update(
                organization=organization,
                course=course,
                required_classes=form.cleaned_data.get("required_classes"),
                **form.rule_values(),
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            return form, True
    return form, False


@member_required
def course_evidence_view(request, course_id):
    course = course_get(organization=request.organization, course_id=course_id)
    form, saved = _rules_form_handle(request, course=course)
    if saved:
        messages.success(request, "Completion rules saved. Students' standing below follows them.")
        return redirect("evidence:course_evidence", course_id=course.pk)
    classes, progress = selectors.course_progress(course=course)
    certificates = certificates_of([enrolment for enrolment, _ in progress])
    context = {
        "course": course,
        "form": form,
        "own_rules": CompletionRules.objects.filter(course=course).exists(),
        "classes": classes,
        "progress": [(enrolment, item, certificates.get(enrolment.pk)) for enrolment, item in progress],
        "outcomes": selectors.outcomes_of(course=course),
    }
    return render(request, "evidence/course_evidence.html", context)


@member_required
@require_POST
def course_outcomes_refresh_view(request, course_id):
    course = course_get(organization=request.organization, course_id=course_id)
    progress = services.course_outcomes_refresh(course=course)
    completed = sum(1 for _, item in progress if item.status == "completed")
    messages.success(request, f"Standing recomputed: {completed} of {len(progress)} students completed the course.")
    return redirect("evidence:course_evidence", course_id=course.pk)


@member_required
def course_audit_csv_view(request, course_id):
    course = course_get(organization=request.organization, course_id=course_id)
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in course_audit_rows(course=course)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="audit-{slugify(course.title) or course.pk}.csv"'
    return response


@member_required
def course_audit_pdf_view(request, course_id):
    course = course_get(organization=request.organization, course_id=course_id)
    response = HttpResponse(
        course_audit_pdf(course=course, generated_by=request.user.email), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="audit-{slugify(course.title) or course.pk}.pdf"'
    return response


@member_required
def completion_defaults_view(request):
    form, saved = _rules_form_handle(request)
    if saved:
        messages.success(request, "Default completion rules saved. Courses without their own rules follow them.")
        return redirect("evidence:completion_defaults")
    return render(request, "evidence/completion_defaults.html", {"form": form})


# Poll answers on the attendance report -------------------------------------------


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
