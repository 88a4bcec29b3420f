"""Zoom's facts in one place: scopes, error codes, header names, event names and limits.

Sources are in ../shared/zoom/API-FACTS.md. CohortStudio's own tuning (batch sizes, lifetimes,
retries) is in `tuning.py`.
"""

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Feature:
    """A capability of the integration and the Zoom scopes it needs.

    Zoom apps use either granular scopes (`resource:action:object`) or, when
    created before 2024, classic ones (`meeting:write`). A feature is on when
    every scope of its granular set, or of one of its classic sets, was granted.
    """

    key: str
    label: str
    granular: frozenset
    classic: tuple

    def alternatives(self):
        return (self.granular, *self.classic)

    def is_enabled(self, granted):
        granted = set(granted)
        return any(required <= granted for required in self.alternatives())

    def missing(self, granted):
        """The fewest scopes that would switch the feature on, sorted."""
        granted = set(granted)
        return sorted(min((required - granted for required in self.alternatives()), key=len))


FEATURE_PROFILE = Feature(
    key="profile",
    label="Read your Zoom user profile",
    granular=frozenset({"user:read:user"}),
    classic=(frozenset({"user:read"}), frozenset({"user_info:read"}), frozenset({"user_profile"})),
)
FEATURE_MEETINGS = Feature(
    key="meetings",
    label="Create and manage meetings",
    granular=frozenset(
        {"meeting:write:meeting", "meeting:read:meeting", "meeting:update:meeting", "meeting:delete:meeting"}
    ),
    classic=(frozenset({"meeting:write", "meeting:read"}),),
)
FEATURE_REGISTRANTS = Feature(
    key="registrants",
    label="Add registrants and invite links to your meetings",
    granular=frozenset(
        {
            "meeting:write:registrant",
            "meeting:write:batch_registrants",
            "meeting:read:list_registrants",
            "meeting:update:registrant_status",
        }
    ),
    classic=(frozenset({"meeting:write", "meeting:read"}),),
)
FEATURE_POLLS = Feature(
    key="polls",
    label="Create polls on your meetings",
    granular=frozenset({"meeting:write:poll", "meeting:read:list_polls", "meeting:delete:poll"}),
    classic=(frozenset({"meeting:write", "meeting:read"}),),
)
FEATURE_POLL_RESULTS = Feature(
    key="poll_results",
    label="Read your meetings' poll answers (attendance checks)",
    granular=frozenset({"meeting:read:list_poll_results"}),
    classic=(frozenset({"meeting:read"}),),
)
FEATURE_SUMMARIES = Feature(
    key="summaries",
    label="View and delete AI-generated meeting summaries",
    granular=frozenset({"meeting:read:summary", "meeting:delete:summary"}),
    classic=(frozenset({"meeting_summary:read", "meeting_summary:write"}),),
)
FEATURE_RECORDINGS = Feature(
    key="recordings",
    label="Read your cloud recordings",
    granular=frozenset({"cloud_recording:read:list_recording_files", "cloud_recording:read:recording"}),
    classic=(frozenset({"recording:read"}),),
)
FEATURE_ATTENDANCE = Feature(
    key="attendance",
    label="Mark attendance from who joins and leaves your meetings",
    granular=frozenset({"meeting:read:participant", "meeting:read:list_past_participants"}),
    classic=(frozenset({"meeting:read"}),),
)

FEATURE_WEBINARS = Feature(
    key="webinars",
    label="Run classes as Zoom webinars (needs Zoom's Webinar add-on)",
    granular=frozenset(
        {
            "user:read:settings",
            "webinar:write:webinar",
            "webinar:read:webinar",
            "webinar:update:webinar",
            "webinar:delete:webinar",
            "webinar:write:registrant",
            "webinar:write:batch_registrants",
            "webinar:read:list_registrants",
            "webinar:update:registrant_status",
            "webinar:write:poll",
            "webinar:read:list_polls",
            "webinar:delete:poll",
            "webinar:read:list_past_polls",
            "webinar:read:list_past_participants",
        }
    ),
    classic=(frozenset({"webinar:write", "webinar:read", "user:read"}),),
)

