"""Everything that changes the simulated Zoom, and the webhooks each change sends.

Functions are keyword-only and named <entity>_<action>. Writes run in one transaction;
webhooks are built inside it and dispatched after it (see `webhooks.py`). Actions that
Zoom announces by webhook return the list of `WebhookRequest`s they dispatched.
"""

import base64
import datetime
import hashlib
import hmac
import random

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from zoom_simulator import constants, identifiers, representations
from zoom_simulator.exceptions import ApiError, OAuthError
from zoom_simulator.models import (
    AuthorizationCode,
    DailyCounter,
    Fault,
    Grant,
    Meeting,
    MeetingInstance,
    Participant,
    Poll,
    PollResponse,
    RecordingFile,
    Registrant,
    SimUser,
    Summary,
    Token,
)
from zoom_simulator.selectors import meeting_latest_ended_instance, meeting_live_instance
from zoom_simulator.webhooks import webhook_build, webhooks_dispatch

# Users and OAuth


def user_get_or_create(*, email, first_name, last_name, account_type=constants.USER_TYPE_LICENSED, account_of=None):
    """A simulated Zoom user; a new one gets its own Zoom account, or joins `account_of`'s (a company account
    whose users each sign in and authorize the app themselves)."""
    email = email.strip().lower()
    user = SimUser.objects.filter(email=email).first()
    if user:
        if (user.first_name, user.last_name, user.account_type) != (first_name, last_name, account_type):
            user.first_name, user.last_name, user.account_type = first_name, last_name, account_type
            user.save(update_fields=["first_name", "last_name", "account_type"])
        return user
    return SimUser.objects.create(
        zoom_user_id=identifiers.zoom_id(),
        account_id=account_of.account_id if account_of else identifiers.zoom_id(),
        account_number=account_of.account_number if account_of else identifiers.account_number(),
        email=email,
        first_name=first_name,
        last_name=last_name,
        account_type=account_type,
        pmi=identifiers.personal_meeting_id(),
    )


def user_webinar_addon_set(*, user, webinar_addon):
    """Give or take Zoom's Webinar add-on (the control room's per-user switch)."""
    user.webinar_addon = webinar_addon
    user.save(update_fields=["webinar_addon"])
    return user


def app_scopes():
    return list(getattr(settings, "ZOOM_SIMULATOR_SCOPES", constants.APP_SCOPES))


def authorization_code_issue(*, user, client_id, redirect_uri, code_challenge="", code_challenge_method=""):
    code = identifiers.url_token()
    AuthorizationCode.objects.create(
        code=code,
        user=user,
        client_id=client_id,
        redirect_uri=redirect_uri,
        code_challenge=code_challenge,
        code_challenge_method=(code_challenge_method or "plain") if code_challenge else "",
        created_at=timezone.now(),
    )
    return code


def client_authenticate(*, client_id, client_secret):
    expected_id, expected_secret = settings.ZOOM_CLIENT_ID, settings.ZOOM_CLIENT_SECRET
    if not (
        hmac.compare_digest(client_id.encode(), expected_id.encode())
        and hmac.compare_digest(client_secret.encode(), expected_secret.encode())
    ):
        raise OAuthError(reason_and_error=constants.OAUTH_INVALID_CLIENT, status=401)


def token_exchange_code(*, client_id, code, redirect_uri, code_verifier=""):
    """The authorization_code grant: single use, 5 minutes, same redirect_uri, PKCE if challenged."""
    with transaction.atomic():
        authorization = (
            AuthorizationCode.objects.select_for_update()
            .select_related("user")
            .filter(code=code, client_id=client_id)
            .first()
        )
        if authorization is None or authorization.used_at:
            raise OAuthError(reason_and_error=constants.OAUTH_INVALID_CODE)
        authorization.used_at = timezone.now()
        authorization.save(update_fields=["used_at"])
        age = (authorization.used_at - authorization.created_at).total_seconds()
        if age > constants.AUTHORIZATION_CODE_LIFETIME_SECONDS:
            raise OAuthError(reason_and_error=constants.OAUTH_EXPIRED_CODE)
        if redirect_uri != authorization.redirect_uri:
            raise OAuthError(reason_and_error=constants.OAUTH_REDIRECT_MISMATCH)
        if authorization.code_challenge and not _pkce_matches(authorization, code_verifier):
            raise OAuthError(reason_and_error=constants.OAUTH_INVALID_VERIFIER)
        return grant_issue(user=authorization.user, client_id=client_id)


def _pkce_matches(authorization, code_verifier):
    if authorization.code_challenge_method == "S256":
        digest = hashlib.sha256(code_verifier.encode()).digest()
        computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    else:
        computed = code_verifier
    return hmac.compare_digest(computed.encode(), authorization.code_challenge.encode())


