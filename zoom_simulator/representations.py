"""JSON shapes of API responses and webhook events, field for field as Zoom documents them."""

import datetime
import time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from zoom_simulator import constants

ZOOM_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

DEFAULT_MEETING_SETTINGS = {
    "host_video": False,
    "participant_video": False,
    "cn_meeting": False,
    "in_meeting": False,
    "join_before_host": False,
    "jbh_time": 0,
    "mute_upon_entry": False,
    "watermark": False,
    "use_pmi": False,
    "approval_type": constants.APPROVAL_NO_REGISTRATION,
    "audio": "both",
    "auto_recording": "none",
    "enforce_login": False,
    "enforce_login_domains": "",
    "alternative_hosts": "",
    "alternative_host_update_polls": False,
    "close_registration": False,
    "show_share_button": False,
    "allow_multiple_devices": False,
    "registrants_confirmation_email": True,
    "waiting_room": False,
    "request_permission_to_unmute_participants": False,
    "registrants_email_notification": True,
    "meeting_authentication": False,
    "encryption_type": "enhanced_encryption",
    "approved_or_denied_countries_or_regions": {"enable": False},
    "breakout_room": {"enable": False},
    "internal_meeting": False,
    "continuous_meeting_chat": {"enable": False, "auto_add_invited_external_users": False},
    "participant_focused_meeting": False,
    "push_change_to_calendar": False,
    "auto_start_meeting_summary": False,
    "auto_start_ai_companion_questions": False,
    "device_testing": False,
    "email_notification": True,
    "host_save_video_order": False,
    "sign_language_interpretation": {"enable": False},
    "email_in_attendee_report": False,
    "focus_mode": False,
    "private_meeting": False,
}


def zoom_time(value):
    return value.astimezone(datetime.UTC).strftime(ZOOM_TIME_FORMAT) if value else ""


def epoch_ms(value=None):
    return int((value.timestamp() if value else time.time()) * 1000)


def simulator_url(path):
    return f"{settings.SITE_URL}/zoomsim/{path}"


def api_base_url():
    """The `api_url` of token responses: Zoom gives its host without /v2."""
    return settings.ZOOM_API_URL.removesuffix("/v2")


# Users


def user_representation(user):
    return {
        "id": user.zoom_user_id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "display_name": user.display_name,
        "email": user.email,
        "type": user.account_type,
        "role_name": "Owner",
        "pmi": user.pmi,
        "use_pmi": False,
        "personal_meeting_url": simulator_url(f"j/{user.pmi}"),
        "timezone": user.timezone,
        "verified": 1,
        "dept": "",
        "created_at": zoom_time(user.created_at),
        "user_created_at": zoom_time(user.created_at),
        "last_login_time": zoom_time(timezone.now()),
        "last_client_version": "6.4.0.10000(mac)",
        "pic_url": "",
        "language": "en-US",
        "phone_number": "",
        "status": "active",
        "role_id": "0",
        "account_id": user.account_id,
        "account_number": user.account_number,
        "cluster": "us06",
        "jid": f"{user.zoom_user_id.lower()}@xmpp.zoom.us",
        "group_ids": [],
        "im_group_ids": [],
        "login_types": [100],
    }


def user_settings_representation(user):
    """GET /users/me/settings, the part CohortStudio reads: `feature.webinar` is the Webinar add-on."""
    feature = {"meeting_capacity": 300, "large_meeting": False, "webinar": user.webinar_addon}
    if user.webinar_addon:
        feature["webinar_capacity"] = constants.WEBINAR_CAPACITY
    return {
        "feature": feature,
        "recording": {"cloud_recording": user.is_licensed, "auto_recording": "none"},
        "in_meeting": {"polling": True, "waiting_room": True},
    }


# Meetings


def meeting_join_url(meeting):
    return simulator_url(f"j/{meeting.meeting_id}?pwd={meeting.join_token}")


def registrant_join_url(registrant):
    meeting = registrant.meeting
    return simulator_url(f"w/{meeting.meeting_id}?tk={registrant.join_token}&pwd={meeting.join_token}")


def meeting_settings(meeting):
    return {**DEFAULT_MEETING_SETTINGS, **meeting.settings}


