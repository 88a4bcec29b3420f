"""Shared set-up of the polls, summary and recordings tests: a connected organization and a class meeting row."""

import json
from datetime import timedelta

from django.utils import timezone

from tests.factories import ClassSessionFactory
from zoom_integration.models import MeetingStatus, ZoomMeeting

from .conftest import ALL_SCOPES, signed_headers
from .factories import ZoomConnectionFactory

MEETING_ID = 97763643886
MEETING_UUID = "aDYlohsHRtCd4ii1uC2+hA=="
# Host and account of the official summary_completed sample.
SUMMARY_HOST_ID = "30R7kT7bTIKSNUFEuH_Qlg"
SUMMARY_ACCOUNT_ID = "dzVA4QmMQfyISoRcpFO8CA"
# Meeting, host and account of the official recording.* samples.
RECORDING_MEETING_ID = 1234567890
RECORDING_UUID = "4444AAAiAAAAAiAiAiiAii=="
RECORDING_HOST_ID = "x1yCzABCDEfg23HiJKl4mN"
RECORDING_ACCOUNT_ID = "AAAAAABBBB"


def connect(organization, *, scopes=None, **fields):
    values = {"zoom_user_id": SUMMARY_HOST_ID, "zoom_account_id": SUMMARY_ACCOUNT_ID, "zoom_email": "host@example.com"}
    values.update(fields)
    return ZoomConnectionFactory(organization=organization, scopes=(scopes or ALL_SCOPES).split(), **values)


def past_class(course, **fields):
    values = {"starts_at": timezone.now().replace(microsecond=0) - timedelta(hours=3), "duration_minutes": 90}
    values.update(fields)
    return ClassSessionFactory(course=course, **values)


def class_meeting(class_session, *, zoom_meeting_id=MEETING_ID, **fields):
    values = {
        "organization": class_session.organization,
        "class_session": class_session,
        "status": MeetingStatus.READY,
        "zoom_meeting_id": zoom_meeting_id,
        "zoom_uuid": MEETING_UUID,
        "join_url": f"https://us05web.zoom.us/j/{zoom_meeting_id}?pwd=Ab12Cd34",
        "password": "Ab12Cd34",
        "topic": class_session.title,
        "start_time": class_session.starts_at,
        "duration": class_session.duration_minutes,
        "timezone": class_session.timezone,
    }
    values.update(fields)
    return ZoomMeeting.objects.create(**values)


def post_webhook(client, payload):
    body = json.dumps(payload).encode()
    return client.post("/zoom/webhook/", data=body, content_type="application/json", headers=signed_headers(body))
