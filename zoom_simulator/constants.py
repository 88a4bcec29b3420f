"""Zoom's facts the simulator reproduces: error codes, messages, limits and scopes.

Written from Zoom's API Hub documents (meetings, users and marketplace OpenAPI) and
Zoom's OAuth and rate-limit pages; the simulator never reads those documents at run time.
"""

# REST error codes (body {"code", "message"}).
CODE_INVALID_TOKEN = 124
CODE_NOT_PAID = 200
CODE_VALIDATION = 300
CODE_BATCH_TYPE = 303
CODE_REGISTRATION_DISABLED = 404
CODE_POLL_NOT_FOUND = 404
CODE_SUMMARY_TRASHED = 2305
CODE_MEETING_NOT_FOUND = 3001
CODE_MEETING_OVER = 3038
CODE_MEETING_FULL = 3043
CODE_NO_RECORDING = 3301
CODE_MISSING_SCOPE = 4700
CODE_RATE_LIMITED = 429

MESSAGE_REQUIRES_TOKEN = "Requires an access token."
MESSAGE_INVALID_TOKEN = "Invalid access token."
MESSAGE_EXPIRED_TOKEN = "Access token has expired."
MESSAGE_MISSING_SCOPE = "Invalid access token, does not contain scopes:[{scopes}]."
MESSAGE_VALIDATION = "Validation Failed."
MESSAGE_INVALID_JSON = "Request Body should be a valid JSON object."
MESSAGE_MEETING_NOT_FOUND = "Meeting does not exist: {meeting_id}."
MESSAGE_INVALID_MEETING_ID = "Invalid meeting ID."
MESSAGE_BATCH_TYPE = (
    "This API can only be used for scheduled meeting(meeting type: 2). "
    "Batch registration is not supported for other meeting types."
)
MESSAGE_REGISTRATION_DISABLED = "Registration has not been enabled for this meeting: {meeting_id}."
MESSAGE_MEETING_OVER = (
    "Meeting is over, you can not register now. If you have any questions, please contact the Meeting host."
)
MESSAGE_MEETING_FULL = "Meeting has reached maximum attendee capacity."
MESSAGE_POLL_NOT_FOUND = "Meeting poll not found."
MESSAGE_SUMMARY_TRASHED = "The meeting summary has been moved to Trash and cannot be accessed."
MESSAGE_NO_RECORDING = "There is no recording for this meeting."
MESSAGE_NOT_PAID = "Only available for paid account: {account_id}"
MESSAGE_PER_SECOND_LIMIT = "You have reached the maximum per-second rate limit for this API. Try again later."
MESSAGE_MEETING_DAILY_LIMIT = (
    "You have exceeded the daily rate limit ({limit}) of Meeting Create/Update API requests permitted for "
    "this particular user. You may resume these requests at GMT 00:00:00."
)
MESSAGE_REGISTRANT_DAILY_LIMIT = (
    'You have exceeded the daily rate limit of "{limit}" for Add meeting registrant API requests for the '
    'registrant "{email}". You may resume these requests at GMT 00:00:00.'
)
MESSAGE_REGISTRANT_STATUS_DAILY_LIMIT = (
    'You have exceeded the daily rate limit of "{limit}" for Update registrant\'s status API requests for the '
    'registrant "{email}". You may resume these requests at GMT 00:00:00.'
)
MESSAGE_INVALID_FIELD = "Invalid field."
MESSAGE_WEBINAR_NOT_FOUND = "Webinar does not exist: {meeting_id}."
MESSAGE_WEBINAR_PLAN_MISSING = (
    "Webinar plan is missing. You must subscribe to the webinar plan and enable webinars for user {user_id} "
    "in order to perform this action."
)
MESSAGE_WEBINAR_BATCH_TYPE = (
    "This API can only be used for scheduled webinar(webinar type: 5). "
    "Batch registration is not supported for other webinar types."
)

# Limits.
MEETING_CREATE_UPDATE_PER_DAY = 100
REGISTRANT_ADDS_PER_DAY = 3
REGISTRANT_STATUS_UPDATES_PER_DAY = 10
REGISTRANTS_PER_MEETING = 4999
BATCH_REGISTRANTS_MAX = 30
STATUS_REGISTRANTS_MAX = 30
PAGE_SIZE_DEFAULT = 30
PAGE_SIZE_MAX = 300
NEXT_PAGE_TOKEN_MAX_AGE_SECONDS = 15 * 60
AUTHORIZATION_CODE_LIFETIME_SECONDS = 5 * 60
ACCESS_TOKEN_LIFETIME_SECONDS = 3600
START_URL_LIFETIME_SECONDS = 2 * 3600
WEBHOOK_TIMEOUT_SECONDS = 5
TIMEOUT_FAULT_SECONDS = 30