def grant_issue(*, user, client_id=None, scopes=None):
    """Authorize the app for `user` and return the token endpoint's JSON.

    Zoom keeps only the newest authorization of a user for an app, so earlier grants
    (and their tokens) stop working.
    """
    client_id = client_id or settings.ZOOM_CLIENT_ID
    now = timezone.now()
    with transaction.atomic():
        Grant.objects.filter(user=user, client_id=client_id, revoked_at__isnull=True).update(revoked_at=now)
        grant = Grant.objects.create(user=user, client_id=client_id, scopes=scopes or app_scopes())
        return _token_pair_issue(grant=grant)


def _token_lifetime():
    return int(getattr(settings, "ZOOM_SIMULATOR_TOKEN_LIFETIME", constants.ACCESS_TOKEN_LIFETIME_SECONDS))


def _token_pair_issue(*, grant):
    lifetime = _token_lifetime()
    user = grant.user
    token_claims = {"zoom_user_id": user.zoom_user_id, "account_id": user.account_id, "client_id": grant.client_id}
    access_token = identifiers.oauth_token(**token_claims, token_type=0, lifetime_seconds=lifetime)
    refresh_token = identifiers.oauth_token(**token_claims, token_type=1, lifetime_seconds=15 * 365 * 86400)
    Token.objects.create(
        grant=grant,
        kind=Token.KIND_ACCESS,
        token_hash=identifiers.token_digest(access_token),
        expires_at=timezone.now() + datetime.timedelta(seconds=lifetime),
    )
    Token.objects.create(grant=grant, kind=Token.KIND_REFRESH, token_hash=identifiers.token_digest(refresh_token))
    return {
        "access_token": access_token,
        "token_type": "bearer",
        "refresh_token": refresh_token,
        "expires_in": lifetime,
        "scope": " ".join(grant.scopes),
        "api_url": representations.api_base_url(),
    }


def token_refresh(*, client_id, refresh_token):
    """The refresh_token grant: the refresh token is spent and a new pair issued."""
    with transaction.atomic():
        token = (
            Token.objects.select_for_update()
            .select_related("grant__user")
            .filter(token_hash=identifiers.token_digest(refresh_token), kind=Token.KIND_REFRESH)
            .first()
        )
        if token is None or token.revoked_at or token.grant.revoked_at or token.grant.client_id != client_id:
            raise OAuthError(reason_and_error=constants.OAUTH_INVALID_TOKEN)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        return _token_pair_issue(grant=token.grant)


def token_revoke(*, client_id, token):
    """POST /oauth/revoke: Zoom also uninstalls the app for that user and says so by webhook."""
    stored = (
        Token.objects.select_related("grant__user")
        .filter(token_hash=identifiers.token_digest(token), grant__client_id=client_id)
        .first()
    )
    if stored is None or stored.revoked_at or stored.grant.revoked_at:
        raise OAuthError(reason_and_error=constants.OAUTH_REVOKE_INVALID_TOKEN)
    return app_uninstall(user=stored.grant.user, client_id=client_id, background=True)


def app_uninstall(*, user, client_id=None, background=False):
    """Remove the app for `user`: every grant and token dies and `app_deauthorized` is sent."""
    client_id = client_id or settings.ZOOM_CLIENT_ID
    now = timezone.now()
    with transaction.atomic():
        revoked = Grant.objects.filter(user=user, client_id=client_id, revoked_at__isnull=True).update(revoked_at=now)
        if not revoked:
            return []
        Token.objects.filter(grant__user=user, grant__client_id=client_id, revoked_at__isnull=True).update(
            revoked_at=now
        )
        request = webhook_build(event_body=_deauthorization_event(user=user, client_id=client_id, when=now))
    return webhooks_dispatch(requests_to_send=[request], background=background)


def _deauthorization_event(*, user, client_id, when):
    """Zoom's example shape: no top-level event_ts, a string one inside the payload."""
    deauthorization_time = when.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    signed = f"{user.account_id}:{user.zoom_user_id}:{client_id}:{deauthorization_time}"
    signature = hmac.new(settings.ZOOM_CLIENT_SECRET.encode(), signed.encode(), hashlib.sha256).hexdigest()
    return {
        "event": constants.EVENT_APP_DEAUTHORIZED,
        "payload": {
            "account_id": user.account_id,
            "user_id": user.zoom_user_id,
            "signature": signature,
            "deauthorization_time": deauthorization_time,
            "client_id": client_id,
            "event_ts": when.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S"),
        },
    }


def refresh_token_invalidate(*, user, client_id=None):
    """What a Zoom password change does: refresh tokens die, access tokens run out their hour."""
    client_id = client_id or settings.ZOOM_CLIENT_ID
    return Token.objects.filter(
        grant__user=user, grant__client_id=client_id, kind=Token.KIND_REFRESH, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())


# Limits and faults