FEATURES = (
    FEATURE_PROFILE,
    FEATURE_MEETINGS,
    FEATURE_REGISTRANTS,
    FEATURE_POLLS,
    FEATURE_POLL_RESULTS,
    FEATURE_SUMMARIES,
    FEATURE_RECORDINGS,
    FEATURE_ATTENDANCE,
    FEATURE_WEBINARS,
)

# What the Marketplace app must be configured to request (Zoom's authorize URL
# carries no scope parameter: scopes come from the app's settings).
SCOPES_GRANULAR = tuple(sorted(set().union(*(feature.granular for feature in FEATURES))))

# Zoom account types returned by GET /users/me; only a licensed user's meetings take registrants.
ACCOUNT_TYPES = {1: "Basic", 2: "Licensed", 4: "Unassigned without Meetings Basic"}
ACCOUNT_TYPE_LICENSED = 2

# REST error codes (API-FACTS section 12).
CODE_INVALID_ACCESS_TOKEN = 124
CODE_MISSING_SCOPE = 4700
CODE_USER_NOT_FOUND = 1001
CODE_MEETING_NOT_FOUND = 3001
CODE_RECORDING_NOT_FOUND = 3301
CODE_TRANSCRIPT_NOT_FOUND = 3322
NOT_FOUND_CODES = frozenset(
    {CODE_USER_NOT_FOUND, CODE_MEETING_NOT_FOUND, CODE_RECORDING_NOT_FOUND, CODE_TRANSCRIPT_NOT_FOUND}
)

# /oauth/token answers that mean the grant is gone for good (API-FACTS 1.4).
OAUTH_TERMINAL_ERRORS = frozenset({"invalid_grant", "invalid_request", "unauthorized_client", "invalid_client"})
OAUTH_INVALID_TOKEN_REASON = "Invalid Token!"

# Rate-limit headers (API-FACTS section 11).
HEADER_RATE_LIMIT_TYPE = "X-RateLimit-Type"
HEADER_RATE_LIMIT_RESET = "X-RateLimit-Reset"
HEADER_RETRY_AFTER = "Retry-After"
RATE_LIMIT_TYPE_DAILY = "daily-limit"

# Webhooks (API-FACTS section 10).
HEADER_WEBHOOK_SIGNATURE = "x-zm-signature"
HEADER_WEBHOOK_TIMESTAMP = "x-zm-request-timestamp"
WEBHOOK_SIGNATURE_VERSION = "v0"
EVENT_URL_VALIDATION = "endpoint.url_validation"
EVENT_APP_DEAUTHORIZED = "app_deauthorized"
EVENT_MEETING_DELETED = "meeting.deleted"
EVENT_MEETING_UPDATED = "meeting.updated"
WEBHOOK_TIMESTAMP_TOLERANCE = timedelta(minutes=5)

# A class's Zoom meeting is a meeting or a webinar (API-FACTS 9): the same shapes under another endpoint family.
KIND_MEETING = "meeting"
KIND_WEBINAR = "webinar"
WEBINAR_TYPE_SCHEDULED = 5  # the only webinar type batch registration takes
CODE_WEBINAR_PLAN_MISSING = 200  # with "Webinar plan is missing" (code 200 also means "not a paid account")
EVENT_WEBINAR_UPDATED = "webinar.updated"
EVENT_WEBINAR_DELETED = "webinar.deleted"
EVENT_MEETING_CONVERTED_TO_WEBINAR = "meeting.converted_to_webinar"
EVENT_WEBINAR_CONVERTED_TO_MEETING = "webinar.converted_to_meeting"
EVENT_WEBINAR_STARTED = "webinar.started"
EVENT_WEBINAR_ENDED = "webinar.ended"
EVENT_WEBINAR_PARTICIPANT_JOINED = "webinar.participant_joined"
EVENT_WEBINAR_PARTICIPANT_LEFT = "webinar.participant_left"