TOPIC_MAX = 200
AGENDA_MAX = 2000
PASSWORD_MAX = 10
DURATION_MIN = 1
DURATION_MAX = 1440
REGISTRANT_EMAIL_MAX = 128
REGISTRANT_NAME_MAX = 64
POLL_TITLE_MAX = 64
POLL_QUESTION_MAX = 1024
POLL_ANSWERS_MIN = 2
POLL_CHOICE_ANSWERS_MAX = 10
POLL_MATCHING_ANSWERS_MAX = 16
POLL_RANK_ORDER_ANSWERS_MAX = 7
RECURRENCE_END_TIMES_MAX = 60

# Account types of GET /users/me.
USER_TYPE_BASIC = 1
USER_TYPE_LICENSED = 2
USER_TYPE_CHOICES = [(USER_TYPE_BASIC, "Basic"), (USER_TYPE_LICENSED, "Licensed")]

# Meeting types and registration settings.
MEETING_TYPE_INSTANT = 1
MEETING_TYPE_SCHEDULED = 2
MEETING_TYPE_RECURRING_NO_FIXED_TIME = 3
MEETING_TYPE_RECURRING_FIXED_TIME = 8
MEETING_TYPE_SCREEN_SHARE = 10
MEETING_TYPES = [1, 2, 3, 8, 10]
# Webinars (API-FACTS 9): a class's Zoom meeting is of one kind, served under /meetings or /webinars.
KIND_MEETING = "meeting"
KIND_WEBINAR = "webinar"
WEBINAR_TYPE_SCHEDULED = 5
WEBINAR_TYPES = [5, 6, 9]
WEBINAR_CAPACITY = 500
APPROVAL_AUTOMATIC = 0
APPROVAL_MANUAL = 1
APPROVAL_NO_REGISTRATION = 2

REGISTRANT_APPROVED = "approved"
REGISTRANT_PENDING = "pending"
REGISTRANT_DENIED = "denied"
REGISTRANT_STATUS_FILTERS = [REGISTRANT_PENDING, REGISTRANT_APPROVED, REGISTRANT_DENIED]
# Zoom lists a cancelled registration among the denied ones.
REGISTRANT_ACTION_STATUS = {"approve": REGISTRANT_APPROVED, "cancel": REGISTRANT_DENIED, "deny": REGISTRANT_DENIED}

POLL_TYPES = [1, 2, 3]
POLL_TYPE_QUIZ = 3
POLL_QUESTION_TYPES = [
    "single",
    "multiple",
    "matching",
    "rank_order",
    "short_answer",
    "long_answer",
    "fill_in_the_blank",
    "rating_scale",
]

LEAVE_REASON_SELF = "{name} left the meeting."
LEAVE_REASON_HOST_ENDED = "left the meeting. Reason : Host ended the meeting."

# The app's scopes on the Marketplace: the guide's six permissions plus what the webhooks and
# attendance reconciliation need. Granular, user-level names.
APP_SCOPES = [
    "user:read:user",
    "meeting:write:meeting",
    "meeting:read:meeting",
    "meeting:update:meeting",
    "meeting:delete:meeting",
    "meeting:write:registrant",
    "meeting:write:batch_registrants",
    "meeting:read:list_registrants",
    "meeting:update:registrant_status",
    "meeting:write:poll",
    "meeting:read:list_polls",
    "meeting:delete:poll",
    "meeting:read:list_poll_results",
    "meeting:read:summary",
    "meeting:delete:summary",
    "cloud_recording:read:list_recording_files",
    "meeting:read:list_past_participants",
    "meeting:read:participant",
    "cloud_recording:read:recording",
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
]