def _next_utc_midnight():
    tomorrow = timezone.now().astimezone(datetime.UTC).date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(tomorrow, datetime.time(), tzinfo=datetime.UTC)


def daily_limit_error(*, message, limit, category):
    return ApiError(
        status=429,
        code=constants.CODE_RATE_LIMITED,
        message=message,
        headers={
            "Retry-After": _next_utc_midnight().strftime(representations.ZOOM_TIME_FORMAT),
            "X-RateLimit-Category": category,
            "X-RateLimit-Type": "Daily-limit",
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0",
        },
    )


def daily_counter_take(*, key, limit):
    """Count one request against a per-day limit; False when the limit is already reached."""
    day = timezone.now().astimezone(datetime.UTC).date()
    with transaction.atomic():
        try:
            with transaction.atomic():
                counter, _ = DailyCounter.objects.select_for_update().get_or_create(key=key, day=day)
        except IntegrityError:
            counter = DailyCounter.objects.select_for_update().get(key=key, day=day)
        if counter.count >= limit:
            return False
        DailyCounter.objects.filter(pk=counter.pk).update(count=F("count") + 1)
        return True


def _meeting_write_take(*, host):
    if not daily_counter_take(key=f"meeting-write:{host.zoom_user_id}", limit=constants.MEETING_CREATE_UPDATE_PER_DAY):
        raise daily_limit_error(
            message=constants.MESSAGE_MEETING_DAILY_LIMIT.format(limit=constants.MEETING_CREATE_UPDATE_PER_DAY),
            limit=constants.MEETING_CREATE_UPDATE_PER_DAY,
            category="Light",
        )


def faults_inject(*, kind, count):
    if kind not in constants.FAULT_KINDS:
        raise ValueError(f"Unknown fault kind {kind!r}; use one of {constants.FAULT_KINDS}.")
    if count < 1:
        raise ValueError("The fault count must be at least 1.")
    return Fault.objects.create(kind=kind, remaining=count)


def faults_clear():
    Fault.objects.all().delete()


def fault_take():
    """The kind of the next injected fault, spending one; None when calls should succeed."""
    with transaction.atomic():
        fault = Fault.objects.select_for_update().filter(remaining__gt=0).first()
        if fault is None:
            return None
        if fault.remaining == 1:
            fault.delete()
        else:
            Fault.objects.filter(pk=fault.pk).update(remaining=F("remaining") - 1)
        return fault.kind


# Meetings


def meeting_create(
    *,
    host,
    topic="",
    type=constants.MEETING_TYPE_SCHEDULED,
    start_time=None,
    duration=60,
    timezone_name=None,
    password=None,
    default_password=True,
    agenda="",
    settings_values=None,
    recurrence=None,
    count_against_limit=True,
    kind=constants.KIND_MEETING,
):
    """Schedule a meeting (or webinar) for `host`; `start_time` is an aware datetime (past or None means now)."""
    if kind == constants.KIND_WEBINAR:
        webinar_plan_check(host=host)
    if count_against_limit:
        _meeting_write_take(host=host)
    now = timezone.now()
    settings_values = dict(settings_values or {})
    # Registration needs a Licensed host; a Basic host's meeting simply has none.
    if not host.is_licensed:
        settings_values["approval_type"] = constants.APPROVAL_NO_REGISTRATION
    if password is None:
        password = identifiers.passcode(6) if default_password else ""
    return Meeting.objects.create(
        meeting_id=identifiers.meeting_number(),
        uuid=identifiers.meeting_uuid(),
        host=host,
        kind=kind,
        topic=topic or f"{host.display_name}'s Zoom {'Webinar' if kind == constants.KIND_WEBINAR else 'Meeting'}",
        type=type,
        start_time=start_time if start_time and start_time > now else now,
        duration=duration,
        timezone=timezone_name or host.timezone,
        password=password,
        agenda=agenda,
        settings=settings_values,
        recurrence=recurrence,
        join_token=identifiers.url_token(),
    )


def webinar_plan_check(*, host):
    """A host without Zoom's Webinar add-on is refused every webinar call: 400 code 200 (API-FACTS 9)."""
    if not host.webinar_addon:
        raise ApiError(
            status=400,
            code=constants.CODE_NOT_PAID,
            message=constants.MESSAGE_WEBINAR_PLAN_MISSING.format(user_id=host.zoom_user_id),
        )


# A webinar's lifecycle events are its meeting's, named webinar.* (summaries and recordings keep their names).
WEBINAR_EVENT_NAMES = {
    constants.EVENT_MEETING_STARTED: "webinar.started",
    constants.EVENT_MEETING_ENDED: "webinar.ended",
    constants.EVENT_PARTICIPANT_JOINED: "webinar.participant_joined",
    constants.EVENT_PARTICIPANT_LEFT: "webinar.participant_left",
    constants.EVENT_MEETING_UPDATED: "webinar.updated",
    constants.EVENT_MEETING_DELETED: "webinar.deleted",
}