def _occurrence_starts(meeting):
    """Zoom's expansion of a fixed-time recurrence: the first start's local time kept in the meeting's zone."""
    recurrence = meeting.recurrence
    zone = ZoneInfo(meeting.timezone or "UTC")
    first = meeting.start_time.astimezone(zone)
    interval = max(int(recurrence.get("repeat_interval") or 1), 1)
    count = min(
        int(recurrence.get("end_times") or constants.RECURRENCE_END_TIMES_MAX), constants.RECURRENCE_END_TIMES_MAX
    )
    until = recurrence.get("end_date_time")
    until = datetime.datetime.strptime(until, ZOOM_TIME_FORMAT).replace(tzinfo=datetime.UTC) if until else None
    if recurrence["type"] == 2:
        # weekly_days: 1 Sunday … 7 Saturday; Python's weekday(): Monday 0 … Sunday 6.
        days = {
            (int(day) + 5) % 7 for day in str(recurrence.get("weekly_days") or first.isoweekday() % 7 + 1).split(",")
        }
        week_start = first.date() - datetime.timedelta(days=first.weekday())
        dates = (
            week_start + datetime.timedelta(weeks=week * interval, days=day)
            for week in range(constants.RECURRENCE_END_TIMES_MAX)
            for day in sorted(days)
        )
    else:
        step = {1: 1, 3: 30}[recurrence["type"]] * interval
        dates = (
            first.date() + datetime.timedelta(days=step * index) for index in range(constants.RECURRENCE_END_TIMES_MAX)
        )
    starts = []
    for day in dates:
        if day < first.date():
            continue
        start = datetime.datetime.combine(day, first.time().replace(tzinfo=None), tzinfo=zone).astimezone(datetime.UTC)
        if len(starts) >= count or (until and start > until):
            break
        starts.append(start)
    return starts


def meeting_occurrences(meeting, *, include_deleted=False):
    """Occurrences of a recurring meeting with a fixed time (type 8), with the changes made to single ones."""
    if meeting.type != constants.MEETING_TYPE_RECURRING_FIXED_TIME or not meeting.recurrence:
        return []
    occurrences = []
    for start in _occurrence_starts(meeting):
        occurrence_id = str(epoch_ms(start))
        change = (meeting.occurrence_changes or {}).get(occurrence_id, {})
        if change.get("deleted") and not include_deleted:
            continue
        occurrences.append(
            {
                "occurrence_id": occurrence_id,
                "start_time": change.get("start_time") or zoom_time(start),
                "duration": change.get("duration") or meeting.duration,
                "status": "deleted" if change.get("deleted") else "available",
            }
        )
    return occurrences


def meeting_representation(meeting, *, status):
    representation = {
        "uuid": meeting.uuid,
        "id": meeting.meeting_id,
        "host_id": meeting.host.zoom_user_id,
        "host_email": meeting.host.email,
        "assistant_id": "",
        "topic": meeting.topic,
        "type": meeting.type,
        "status": status,
        "timezone": meeting.timezone,
        "agenda": meeting.agenda,
        "created_at": zoom_time(meeting.created_at),
        "start_url": simulator_url(f"s/{meeting.meeting_id}?zak={meeting.join_token}"),
        "join_url": meeting_join_url(meeting),
        "password": meeting.password,
        "h323_password": meeting.password,
        "pstn_password": meeting.password,
        "encrypted_password": meeting.join_token if meeting.password else "",
        "settings": meeting_settings(meeting),
        "pre_schedule": False,
        "creation_source": "open_api",
    }
    if meeting.type != constants.MEETING_TYPE_RECURRING_NO_FIXED_TIME:
        representation["start_time"] = zoom_time(meeting.start_time)
        representation["duration"] = meeting.duration
    if meeting.registration_enabled:
        representation["registration_url"] = simulator_url(f"meeting/register/{meeting.join_token}")
    if meeting.type == constants.MEETING_TYPE_RECURRING_FIXED_TIME:
        representation["recurrence"] = meeting.recurrence
        representation["occurrences"] = meeting_occurrences(meeting)
    return representation