# Meetings and registrants (API-FACTS sections 3 and 4).
MEETING_TYPE_SCHEDULED = 2  # batch registration is for this type only (code 303 otherwise)
MEETING_TYPE_RECURRING_FIXED_TIME = 8
RECURRENCE_DAILY = 1  # recurrence.type
RECURRENCE_WEEKLY = 2
REGISTRATION_ONCE_FOR_ALL_OCCURRENCES = 1  # settings.registration_type, type 8 only
APPROVAL_AUTOMATIC = 0
# A host's meeting creates and updates per UTC day, over all apps (API-FACTS 3.1 and 11).
MEETING_WRITES_PER_DAY = 100
APPROVAL_MANUAL = 1  # settings.approval_type
NO_REGISTRATION = 2
MEETING_TOPIC_MAX = 200
MEETING_PASSWORD_MAX = 10
BATCH_REGISTRANTS_MAX = 30
REGISTRANT_STATUS_BATCH_MAX = 30
REGISTRANT_ADDS_PER_DAY = 3

# Attendance (API-FACTS 8.1 and 10.5).
EVENT_MEETING_STARTED = "meeting.started"
EVENT_MEETING_ENDED = "meeting.ended"
EVENT_PARTICIPANT_JOINED = "meeting.participant_joined"
EVENT_PARTICIPANT_LEFT = "meeting.participant_left"
# Report rows of people the host never admitted.
PARTICIPANT_STATUS_WAITING_ROOM = "in_waiting_room"

# Polls (API-FACTS 5): what CohortStudio pushes is a single-choice question of a plain poll.
POLL_TYPE_POLL = 1
POLL_QUESTION_SINGLE = "single"
POLL_TITLE_MAX = 64
POLL_QUESTION_MAX = 1024
POLL_ANSWERS_MIN = 2
POLL_SINGLE_ANSWERS_MAX = 10
CODE_VALIDATION_FAILED = 300
CODE_POLLS_DISABLED = 4400
CODE_CANNOT_HOST = 3161

# AI Companion summaries (API-FACTS 6).
CODE_NOT_PAID_ACCOUNT = 200
CODE_SUMMARY_RESTRICTED = 2305
CODE_SUMMARY_DELETE_FAILED = 2313
CODE_SUMMARY_NOT_ALLOWED = 2314
EVENT_SUMMARY_COMPLETED = "meeting.summary_completed"

# Cloud recordings (API-FACTS 7 and 10.5).
EVENT_RECORDING_COMPLETED = "recording.completed"
EVENT_RECORDING_DELETED = "recording.deleted"
EVENT_RECORDING_TRASHED = "recording.trashed"
EVENT_RECORDING_RECOVERED = "recording.recovered"
RECORDING_TYPE_LABELS = {
    "shared_screen_with_speaker_view": "Video: shared screen with speaker",
    "shared_screen_with_speaker_view(CC)": "Video: shared screen with speaker (captions)",
    "shared_screen_with_gallery_view": "Video: shared screen with gallery",
    "shared_screen": "Video: shared screen",
    "speaker_view": "Video: speaker",
    "active_speaker": "Video: active speaker",
    "gallery_view": "Video: gallery",
    "audio_only": "Audio only",
    "audio_transcript": "Audio transcript",
    "chat_file": "Chat messages",
    "poll": "Poll results",
    "timeline": "Timeline",
    "closed_caption": "Closed captions",
    "summary": "AI summary",
    "summary_next_steps": "AI summary: next steps",
}
RECORDING_FILE_TYPE_LABELS = {
    "MP4": "Video",
    "M4A": "Audio only",
    "CHAT": "Chat messages",
    "TRANSCRIPT": "Audio transcript",
    "CC": "Closed captions",
    "TIMELINE": "Timeline",
    "CSV": "Poll results",
    "SUMMARY": "AI summary",
}
# AI Companion's summary_content sections, shown under the user guide's words: "the summary, key points, and
# next steps". Sections not named here (for example "Challenges") keep Zoom's heading.
SUMMARY_SECTION_HEADINGS = {
    "key takeaways": "Summary",
    "quick recap": "Summary",
    "summary": "Summary",
    "discussed topics": "Key points",
    "key points": "Key points",
    "action items": "Next steps",
    "next steps": "Next steps",
}