def event_name_for(meeting, event):
    return WEBINAR_EVENT_NAMES.get(event, event) if meeting.is_webinar else event


def meeting_convert(*, meeting, kind, background=False):
    """Convert a meeting to a webinar or back, as a host can on Zoom: same id, links and registrants."""
    if meeting.kind == kind:
        return []
    if kind == constants.KIND_WEBINAR:
        webinar_plan_check(host=meeting.host)
    event = (
        constants.EVENT_MEETING_CONVERTED_TO_WEBINAR
        if kind == constants.KIND_WEBINAR
        else constants.EVENT_WEBINAR_CONVERTED_TO_MEETING
    )
    with transaction.atomic():
        meeting.kind = kind
        meeting.type = (
            constants.WEBINAR_TYPE_SCHEDULED if kind == constants.KIND_WEBINAR else constants.MEETING_TYPE_SCHEDULED
        )
        meeting.save(update_fields=["kind", "type"])
        host = meeting.host
        request = webhook_build(
            event_body=representations.event_envelope(
                event=event,
                payload={
                    "account_id": host.account_id,
                    "operator": host.email,
                    "operator_id": host.zoom_user_id,
                    "object": representations.meeting_deleted_object(meeting),
                },
            )
        )
    return webhooks_dispatch(requests_to_send=[request], background=background)


MEETING_UPDATABLE_FIELDS = ["topic", "type", "start_time", "duration", "timezone", "password", "agenda", "recurrence"]


def meeting_update(*, meeting, changes, background=False, count_against_limit=True):
    """Apply `changes` (model field names; `settings` merged) and send `meeting.updated`.

    Zoom announces changes made through the API too, with only the changed fields.
    """
    if count_against_limit:
        _meeting_write_take(host=meeting.host)
    changes = dict(changes)
    start_time = changes.get("start_time")
    # A past start_time in an update is ignored.
    if start_time is not None and start_time <= timezone.now():
        changes.pop("start_time")
    new_values, old_values = {}, {}
    with transaction.atomic():
        for field_name in MEETING_UPDATABLE_FIELDS:
            if field_name in changes and changes[field_name] != getattr(meeting, field_name):
                old_values[field_name] = getattr(meeting, field_name)
                new_values[field_name] = changes[field_name]
                setattr(meeting, field_name, changes[field_name])
        changed_settings = {
            key: value for key, value in changes.get("settings", {}).items() if meeting.settings.get(key) != value
        }
        if changed_settings:
            effective = representations.meeting_settings(meeting)
            old_values["settings"] = {key: effective.get(key) for key in changed_settings}
            new_values["settings"] = changed_settings
            meeting.settings = {**meeting.settings, **changed_settings}
        if not new_values:
            return []
        meeting.save()
        request = webhook_build(event_body=_meeting_updated_event(meeting, new_values, old_values))
    return webhooks_dispatch(requests_to_send=[request], background=background)


def _meeting_updated_event(meeting, new_values, old_values):
    def event_values(values):
        shaped = {"id": meeting.meeting_id}
        for field_name, value in values.items():
            if field_name == "start_time":
                value = representations.zoom_time(value)
            shaped[field_name] = value
        return shaped

    host = meeting.host
    return representations.event_envelope(
        event=event_name_for(meeting, constants.EVENT_MEETING_UPDATED),
        payload={
            "account_id": host.account_id,
            "operator": host.email,
            "operator_id": host.zoom_user_id,
            "object": event_values(new_values),
            "old_object": event_values(old_values),
            "time_stamp": representations.epoch_ms(),
        },
    )


def _occurrence_of(meeting, occurrence_id):
    occurrence = next(
        (item for item in representations.meeting_occurrences(meeting) if item["occurrence_id"] == str(occurrence_id)),
        None,
    )
    if occurrence is None:
        raise ApiError(status=400, code=constants.CODE_VALIDATION, message="Invalid occurrence_id.")
    return occurrence


def occurrence_update(*, meeting, occurrence_id, changes, background=False):
    """PATCH ?occurrence_id=: one occurrence's start_time / duration; counts against the host's daily limit."""
    _occurrence_of(meeting, occurrence_id)
    _meeting_write_take(host=meeting.host)
    change = dict((meeting.occurrence_changes or {}).get(str(occurrence_id), {}))
    start_time = changes.get("start_time")
    if start_time is not None and start_time > timezone.now():
        change["start_time"] = representations.zoom_time(start_time)
    if changes.get("duration"):
        change["duration"] = changes["duration"]
    with transaction.atomic():
        meeting.occurrence_changes = {**(meeting.occurrence_changes or {}), str(occurrence_id): change}
        meeting.save(update_fields=["occurrence_changes"])
    return meeting


