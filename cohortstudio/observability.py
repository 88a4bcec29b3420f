"""Request ids and log context, and a filter that keeps secrets and emails out of every log line."""

import contextvars
import logging
import re
import uuid

request_id_var = contextvars.ContextVar("request_id", default="-")
organization_id_var = contextvars.ContextVar("organization_id", default="-")
zoom_meeting_id_var = contextvars.ContextVar("zoom_meeting_id", default="-")

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_BEARER = re.compile(r"(?i)(bearer|basic)\s+[\w\-.~+/=]+")
_SECRET_PARAM = re.compile(r"(?i)((?:access|refresh)_token|code_verifier|client_secret|password|code)=([^&\s]+)")
_REQUEST_ID = re.compile(r"^[\w\-]{1,64}$")


def redact(text):
    text = _BEARER.sub(r"\1 [redacted]", text)
    text = _SECRET_PARAM.sub(r"\1=[redacted]", text)
    return _EMAIL.sub("[email]", text)


class ContextFilter(logging.Filter):
    """Adds request_id, organization_id and zoom_meeting_id; redacts the message."""

    def filter(self, record):
        record.request_id = request_id_var.get()
        record.organization_id = organization_id_var.get()
        record.zoom_meeting_id = zoom_meeting_id_var.get()
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class RequestIdMiddleware:
    """Takes the load balancer's X-Request-ID (or makes one) and echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class OrganizationLogContextMiddleware:
    """Runs after the current-organization middleware so log lines carry the org id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        organization = getattr(request, "organization", None)
        token = organization_id_var.set(str(organization.pk) if organization else "-")
        try:
            return self.get_response(request)
        finally:
            organization_id_var.reset(token)