# Registrants


def registrant_created_representation(registrant):
    meeting = registrant.meeting
    representation = {
        "id": meeting.meeting_id,
        "registrant_id": registrant.registrant_id,
        "topic": meeting.topic,
        "start_time": zoom_time(meeting.start_time),
        "participant_pin_code": registrant.participant_pin_code,
    }
    if registrant.status == constants.REGISTRANT_APPROVED:
        representation["join_url"] = registrant_join_url(registrant)
    occurrences = meeting_occurrences(meeting)
    if occurrences:
        representation["occurrences"] = occurrences
    return representation


def registrant_representation(registrant):
    representation = {
        "id": registrant.registrant_id,
        "email": registrant.email,
        "first_name": registrant.first_name,
        "last_name": registrant.last_name,
        **registrant.extra_fields,
        "status": registrant.status,
        "create_time": zoom_time(registrant.create_time),
        "join_url": registrant_join_url(registrant) if registrant.status == constants.REGISTRANT_APPROVED else "",
        "participant_pin_code": registrant.participant_pin_code,
    }
    return representation


# Polls


def poll_representation(poll):
    return {
        "id": poll.poll_id,
        "status": poll.status,
        "anonymous": poll.anonymous,
        "poll_type": poll.poll_type,
        "questions": poll.questions,
        "title": poll.title,
    }


def past_poll_results_representation(instance, responses):
    """GET /past_meetings/{meetingId}/polls: one item per respondent, their answers across the instance's polls."""
    respondents = {}
    for response in responses:
        participant, poll = response.participant, response.poll
        anonymous = poll.anonymous
        key = ("anonymous", response.pk) if anonymous else (participant.participant_uuid,)
        item = respondents.setdefault(
            key,
            {
                "name": constants.POLL_ANONYMOUS_NAME if anonymous else participant.name,
                "email": "" if anonymous else participant.email,
                "question_details": [],
            },
        )
        item["question_details"].extend(
            {
                "question": answer["question"],
                "answer": answer["answer"],
                "polling_id": poll.poll_id,
                "date_time": zoom_time(response.answered_at),
            }
            for answer in response.answers
        )
    return {
        "id": instance.meeting.meeting_id,
        "uuid": instance.uuid,
        "start_time": zoom_time(instance.started_at),
        "questions": list(respondents.values()),
    }


# Summaries


def summary_representation(summary):
    instance = summary.instance
    meeting = instance.meeting
    return {
        "meeting_host_id": meeting.host.zoom_user_id,
        "meeting_host_email": meeting.host.email,
        "meeting_uuid": instance.uuid,
        "meeting_id": meeting.meeting_id,
        "meeting_topic": meeting.topic,
        "meeting_start_time": zoom_time(instance.started_at),
        "meeting_end_time": zoom_time(instance.ended_at),
        "summary_start_time": zoom_time(instance.started_at),
        "summary_end_time": zoom_time(instance.ended_at),
        "summary_created_time": zoom_time(summary.created_at),
        "summary_last_modified_time": zoom_time(summary.created_at),
        "summary_title": summary.title,
        "summary_overview": summary.overview,
        "summary_details": summary.details,
        "next_steps": summary.next_steps,
        "summary_content": summary.content,
        "summary_doc_url": simulator_url(f"docs/{summary.doc_token}"),
    }


# Recordings


def recording_file_representation(recording_file):
    return {
        "id": recording_file.file_id,
        "meeting_id": recording_file.instance.uuid,
        "recording_start": zoom_time(recording_file.recording_start),
        "recording_end": zoom_time(recording_file.recording_end),
        "file_type": recording_file.file_type,
        "file_extension": recording_file.file_extension,
        "file_size": recording_file.file_size,
        "play_url": simulator_url(f"rec/play/{recording_file.play_token}"),
        "download_url": simulator_url(f"rec/download/{recording_file.play_token}"),
        "status": "completed",
        "recording_type": recording_file.recording_type,
    }