def occurrence_delete(*, meeting, occurrence_id, background=False):
    """DELETE ?occurrence_id=: that occurrence goes, the others stay; meeting.deleted with operation "single"."""
    occurrence = _occurrence_of(meeting, occurrence_id)
    with transaction.atomic():
        change = {**(meeting.occurrence_changes or {}).get(str(occurrence_id), {}), "deleted": True}
        meeting.occurrence_changes = {**(meeting.occurrence_changes or {}), str(occurrence_id): change}
        meeting.save(update_fields=["occurrence_changes"])
        host = meeting.host
        deleted_object = representations.meeting_deleted_object(meeting)
        deleted_object["occurrences"] = [
            {"occurrence_id": occurrence["occurrence_id"], "start_time": occurrence["start_time"]}
        ]
        request = webhook_build(
            event_body=representations.event_envelope(
                event=constants.EVENT_MEETING_DELETED,
                payload={
                    "account_id": host.account_id,
                    "operator": host.email,
                    "operator_id": host.zoom_user_id,
                    "operation": "single",
                    "object": deleted_object,
                },
            )
        )
    return webhooks_dispatch(requests_to_send=[request], background=background)


def occurrence_start(*, meeting, occurrence_id):
    """Run one occurrence (control page): an instance with its own uuid, started at the occurrence's time."""
    occurrence = _occurrence_of(meeting, occurrence_id)
    started = datetime.datetime.strptime(occurrence["start_time"], representations.ZOOM_TIME_FORMAT)
    return meeting_start(meeting=meeting, at=started.replace(tzinfo=datetime.UTC))


def meeting_delete(*, meeting, background=False):
    with transaction.atomic():
        meeting.deleted_at = timezone.now()
        meeting.save(update_fields=["deleted_at"])
        host = meeting.host
        request = webhook_build(
            event_body=representations.event_envelope(
                event=event_name_for(meeting, constants.EVENT_MEETING_DELETED),
                payload={
                    "account_id": host.account_id,
                    "operator": host.email,
                    "operator_id": host.zoom_user_id,
                    "operation": "all",
                    "object": representations.meeting_deleted_object(meeting),
                },
            )
        )
    return webhooks_dispatch(requests_to_send=[request], background=background)


# Registrants


def _registration_check(meeting):
    if not meeting.registration_enabled:
        raise ApiError(
            status=400,
            code=constants.CODE_REGISTRATION_DISABLED,
            message=constants.MESSAGE_REGISTRATION_DISABLED.format(meeting_id=meeting.meeting_id),
        )
    if meeting.type == constants.MEETING_TYPE_SCHEDULED and meeting_latest_ended_instance(meeting=meeting):
        raise ApiError(status=400, code=constants.CODE_MEETING_OVER, message=constants.MESSAGE_MEETING_OVER)


def _registrant_add_take(*, meeting, email):
    key = f"registrant-add:{meeting.meeting_id}:{email}"
    if not daily_counter_take(key=key, limit=constants.REGISTRANT_ADDS_PER_DAY):
        raise daily_limit_error(
            message=constants.MESSAGE_REGISTRANT_DAILY_LIMIT.format(
                limit=constants.REGISTRANT_ADDS_PER_DAY, email=email
            ),
            limit=constants.REGISTRANT_ADDS_PER_DAY,
            category="Light",
        )


def _registrant_status_for(meeting, auto_approve):
    if meeting.approval_type == constants.APPROVAL_AUTOMATIC or auto_approve:
        return constants.REGISTRANT_APPROVED
    return constants.REGISTRANT_PENDING


def _registrant_save(*, meeting, email, first_name, last_name, extra_fields, auto_approve):
    """Add one registrant; an e-mail already registered gets its existing registration back."""
    existing = Registrant.objects.filter(meeting=meeting, email__iexact=email).first()
    if existing:
        return existing
    if meeting.registrants.count() >= constants.REGISTRANTS_PER_MEETING:
        raise ApiError(status=400, code=constants.CODE_MEETING_FULL, message=constants.MESSAGE_MEETING_FULL)
    return Registrant.objects.create(
        meeting=meeting,
        registrant_id=identifiers.zoom_id(),
        email=email,
        first_name=first_name,
        last_name=last_name,
        extra_fields=extra_fields,
        status=_registrant_status_for(meeting, auto_approve),
        join_token=identifiers.url_token(),
        participant_pin_code=identifiers.pin_code(),
    )


def registrant_add(*, meeting, email, first_name, last_name="", extra_fields=None, auto_approve=False):
    _registration_check(meeting)
    _registrant_add_take(meeting=meeting, email=email.lower())
    with transaction.atomic():
        return _registrant_save(
            meeting=meeting,
            email=email,
            first_name=first_name,
            last_name=last_name,
            extra_fields=extra_fields or {},
            auto_approve=auto_approve,
        )