# Scopes accepted per operation: the granular scope first, then the classic user-level ones.
SCOPES_USER_READ = ["user:read:user", "user:read", "user_profile", "user_info:read"]
SCOPES_MEETING_CREATE = ["meeting:write:meeting", "meeting:write"]
SCOPES_MEETING_READ = ["meeting:read:meeting", "meeting:read"]
SCOPES_MEETING_UPDATE = ["meeting:update:meeting", "meeting:write"]
SCOPES_MEETING_DELETE = ["meeting:delete:meeting", "meeting:write"]
SCOPES_REGISTRANT_CREATE = ["meeting:write:registrant", "meeting:write"]
SCOPES_BATCH_REGISTRANTS = ["meeting:write:batch_registrants", "meeting:write"]
SCOPES_REGISTRANTS_READ = ["meeting:read:list_registrants", "meeting:read"]
SCOPES_REGISTRANT_STATUS = ["meeting:update:registrant_status", "meeting:write"]
SCOPES_POLL_CREATE = ["meeting:write:poll", "meeting:write"]
SCOPES_POLLS_READ = ["meeting:read:list_polls", "meeting:read"]
SCOPES_POLL_DELETE = ["meeting:delete:poll", "meeting:write"]
# Poll statuses (GET /meetings/{id}/polls); a poll answered in the control room has run.
POLL_STATUS_NOT_STARTED = "notstart"
POLL_STATUS_ENDED = "ended"
# What Zoom names a respondent of an anonymous poll (listPastMeetingPolls).
POLL_ANONYMOUS_NAME = "Anonymous Attendee"
SCOPES_POLL_RESULTS_READ = ["meeting:read:list_poll_results", "meeting:read"]
SCOPES_SUMMARY_READ = ["meeting:read:summary", "meeting_summary:read"]
SCOPES_SUMMARY_DELETE = ["meeting:delete:summary", "meeting_summary:write"]
SCOPES_RECORDINGS_READ = ["cloud_recording:read:list_recording_files", "recording:read"]
SCOPES_PAST_PARTICIPANTS_READ = ["meeting:read:list_past_participants", "meeting:read"]
SCOPES_USER_SETTINGS_READ = ["user:read:settings", "user:read"]
SCOPES_WEBINAR_CREATE = ["webinar:write:webinar", "webinar:write"]
SCOPES_WEBINAR_READ = ["webinar:read:webinar", "webinar:read"]
SCOPES_WEBINAR_UPDATE = ["webinar:update:webinar", "webinar:write"]
SCOPES_WEBINAR_DELETE = ["webinar:delete:webinar", "webinar:write"]
SCOPES_WEBINAR_REGISTRANT_CREATE = ["webinar:write:registrant", "webinar:write"]
SCOPES_WEBINAR_BATCH_REGISTRANTS = ["webinar:write:batch_registrants", "webinar:write"]
SCOPES_WEBINAR_REGISTRANTS_READ = ["webinar:read:list_registrants", "webinar:read"]
SCOPES_WEBINAR_REGISTRANT_STATUS = ["webinar:update:registrant_status", "webinar:write"]
SCOPES_WEBINAR_POLL_CREATE = ["webinar:write:poll", "webinar:write"]
SCOPES_WEBINAR_POLLS_READ = ["webinar:read:list_polls", "webinar:read"]
SCOPES_WEBINAR_POLL_DELETE = ["webinar:delete:poll", "webinar:write"]
SCOPES_WEBINAR_POLL_RESULTS_READ = ["webinar:read:list_past_polls", "webinar:read"]
SCOPES_WEBINAR_PAST_PARTICIPANTS_READ = ["webinar:read:list_past_participants", "webinar:read"]

# What the consent screen shows, in the guide's words.
CONSENT_PERMISSIONS = [
    "Read your Zoom user profile",
    "Create and manage meetings",
    "Add registrants and invite links to your meetings",
    "Create polls on your meetings",
    "View and delete AI-generated meeting summaries",
    "Read your cloud recordings",
]

# OAuth token endpoint errors ({"reason", "error"} bodies).
OAUTH_INVALID_CLIENT = ("Invalid client_id or client_secret", "invalid_client")
OAUTH_UNSUPPORTED_GRANT = ("Unsupported grant type", "unsupported_grant_type")
OAUTH_INVALID_CODE = ("Invalid authorization code", "invalid_request")
OAUTH_EXPIRED_CODE = ("Authorization code is expired", "invalid_request")
OAUTH_REDIRECT_MISMATCH = ("Redirect URI mismatch.", "invalid_request")
OAUTH_INVALID_VERIFIER = ("Invalid code_verifier", "invalid_request")
OAUTH_INVALID_TOKEN = ("Invalid Token!", "invalid_grant")
OAUTH_REVOKE_INVALID_TOKEN = ("Invalid Token!", "invalid_request")

# Authorize page errors, as Zoom's error page numbers them.
AUTHORIZE_INVALID_CLIENT = 4702
AUTHORIZE_REDIRECT_MISMATCH = 4709
AUTHORIZE_UNSUPPORTED_RESPONSE_TYPE = 4705

# Fault injection.
FAULT_RATE_LIMIT = "429"
FAULT_SERVER_ERROR = "500"
FAULT_TIMEOUT = "timeout"
FAULT_KINDS = [FAULT_RATE_LIMIT, FAULT_SERVER_ERROR, FAULT_TIMEOUT]

# Webhook events.
EVENT_MEETING_STARTED = "meeting.started"
EVENT_MEETING_ENDED = "meeting.ended"
EVENT_PARTICIPANT_JOINED = "meeting.participant_joined"
EVENT_PARTICIPANT_LEFT = "meeting.participant_left"
EVENT_SUMMARY_COMPLETED = "meeting.summary_completed"
EVENT_RECORDING_COMPLETED = "recording.completed"
EVENT_RECORDING_TRASHED = "recording.trashed"
EVENT_RECORDING_DELETED = "recording.deleted"
EVENT_MEETING_DELETED = "meeting.deleted"
EVENT_MEETING_UPDATED = "meeting.updated"
EVENT_APP_DEAUTHORIZED = "app_deauthorized"
EVENT_MEETING_CONVERTED_TO_WEBINAR = "meeting.converted_to_webinar"
EVENT_WEBINAR_CONVERTED_TO_MEETING = "webinar.converted_to_meeting"

# UUID styles the control room can force on the next meeting instance.
UUID_STYLE_PLAIN = "plain"
UUID_STYLE_LEADING_SLASH = "leading_slash"
UUID_STYLE_DOUBLE_SLASH = "double_slash"
UUID_STYLES = [UUID_STYLE_PLAIN, UUID_STYLE_LEADING_SLASH, UUID_STYLE_DOUBLE_SLASH]
