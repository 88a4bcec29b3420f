"""The REST API under /zoomsim/v2/, answering as api.zoom.us/v2 does."""

import datetime
import functools
import json
import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core import signing
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from zoom_simulator import constants, identifiers, representations, selectors, services, validation
from zoom_simulator.exceptions import ApiError
from zoom_simulator.models import Poll

PAGE_TOKEN_SALT = "zoom_simulator.page"


def _error_response(error):
    response = JsonResponse(error.body(), status=error.status)
    for header, value in error.headers.items():
        response[header] = value
    return response


def _fault_response(kind):
    if kind == constants.FAULT_RATE_LIMIT:
        response = JsonResponse(
            {"code": constants.CODE_RATE_LIMITED, "message": constants.MESSAGE_PER_SECOND_LIMIT}, status=429
        )
        response["X-RateLimit-Category"] = "Light"
        response["X-RateLimit-Type"] = "QPS"
        response["X-RateLimit-Limit"] = "30"
        response["X-RateLimit-Remaining"] = "0"
        response["Retry-After"] = "1"
        return response
    if kind == constants.FAULT_TIMEOUT:
        time.sleep(float(getattr(settings, "ZOOM_SIMULATOR_TIMEOUT_SECONDS", constants.TIMEOUT_FAULT_SECONDS)))
        return HttpResponse(status=504)
    return JsonResponse({"code": 500, "message": "Internal Server Error"}, status=500)


def _bearer_token(request):
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _scope_check(grant, accepted_scopes):
    if not set(accepted_scopes) & set(grant.scopes):
        raise ApiError(
            status=401,
            code=constants.CODE_MISSING_SCOPE,
            message=constants.MESSAGE_MISSING_SCOPE.format(scopes=", ".join(accepted_scopes)),
        )