def registrants_batch_add(*, meeting, registrants, auto_approve=False):
    """Up to 30 registrants of a scheduled meeting (or webinar); each counts against its own daily limit."""
    if meeting.is_webinar and meeting.type != constants.WEBINAR_TYPE_SCHEDULED:
        raise ApiError(status=400, code=constants.CODE_BATCH_TYPE, message=constants.MESSAGE_WEBINAR_BATCH_TYPE)
    if not meeting.is_webinar and meeting.type != constants.MEETING_TYPE_SCHEDULED:
        raise ApiError(status=400, code=constants.CODE_BATCH_TYPE, message=constants.MESSAGE_BATCH_TYPE)
    _registration_check(meeting)
    for registrant in registrants:
        _registrant_add_take(meeting=meeting, email=registrant["email"].lower())
    with transaction.atomic():
        return [
            _registrant_save(
                meeting=meeting,
                email=registrant["email"],
                first_name=registrant["first_name"],
                last_name=registrant.get("last_name", ""),
                extra_fields={},
                auto_approve=auto_approve,
            )
            for registrant in registrants
        ]


def registrants_status_update(*, meeting, action, registrants):
    """approve / cancel / deny the given registrants (by id or e-mail); unknown ones are skipped."""
    status = constants.REGISTRANT_ACTION_STATUS[action]
    ids = {registrant["id"] for registrant in registrants if registrant.get("id")}
    emails = {registrant["email"].lower() for registrant in registrants if registrant.get("email")}
    matched = [
        registrant
        for registrant in meeting.registrants.all()
        if registrant.registrant_id in ids or registrant.email.lower() in emails
    ]
    for registrant in matched:
        key = f"registrant-status:{meeting.meeting_id}:{registrant.email.lower()}"
        if not daily_counter_take(key=key, limit=constants.REGISTRANT_STATUS_UPDATES_PER_DAY):
            raise daily_limit_error(
                message=constants.MESSAGE_REGISTRANT_STATUS_DAILY_LIMIT.format(
                    limit=constants.REGISTRANT_STATUS_UPDATES_PER_DAY, email=registrant.email
                ),
                limit=constants.REGISTRANT_STATUS_UPDATES_PER_DAY,
                category="Medium",
            )
    Registrant.objects.filter(pk__in=[registrant.pk for registrant in matched]).update(status=status)
    return len(matched)


# Polls


def poll_create(*, meeting, title, questions, poll_type=1, anonymous=False):
    return Poll.objects.create(
        meeting=meeting,
        poll_id=identifiers.zoom_id(),
        title=title,
        poll_type=poll_type,
        anonymous=anonymous,
        questions=questions,
    )


def poll_delete(*, poll):
    poll.delete()


def poll_answer(*, participant, poll, answers=None, at=None):
    """A participant in the meeting answers a poll of it (Zoom sends no webhook for this).

    `answers` maps a question's name to the answer chosen; a question left out gets its first answer.
    Answering again replaces the earlier answers, as launching a poll again in Zoom does.
    """
    instance = participant.instance
    if participant.leave_time is not None or instance.ended_at is not None:
        raise ValueError(f"{participant.name} is not in the meeting, so cannot answer a poll.")
    if poll.meeting_id != instance.meeting_id:
        raise ValueError("That poll belongs to another meeting.")
    answers = answers or {}
    chosen = []
    for question in poll.questions:
        offered = question.get("answers") or []
        answer = answers.get(question["name"], offered[0] if offered else "")
        if offered and answer not in offered:
            raise ValueError(f"“{answer}” is not an answer of “{question['name']}”.")
        chosen.append({"question": question["name"], "answer": answer})
    response, _ = PollResponse.objects.update_or_create(
        instance=instance,
        poll=poll,
        participant=participant,
        defaults={"answers": chosen, "answered_at": at or timezone.now()},
    )
    if poll.status == constants.POLL_STATUS_NOT_STARTED:
        poll.status = constants.POLL_STATUS_ENDED
        poll.save(update_fields=["status"])
    return response


# What happens in a meeting


def meeting_start(*, meeting, uuid_style=None, at=None):
    """Start the next instance (optionally under a uuid needing double encoding) and send meeting.started.

    `at` replays a meeting that happened earlier (demo data): the events carry that time.
    """
    with transaction.atomic():
        if meeting_live_instance(meeting=meeting):
            return []
        if uuid_style and uuid_style != constants.UUID_STYLE_PLAIN:
            meeting.uuid = identifiers.meeting_uuid(style=uuid_style)
            meeting.save(update_fields=["uuid"])
        instance = MeetingInstance.objects.create(meeting=meeting, uuid=meeting.uuid, started_at=at or timezone.now())
        event_object = representations.meeting_event_object(instance)
        request = _meeting_event(constants.EVENT_MEETING_STARTED, instance, event_object)
    return webhooks_dispatch(requests_to_send=[request])


