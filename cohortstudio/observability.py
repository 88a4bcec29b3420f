"""Request ids and log context, and a filter that keeps secrets and emails out of every log line."""

import contextvars
import logging
import re
import uuid

from celery.signals import before_task_publish, task_postrun, task_prerun

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


# Task message headers carrying the log context from whoever queued the task to the worker that runs it.
TASK_HEADER_REQUEST_ID = "cohortstudio_request_id"
TASK_HEADER_ORGANIZATION_ID = "cohortstudio_organization_id"
_task_context_tokens = {}


@before_task_publish.connect
def _log_context_into_task(headers=None, **kwargs):
    if headers is not None:
        headers[TASK_HEADER_REQUEST_ID] = request_id_var.get()
        headers[TASK_HEADER_ORGANIZATION_ID] = organization_id_var.get()


@task_prerun.connect
def _log_context_from_task(task_id=None, task=None, **kwargs):
    request = task.request
    if request.is_eager:
        return  # runs inside the caller, whose context is already set
    # A task queued outside any request (beat, a command) is tied to its own id instead.
    queued_by = getattr(request, TASK_HEADER_REQUEST_ID, None)
    request_id = queued_by if queued_by and queued_by != "-" else f"task-{task_id}"
    _task_context_tokens[task_id] = (
        request_id_var.set(request_id),
        organization_id_var.set(getattr(request, TASK_HEADER_ORGANIZATION_ID, None) or "-"),
    )


@task_postrun.connect
def _log_context_after_task(task_id=None, **kwargs):
    tokens = _task_context_tokens.pop(task_id, None)
    if tokens:
        request_id_var.reset(tokens[0])
        organization_id_var.reset(tokens[1])