def api_endpoint(scopes_by_method, webinar_scopes_by_method=None):
    """Faults first (Zoom being down beats everything), then the bearer token, then the scope.

    A view serving webinars too is routed with `kind="webinar"` under /webinars and checks their scopes.
    """

    def decorator(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            webinar = kwargs.get("kind") == constants.KIND_WEBINAR
            scopes = webinar_scopes_by_method if webinar else scopes_by_method
            if request.method not in scopes:
                return HttpResponseNotAllowed(list(scopes))
            fault = services.fault_take()
            if fault:
                return _fault_response(fault)
            try:
                grant = selectors.grant_for_access_token(token=_bearer_token(request))
                _scope_check(grant, scopes[request.method])
                if webinar:
                    services.webinar_plan_check(host=grant.user)
                return view(request, grant.user, *args, **kwargs)
            except ApiError as error:
                return _error_response(error)

        return wrapper

    return decorator


def _json_body(request, rule):
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ApiError(status=400, code=constants.CODE_VALIDATION, message=constants.MESSAGE_INVALID_JSON)
    errors = validation.poll_errors(body) if rule is validation.POLL else validation.body_errors(rule, body)
    if errors:
        raise ApiError(status=400, code=constants.CODE_VALIDATION, message=constants.MESSAGE_VALIDATION, errors=errors)
    return body


def _validation_error(field_name, message=validation.MESSAGE_TYPE):
    return ApiError(
        status=400,
        code=constants.CODE_VALIDATION,
        message=constants.MESSAGE_VALIDATION,
        errors=[{"field": field_name, "message": message}],
    )


def _own_user_check(user_ref):
    # A user-level app may only act as "me".
    if user_ref != "me":
        raise ApiError(
            status=401,
            code=constants.CODE_MISSING_SCOPE,
            message=constants.MESSAGE_MISSING_SCOPE.format(scopes="user:read:user:admin, meeting:write:meeting:admin"),
        )


def _page_params(request, *, scope_key):
    """page_size (default 30, at most 300) and the offset carried by next_page_token (valid 15 minutes)."""
    try:
        page_size = int(request.GET.get("page_size", constants.PAGE_SIZE_DEFAULT))
    except ValueError:
        raise _validation_error("page_size") from None
    page_size = min(max(page_size, 1), constants.PAGE_SIZE_MAX)
    token = request.GET.get("next_page_token", "")
    if not token:
        return page_size, 0
    try:
        data = signing.loads(token, salt=PAGE_TOKEN_SALT, max_age=constants.NEXT_PAGE_TOKEN_MAX_AGE_SECONDS)
    except signing.BadSignature:
        raise _validation_error("next_page_token", "The next page token is invalid or expired.") from None
    if data.get("scope") != scope_key:
        raise _validation_error("next_page_token", "The next page token is invalid or expired.")
    return page_size, data["offset"]


def _page(items, *, page_size, offset, scope_key):
    total = len(items)
    next_offset = offset + page_size
    next_token = (
        signing.dumps({"scope": scope_key, "offset": next_offset}, salt=PAGE_TOKEN_SALT, compress=True)
        if next_offset < total
        else ""
    )
    pagination = {
        "page_count": (total + page_size - 1) // page_size,
        "page_size": page_size,
        "total_records": total,
        "next_page_token": next_token,
    }
    return items[offset:next_offset], pagination


def _start_time_parse(value, timezone_name):
    """Zoom's two formats: "...Z" is UTC; no offset is local time in the meeting's timezone."""
    if value.endswith("Z"):
        naive = datetime.datetime.strptime(value, representations.ZOOM_TIME_FORMAT)
        return naive.replace(tzinfo=datetime.UTC)
    naive = datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S")
    return naive.replace(tzinfo=ZoneInfo(timezone_name))


def _meeting_fields(body, *, host, current=None):
    """Validated request fields as service keyword values."""
    timezone_name = body.get("timezone") or (current.timezone if current else host.timezone)
    try:
        ZoneInfo(timezone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _validation_error("timezone", "Invalid timezone.") from None
    fields = {}
    for name in ["topic", "type", "duration", "password", "agenda", "recurrence"]:
        if name in body:
            fields[name] = body[name]
    if "timezone" in body:
        fields["timezone"] = timezone_name
    if body.get("start_time"):
        try:
            fields["start_time"] = _start_time_parse(body["start_time"], timezone_name)
        except ValueError:
            raise _validation_error("start_time") from None
    if "settings" in body:
        fields["settings"] = body["settings"]
    return fields


# Users


@api_endpoint({"GET": constants.SCOPES_USER_READ})
def user_detail(request, user, user_ref):
    _own_user_check(user_ref)
    return JsonResponse(representations.user_representation(user))


# Meetings


@api_endpoint({"GET": constants.SCOPES_USER_SETTINGS_READ})
def user_settings(request, user, user_ref):
    _own_user_check(user_ref)
    return JsonResponse(representations.user_settings_representation(user))


@api_endpoint({"POST": constants.SCOPES_MEETING_CREATE}, {"POST": constants.SCOPES_WEBINAR_CREATE})
def meeting_list_create(request, user, user_ref, kind=constants.KIND_MEETING):
    _own_user_check(user_ref)
    webinar = kind == constants.KIND_WEBINAR
    body = _json_body(request, validation.WEBINAR if webinar else validation.MEETING)
    fields = _meeting_fields(body, host=user)
    default_type = constants.WEBINAR_TYPE_SCHEDULED if webinar else constants.MEETING_TYPE_SCHEDULED
    meeting = services.meeting_create(
        host=user,
        kind=kind,
        topic=fields.get("topic", ""),
        type=fields.get("type", default_type),
        start_time=fields.get("start_time"),
        duration=fields.get("duration", 60),
        timezone_name=fields.get("timezone"),
        password=fields.get("password"),
        default_password=body.get("default_passcode" if webinar else "default_password", True),
        agenda=fields.get("agenda", ""),
        settings_values=fields.get("settings"),
        recurrence=fields.get("recurrence"),
    )
    return JsonResponse(representations.meeting_representation(meeting, status="waiting"), status=201)


@api_endpoint(
    {
        "GET": constants.SCOPES_MEETING_READ,
        "PATCH": constants.SCOPES_MEETING_UPDATE,
        "DELETE": constants.SCOPES_MEETING_DELETE,
    },
    {
        "GET": constants.SCOPES_WEBINAR_READ,
        "PATCH": constants.SCOPES_WEBINAR_UPDATE,
        "DELETE": constants.SCOPES_WEBINAR_DELETE,
    },
)
def meeting_detail(request, user, meeting_ref, kind=constants.KIND_MEETING):
    meeting = selectors.meeting_get_for_host(host=user, meeting_ref=meeting_ref, kind=kind)
    if request.method == "GET":
        status = selectors.meeting_status(meeting=meeting)
        return JsonResponse(representations.meeting_representation(meeting, status=status))
    occurrence_id = request.GET.get("occurrence_id")
    if request.method == "PATCH":
        body = _json_body(request, validation.WEBINAR if meeting.is_webinar else validation.MEETING)
        changes = _meeting_fields(body, host=user, current=meeting)
        if occurrence_id:
            services.occurrence_update(meeting=meeting, occurrence_id=occurrence_id, changes=changes, background=True)
        else:
            services.meeting_update(meeting=meeting, changes=changes, background=True)
        return HttpResponse(status=204)
    if occurrence_id:
        services.occurrence_delete(meeting=meeting, occurrence_id=occurrence_id, background=True)
        return HttpResponse(status=204)
    services.meeting_delete(meeting=meeting, background=True)
    return HttpResponse(status=204)


# Registrants


@api_endpoint(
    {"GET": constants.SCOPES_REGISTRANTS_READ, "POST": constants.SCOPES_REGISTRANT_CREATE},
    {"GET": constants.SCOPES_WEBINAR_REGISTRANTS_READ, "POST": constants.SCOPES_WEBINAR_REGISTRANT_CREATE},
)
def registrant_list_create(request, user, meeting_ref, kind=constants.KIND_MEETING):
    meeting = selectors.meeting_get_for_host(host=user, meeting_ref=meeting_ref, kind=kind)
    if request.method == "POST":
        body = _json_body(request, validation.WEBINAR_REGISTRANT if meeting.is_webinar else validation.REGISTRANT)
        known = {"email", "first_name", "last_name", "auto_approve"}
        registrant = services.registrant_add(
            meeting=meeting,
            email=body["email"],
            first_name=body["first_name"],
            last_name=body.get("last_name", ""),
            extra_fields={key: value for key, value in body.items() if key not in known},
            auto_approve=body.get("auto_approve", False),
        )
        return JsonResponse(representations.registrant_created_representation(registrant), status=201)
    status = request.GET.get("status", constants.REGISTRANT_APPROVED)
    if status not in constants.REGISTRANT_STATUS_FILTERS:
        raise _validation_error("status")
    scope_key = f"registrants:{meeting.meeting_id}:{status}"
    page_size, offset = _page_params(request, scope_key=scope_key)
    registrants = list(meeting.registrants.filter(status=status).select_related("meeting"))
    page, pagination = _page(registrants, page_size=page_size, offset=offset, scope_key=scope_key)
    return JsonResponse(
        {**pagination, "page_number": 1, "registrants": [representations.registrant_representation(r) for r in page]}
    )


@api_endpoint({"POST": constants.SCOPES_BATCH_REGISTRANTS}, {"POST": constants.SCOPES_WEBINAR_BATCH_REGISTRANTS})
def registrant_batch_create(request, user, meeting_ref, kind=constants.KIND_MEETING):
    meeting = selectors.meeting_get_for_host(host=user, meeting_ref=meeting_ref, kind=kind)
    body = _json_body(
        request, validation.WEBINAR_BATCH_REGISTRANTS if meeting.is_webinar else validation.BATCH_REGISTRANTS
    )
    registrants = services.registrants_batch_add(
        meeting=meeting, registrants=body["registrants"], auto_approve=body.get("auto_approve", False)
    )
    shaped = []
    for registrant in registrants:
        item = {
            "email": registrant.email,
            "registrant_id": registrant.registrant_id,
            "participant_pin_code": registrant.participant_pin_code,
        }
        if registrant.status == constants.REGISTRANT_APPROVED:
            item["join_url"] = representations.registrant_join_url(registrant)
        shaped.append(item)
    return JsonResponse({"registrants": shaped}, status=201)


@api_endpoint({"PUT": constants.SCOPES_REGISTRANT_STATUS}, {"PUT": constants.SCOPES_WEBINAR_REGISTRANT_STATUS})
def registrant_status_update(request, user, meeting_ref, kind=constants.KIND_MEETING):
    meeting = selectors.meeting_get_for_host(host=user, meeting_ref=meeting_ref, kind=kind)
    body = _json_body(request, validation.REGISTRANT_STATUS)
    services.registrants_status_update(meeting=meeting, action=body["action"], registrants=body.get("registrants", []))
    return HttpResponse(status=204)


# Polls


@api_endpoint(
    {"GET": constants.SCOPES_POLLS_READ, "POST": constants.SCOPES_POLL_CREATE},
    {"GET": constants.SCOPES_WEBINAR_POLLS_READ, "POST": constants.SCOPES_WEBINAR_POLL_CREATE},
)
def poll_list_create(request, user, meeting_ref, kind=constants.KIND_MEETING):
    meeting = selectors.meeting_get_for_host(host=user, meeting_ref=meeting_ref, kind=kind)
    if request.method == "POST":
        body = _json_body(request, validation.POLL)
        poll = services.poll_create(
            meeting=meeting,
            title=body["title"],
            questions=body["questions"],
            poll_type=body.get("poll_type", 1),
            anonymous=body.get("anonymous", False),
        )
        return JsonResponse(representations.poll_representation(poll), status=201)
    polls = meeting.polls.all()
    if "anonymous" in request.GET:
        polls = polls.filter(anonymous=request.GET["anonymous"].lower() == "true")
    shaped = [representations.poll_representation(poll) for poll in polls]
    return JsonResponse({"total_records": len(shaped), "polls": shaped})


@api_endpoint({"DELETE": constants.SCOPES_POLL_DELETE}, {"DELETE": constants.SCOPES_WEBINAR_POLL_DELETE})
def poll_detail(request, user, meeting_ref, poll_id, kind=constants.KIND_MEETING):
    meeting = selectors.meeting_get_for_host(host=user, meeting_ref=meeting_ref, kind=kind)
    poll = Poll.objects.filter(meeting=meeting, poll_id=poll_id).first()
    if poll is None:
        raise ApiError(status=404, code=constants.CODE_POLL_NOT_FOUND, message=constants.MESSAGE_POLL_NOT_FOUND)
    services.poll_delete(poll=poll)
    return HttpResponse(status=204)


# Summaries, recordings, past participants (by meeting id or instance uuid)


@api_endpoint({"GET": constants.SCOPES_SUMMARY_READ, "DELETE": constants.SCOPES_SUMMARY_DELETE})
def meeting_summary(request, user, meeting_ref):
    instance = selectors.instance_get_for_host(host=user, meeting_ref=meeting_ref)
    summary = getattr(instance, "summary", None)
    # Before AI Companion has finished, Zoom answers as if the meeting did not exist.
    if summary is None:
        raise selectors.meeting_not_found(meeting_ref)
    if summary.trashed_at:
        if request.method == "DELETE":
            raise selectors.meeting_not_found(meeting_ref)
        raise ApiError(status=403, code=constants.CODE_SUMMARY_TRASHED, message=constants.MESSAGE_SUMMARY_TRASHED)
    if request.method == "DELETE":
        services.summary_trash(summary=summary)
        return HttpResponse(status=204)
    return JsonResponse(representations.summary_representation(summary))


@api_endpoint({"GET": constants.SCOPES_RECORDINGS_READ})
def meeting_recordings(request, user, meeting_ref):
    no_recording = ApiError(status=404, code=constants.CODE_NO_RECORDING, message=constants.MESSAGE_NO_RECORDING)
    try:
        instance = selectors.instance_get_for_host(host=user, meeting_ref=meeting_ref)
    except ApiError:
        raise no_recording from None
    recording_files = list(instance.recording_files.filter(trashed_at__isnull=True, deleted_at__isnull=True))
    if not recording_files:
        raise no_recording
    body = representations.recordings_representation(instance, recording_files)
    if request.GET.get("include_fields") == "download_access_token":
        body["download_access_token"] = identifiers.url_token()
    return JsonResponse(body)


@api_endpoint(
    {"GET": constants.SCOPES_PAST_PARTICIPANTS_READ}, {"GET": constants.SCOPES_WEBINAR_PAST_PARTICIPANTS_READ}
)
def past_meeting_participants(request, user, meeting_ref, kind=constants.KIND_MEETING):
    instance = selectors.instance_get_for_host(host=user, meeting_ref=meeting_ref, kind=kind)
    if not user.is_licensed:
        raise ApiError(
            status=400,
            code=constants.CODE_NOT_PAID,
            message=constants.MESSAGE_NOT_PAID.format(account_id=user.account_id),
        )
    scope_key = f"participants:{instance.uuid}"
    page_size, offset = _page_params(request, scope_key=scope_key)
    participants = list(instance.participants.select_related("registrant"))
    page, pagination = _page(participants, page_size=page_size, offset=offset, scope_key=scope_key)
    shaped = [representations.past_participant_representation(participant, instance=instance) for participant in page]
    return JsonResponse({**pagination, "participants": shaped})


@api_endpoint({"GET": constants.SCOPES_POLL_RESULTS_READ}, {"GET": constants.SCOPES_WEBINAR_POLL_RESULTS_READ})
def past_meeting_polls(request, user, meeting_ref, kind=constants.KIND_MEETING):
    instance = selectors.instance_get_for_host(host=user, meeting_ref=meeting_ref, kind=kind)
    responses = instance.poll_responses.select_related("poll", "participant")
    return JsonResponse(representations.past_poll_results_representation(instance, responses))