def _meeting_event(event, instance, event_object):
    return webhook_build(
        event_body=representations.event_envelope(
            event=event_name_for(instance.meeting, event),
            payload={"account_id": instance.meeting.host.account_id, "object": event_object},
        )
    )


def participant_join(*, meeting, registrant=None, name="", email="", at=None):
    """A registrant (recognised by their link) or an anonymous guest joins; the meeting starts if needed."""
    sent = meeting_start(meeting=meeting, at=at)
    with transaction.atomic():
        instance = MeetingInstance.objects.select_for_update().get(pk=meeting_live_instance(meeting=meeting).pk)
        participant_number = instance.next_participant_number
        instance.next_participant_number = F("next_participant_number") + 1
        instance.save(update_fields=["next_participant_number"])
        earlier = instance.participants.filter(registrant=registrant).first() if registrant else None
        participant = Participant.objects.create(
            instance=instance,
            registrant=registrant,
            participant_user_id=str(participant_number),
            # The same person keeps one participant_uuid across rejoins.
            participant_uuid=earlier.participant_uuid if earlier else identifiers.zoom_id(),
            zoom_user_id=(earlier.zoom_user_id if earlier else identifiers.zoom_id()) if registrant else "",
            name=registrant.display_name if registrant else (name or "Guest"),
            email=registrant.email if registrant else email,
            join_time=at or timezone.now(),
        )
        event_object = {
            **representations.meeting_event_object(instance),
            "participant": representations.participant_event_object(participant, joined=True),
        }
        request = _meeting_event(constants.EVENT_PARTICIPANT_JOINED, instance, event_object)
    return sent + webhooks_dispatch(requests_to_send=[request])


def participants_join_registrants(*, meeting):
    """Every approved registrant not already in the meeting joins."""
    sent = meeting_start(meeting=meeting)
    instance = meeting_live_instance(meeting=meeting)
    present = set(
        instance.participants.filter(leave_time__isnull=True, registrant__isnull=False).values_list(
            "registrant_id", flat=True
        )
    )
    for registrant in meeting.registrants.filter(status=constants.REGISTRANT_APPROVED).exclude(pk__in=present):
        sent += participant_join(meeting=meeting, registrant=registrant)
    return sent


def participant_leave(*, participant, reason=None, at=None):
    if participant.leave_time:
        return []
    with transaction.atomic():
        participant.leave_time = at or timezone.now()
        participant.leave_reason = reason or constants.LEAVE_REASON_SELF.format(name=participant.name)
        participant.save(update_fields=["leave_time", "leave_reason"])
        request = _participant_left_request(participant)
    return webhooks_dispatch(requests_to_send=[request])


def _participant_left_request(participant):
    instance = participant.instance
    event_object = {
        **representations.meeting_event_object(instance),
        "participant": representations.participant_event_object(participant, joined=False),
    }
    return _meeting_event(constants.EVENT_PARTICIPANT_LEFT, instance, event_object)


def meeting_end(*, meeting, at=None):
    """End the live instance: everyone still in leaves, then meeting.ended; the next instance gets a new uuid."""
    with transaction.atomic():
        instance = meeting_live_instance(meeting=meeting)
        if instance is None:
            return []
        now = at or timezone.now()
        requests_to_send = []
        for participant in instance.participants.filter(leave_time__isnull=True).select_related("registrant"):
            participant.leave_time = now
            participant.leave_reason = constants.LEAVE_REASON_HOST_ENDED
            participant.save(update_fields=["leave_time", "leave_reason"])
            requests_to_send.append(_participant_left_request(participant))
        instance.ended_at = now
        instance.save(update_fields=["ended_at"])
        meeting.uuid = identifiers.meeting_uuid()
        meeting.save(update_fields=["uuid"])
        event_object = {**representations.meeting_event_object(instance), "end_time": representations.zoom_time(now)}
        requests_to_send.append(_meeting_event(constants.EVENT_MEETING_ENDED, instance, event_object))
    return webhooks_dispatch(requests_to_send=requests_to_send)


def _ended_instance(meeting, instance):
    instance = instance or meeting_latest_ended_instance(meeting=meeting)
    if instance is None or instance.ended_at is None:
        raise ValueError(f"Meeting {meeting.meeting_id} has no ended instance yet; end the meeting first.")
    return instance


