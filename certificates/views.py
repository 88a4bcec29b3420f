from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from courses.forms import add_validation_errors
from courses.selectors import course_get
from orgs.access import member_required

from . import selectors, services
from .forms import ReasonForm


@member_required
def course_certificates_view(request, course_id):
    course = course_get(organization=request.organization, course_id=course_id)
    certificates = selectors.certificates_of_course(organization=request.organization, course=course)
    return render(request, "certificates/course_certificates.html", {"course": course, "certificates": certificates})


@member_required
def certificate_pdf_view(request, certificate_id):
    certificate = selectors.certificate_get(organization=request.organization, certificate_id=certificate_id)
    return _pdf_response(certificate)


@member_required
def certificate_revoke_view(request, certificate_id):
    certificate = selectors.certificate_get(organization=request.organization, certificate_id=certificate_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.certificate_revoke(certificate=certificate, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, f"Certificate {certificate.number} is revoked.")
            return redirect("certificates:course_certificates", course_id=certificate.enrolment.course_id)
    return render(request, "certificates/certificate_revoke.html", {"certificate": certificate, "form": form})


@member_required
def certificate_reissue_view(request, certificate_id):
    certificate = selectors.certificate_get(organization=request.organization, certificate_id=certificate_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reissued = services.certificate_reissue(
                certificate=certificate,
                by=request.user,
                reason=form.cleaned_data["reason"],
                progress=selectors.certificate_reissue_progress(certificate=certificate),
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(
                request, f"Certificate {reissued.number} replaces {certificate.number}; the student is emailed it."
            )
            return redirect("certificates:course_certificates", course_id=certificate.enrolment.course_id)
    return render(request, "certificates/certificate_reissue.html", {"certificate": certificate, "form": form})


@never_cache
def certificate_verify_view(request, code):
    """Public: anyone holding the code (or the QR code) sees the certificate's facts and whether they hold."""
    certificate = selectors.certificate_by_code(code=code)
    verification = selectors.certificate_verification(certificate=certificate)
    response = render(request, "certificates/verify.html", {"verification": verification})
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_required(login_url="portal:login")
def portal_certificate_pdf_view(request, certificate_id):
    certificate = selectors.certificate_of_student_get(student=request.user, certificate_id=certificate_id)
    return _pdf_response(certificate)


def _pdf_response(certificate):
    response = HttpResponse(selectors.certificate_pdf(certificate=certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.number}.pdf"'
    return response