def recordings_representation(instance, recording_files):
    """The body of GET /meetings/{id}/recordings (whose spec gives `type` as a string)."""
    meeting = instance.meeting
    return {
        "uuid": instance.uuid,
        "id": meeting.meeting_id,
        "account_id": meeting.host.account_id,
        "host_id": meeting.host.zoom_user_id,
        "topic": meeting.topic,
        "type": str(meeting.type),
        "start_time": zoom_time(instance.started_at),
        "duration": _instance_minutes(instance),
        "total_size": sum(recording_file.file_size for recording_file in recording_files),
        "recording_count": len(recording_files),
        "share_url": recording_share_url(instance),
        "password": instance.recording_password,
        "recording_play_passcode": instance.recording_play_passcode,
        "recording_files": [recording_file_representation(recording_file) for recording_file in recording_files],
    }


def recording_share_url(instance):
    return simulator_url(f"rec/share/{instance.recording_share_token}")


def _instance_minutes(instance):
    end = instance.ended_at or timezone.now()
    return max(int((end - instance.started_at).total_seconds() // 60), 1)


# Past meeting participants


def past_participant_representation(participant, *, instance):
    leave_time = participant.leave_time or instance.ended_at
    representation = {
        "id": participant.zoom_user_id,
        "name": participant.name,
        "user_id": participant.participant_user_id,
        "user_email": participant.email,
        "join_time": zoom_time(participant.join_time),
        "leave_time": zoom_time(leave_time),
        "duration": int((leave_time - participant.join_time).total_seconds()),
        "failover": False,
        "status": "in_meeting",
        "internal_user": False,
    }
    if participant.registrant_id:
        representation["registrant_id"] = participant.registrant.registrant_id
    return representation


# Webhook events


def event_envelope(*, event, payload, extra=None):
    return {"event": event, "event_ts": epoch_ms(), "payload": payload, **(extra or {})}


def meeting_event_object(instance):
    """The meeting part of started/ended/participant events: `id` is a string there."""
    meeting = instance.meeting
    return {
        "id": str(meeting.meeting_id),
        "uuid": instance.uuid,
        "host_id": meeting.host.zoom_user_id,
        "topic": meeting.topic,
        "type": meeting.type,
        "start_time": zoom_time(instance.started_at),
        "timezone": meeting.timezone,
        "duration": meeting.duration,
    }


def participant_event_object(participant, *, joined):
    event_object = {
        "user_id": participant.participant_user_id,
        "user_name": participant.name,
        "id": participant.zoom_user_id,
        "participant_uuid": participant.participant_uuid,
        "email": participant.email,
        "participant_user_id": participant.zoom_user_id,
    }
    if participant.registrant_id:
        event_object["registrant_id"] = participant.registrant.registrant_id
    if joined:
        event_object["join_time"] = zoom_time(participant.join_time)
    else:
        event_object["leave_time"] = zoom_time(participant.leave_time)
        event_object["leave_reason"] = participant.leave_reason
    return event_object


def meeting_deleted_object(meeting):
    deleted_object = {
        "uuid": meeting.uuid,
        "id": meeting.meeting_id,
        "host_id": meeting.host.zoom_user_id,
        "topic": meeting.topic,
        "type": meeting.type,
        "start_time": zoom_time(meeting.start_time),
        "duration": meeting.duration,
        "timezone": meeting.timezone,
    }
    occurrences = meeting_occurrences(meeting)
    if occurrences:
        deleted_object["occurrences"] = [
            {"occurrence_id": occurrence["occurrence_id"], "start_time": occurrence["start_time"]}
            for occurrence in occurrences
        ]
    return deleted_object


def recording_event_object(instance, recording_files):
    meeting = instance.meeting
    return {
        "id": meeting.meeting_id,
        "uuid": instance.uuid,
        "host_id": meeting.host.zoom_user_id,
        "account_id": meeting.host.account_id,
        "topic": meeting.topic,
        "type": meeting.type,
        "start_time": zoom_time(instance.started_at),
        "timezone": meeting.timezone,
        "duration": _instance_minutes(instance),
        "share_url": recording_share_url(instance),
        "total_size": sum(recording_file.file_size for recording_file in recording_files),
        "recording_count": len(recording_files),
        "recording_files": [recording_file_representation(recording_file) for recording_file in recording_files],
    }