def summary_make_ready(*, meeting, instance=None):
    """AI Companion finishes the summary of the last ended instance: meeting.summary_completed."""
    instance = _ended_instance(meeting, instance)
    names = sorted({participant.name for participant in instance.participants.all()}) or [meeting.host.display_name]
    with transaction.atomic():
        Summary.objects.filter(instance=instance).delete()
        summary = Summary.objects.create(
            instance=instance,
            created_at=timezone.now(),
            doc_token=identifiers.zoom_id(),
            **_summary_text(meeting, names),
        )
        host = meeting.host
        request = webhook_build(
            event_body=representations.event_envelope(
                event=constants.EVENT_SUMMARY_COMPLETED,
                payload={"account_id": host.account_id, "object": representations.summary_representation(summary)},
            )
        )
    return webhooks_dispatch(requests_to_send=[request])


def _summary_text(meeting, names):
    attendees = ", ".join(names)
    overview = f'The class "{meeting.topic}" reviewed the week\'s material with {len(names)} participant(s).'
    details = [
        {
            "label": "Review of the previous module",
            "summary": f"{names[0]} summarised the key points of the last session.",
        },
        {
            "label": "Practice questions",
            "summary": "The group worked through exam-style questions and discussed the wrong answers.",
        },
    ]
    next_steps = ["Complete the practice quiz before the next class.", "Read the next chapter of the course handbook."]
    content = (
        "## Key takeaways\n"
        f"- {meeting.topic}: the main concepts were reviewed and practised.\n"
        "- Exam-style questions showed where more practice is needed.\n\n"
        "## Discussed topics\n"
        "### Review of the previous module\n"
        f"- **Details**\n    - Attendees: {attendees}\n"
        "- **Conclusion**\n    - The group is ready for the next module.\n\n"
        "## Action items\n" + "".join(f"- {step}\n" for step in next_steps)
    )
    return {
        "title": f"Meeting summary for {meeting.topic}",
        "overview": overview,
        "details": details,
        "next_steps": next_steps,
        "content": content,
    }


def summary_trash(*, summary):
    """DELETE /meeting_summary: Zoom moves the summary to its Trash."""
    summary.trashed_at = timezone.now()
    summary.save(update_fields=["trashed_at"])


RECORDING_FILE_KINDS = [
    ("shared_screen_with_speaker_view", "MP4", "MP4", 48_000_000),
    ("audio_only", "M4A", "M4A", 9_000_000),
    ("chat_file", "CHAT", "TXT", 2_400),
]


def recordings_make_ready(*, meeting, instance=None):
    """Cloud recording processing finishes for the last ended instance: recording.completed."""
    instance = _ended_instance(meeting, instance)
    with transaction.atomic():
        instance.recording_files.all().delete()
        instance.recording_password = identifiers.passcode(8)
        instance.recording_play_passcode = identifiers.passcode(32)
        instance.recording_share_token = identifiers.url_token()
        instance.save(update_fields=["recording_password", "recording_play_passcode", "recording_share_token"])
        recording_files = [
            RecordingFile.objects.create(
                instance=instance,
                file_id=identifiers.file_id(),
                recording_type=recording_type,
                file_type=file_type,
                file_extension=extension,
                file_size=base_size + random.randint(0, 999_999),
                recording_start=instance.started_at,
                recording_end=instance.ended_at,
                play_token=identifiers.url_token(),
            )
            for recording_type, file_type, extension, base_size in RECORDING_FILE_KINDS
        ]
        event_object = {
            **representations.recording_event_object(instance, recording_files),
            "password": instance.recording_password,
            "host_email": meeting.host.email,
            "on_prem": False,
            "recording_play_passcode": instance.recording_play_passcode,
        }
        request = webhook_build(
            event_body=representations.event_envelope(
                event=constants.EVENT_RECORDING_COMPLETED,
                payload={"account_id": meeting.host.account_id, "object": event_object},
                # Lets the receiver download the files for 24 hours.
                extra={"download_token": identifiers.url_token() + identifiers.url_token()},
            )
        )
    return webhooks_dispatch(requests_to_send=[request])


def recordings_remove(*, meeting, instance=None, permanently=False, recording_file=None):
    """Trash (or delete) one file or all files of an instance: recording.trashed / recording.deleted."""
    instance = _ended_instance(meeting, instance)
    with transaction.atomic():
        files = instance.recording_files.filter(trashed_at__isnull=True, deleted_at__isnull=True)
        if recording_file is not None:
            files = files.filter(pk=recording_file.pk)
        files = list(files)
        if not files:
            return []
        now = timezone.now()
        RecordingFile.objects.filter(pk__in=[recording_file.pk for recording_file in files]).update(
            **({"deleted_at": now} if permanently else {"trashed_at": now})
        )
        host = meeting.host
        request = webhook_build(
            event_body=representations.event_envelope(
                event=constants.EVENT_RECORDING_DELETED if permanently else constants.EVENT_RECORDING_TRASHED,
                payload={
                    "account_id": host.account_id,
                    "operator": host.email,
                    "operator_id": host.zoom_user_id,
                    "object": representations.recording_event_object(instance, files),
                },
            )
        )
    return webhooks_dispatch(requests_to_send=[request])
