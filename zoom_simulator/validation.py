"""Request-body rules, written from Zoom's API documents.

Each rule checks one value and reports `{"field", "message"}` errors the way Zoom's
"Validation Failed." responses do. Unknown fields are ignored, as Zoom ignores them.
"""

import re
from dataclasses import dataclass, field

from zoom_simulator import constants

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Zoom's two documented start_time formats: UTC with Z, or local time without an offset.
DATE_TIME_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z?$")

MESSAGE_REQUIRED = "This field is required."
MESSAGE_TYPE = "Invalid field."


@dataclass
class String:
    max_length: int | None = None
    choices: list | None = None
    email: bool = False
    date_time: bool = False
    required: bool = False

    def check(self, value, path, errors):
        if not isinstance(value, str):
            errors.append(_error(path, MESSAGE_TYPE))
        elif self.max_length is not None and len(value) > self.max_length:
            errors.append(_error(path, f"Length must be {self.max_length} characters or fewer."))
        elif self.choices is not None and value not in self.choices:
            errors.append(_error(path, f"Must be one of: {', '.join(map(str, self.choices))}."))
        elif self.email and not EMAIL_PATTERN.match(value):
            errors.append(_error(path, "Invalid email address."))
        elif self.date_time and not DATE_TIME_PATTERN.match(value):
            errors.append(_error(path, "Use yyyy-MM-ddTHH:mm:ssZ (UTC) or yyyy-MM-ddTHH:mm:ss with a timezone."))


@dataclass
class Integer:
    minimum: int | None = None
    maximum: int | None = None
    choices: list | None = None
    required: bool = False

    def check(self, value, path, errors):
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(_error(path, MESSAGE_TYPE))
        elif self.choices is not None and value not in self.choices:
            errors.append(_error(path, f"Must be one of: {', '.join(map(str, self.choices))}."))
        elif self.minimum is not None and value < self.minimum:
            errors.append(_error(path, f"Must be at least {self.minimum}."))
        elif self.maximum is not None and value > self.maximum:
            errors.append(_error(path, f"Must be at most {self.maximum}."))


@dataclass
class Boolean:
    required: bool = False

    def check(self, value, path, errors):
        if not isinstance(value, bool):
            errors.append(_error(path, MESSAGE_TYPE))


@dataclass
class Object:
    fields: dict = field(default_factory=dict)
    required: bool = False

    def check(self, value, path, errors):
        if not isinstance(value, dict):
            errors.append(_error(path, MESSAGE_TYPE))
            return
        for name, rule in self.fields.items():
            child_path = f"{path}.{name}" if path else name
            if name not in value:
                if rule.required:
                    errors.append(_error(child_path, MESSAGE_REQUIRED))
                continue
            rule.check(value[name], child_path, errors)


@dataclass
class Array:
    items: object = None
    min_items: int | None = None
    max_items: int | None = None
    required: bool = False

    def check(self, value, path, errors):
        if not isinstance(value, list):
            errors.append(_error(path, MESSAGE_TYPE))
            return
        if self.min_items is not None and len(value) < self.min_items:
            errors.append(_error(path, f"At least {self.min_items} items are required."))
        if self.max_items is not None and len(value) > self.max_items:
            errors.append(_error(path, f"At most {self.max_items} items are allowed."))
        if self.items is not None:
            for index, item in enumerate(value):
                self.items.check(item, f"{path}[{index}]", errors)


def _error(path, message):
    return {"field": path, "message": message}


MEETING_SETTINGS = Object(
    {
        "host_video": Boolean(),
        "participant_video": Boolean(),
        "join_before_host": Boolean(),
        "jbh_time": Integer(choices=[0, 5, 10, 15]),
        "mute_upon_entry": Boolean(),
        "watermark": Boolean(),
        "use_pmi": Boolean(),
        "approval_type": Integer(choices=[0, 1, 2]),
        "registration_type": Integer(choices=[1, 2, 3]),
        "audio": String(choices=["both", "telephony", "voip", "thirdParty"]),
        "auto_recording": String(choices=["local", "cloud", "none"]),
        "alternative_hosts": String(),
        "close_registration": Boolean(),
        "waiting_room": Boolean(),
        "meeting_authentication": Boolean(),
        "registrants_confirmation_email": Boolean(),
        "registrants_email_notification": Boolean(),
        "allow_multiple_devices": Boolean(),
        "show_share_button": Boolean(),
        "email_notification": Boolean(),
        "private_meeting": Boolean(),
        "focus_mode": Boolean(),
        "encryption_type": String(choices=["enhanced_encryption", "e2ee"]),
        "contact_name": String(),
        "contact_email": String(),
        "audio_conference_info": String(max_length=2048),
        "auto_start_meeting_summary": Boolean(),
        "who_will_receive_summary": Integer(choices=[1, 2, 3, 4]),
        "auto_start_ai_companion_questions": Boolean(),
        "who_can_ask_questions": Integer(choices=[1, 2, 3, 4, 5]),
        "summary_template_id": String(),
        "internal_meeting": Boolean(),
        "participant_focused_meeting": Boolean(),
        "push_change_to_calendar": Boolean(),
        "device_testing": Boolean(),
        "email_in_attendee_report": Boolean(),
        "meeting_invitees": Array(Object({"email": String(email=True)})),
    }
)

MEETING_RECURRENCE = Object(
    {
        "type": Integer(choices=[1, 2, 3], required=True),
        "repeat_interval": Integer(minimum=1),
        "weekly_days": String(),
        "monthly_day": Integer(minimum=1, maximum=31),
        "monthly_week": Integer(choices=[-1, 1, 2, 3, 4]),
        "monthly_week_day": Integer(choices=[1, 2, 3, 4, 5, 6, 7]),
        "end_times": Integer(minimum=1, maximum=constants.RECURRENCE_END_TIMES_MAX),
        "end_date_time": String(date_time=True),
    }
)

MEETING = Object(
    {
        "topic": String(max_length=constants.TOPIC_MAX),
        "type": Integer(choices=constants.MEETING_TYPES),
        "start_time": String(date_time=True),
        "duration": Integer(minimum=constants.DURATION_MIN, maximum=constants.DURATION_MAX),
        "timezone": String(),
        "password": String(max_length=constants.PASSWORD_MAX),
        "default_password": Boolean(),
        "agenda": String(max_length=constants.AGENDA_MAX),
        "pre_schedule": Boolean(),
        "schedule_for": String(),
        "template_id": String(),
        "tracking_fields": Array(Object({"field": String(required=True), "value": String()})),
        "recurrence": MEETING_RECURRENCE,
        "settings": MEETING_SETTINGS,
    }
)

WEBINAR_SETTINGS = Object(
    {
        "host_video": Boolean(),
        "panelists_video": Boolean(),
        "practice_session": Boolean(),
        "hd_video": Boolean(),
        "approval_type": Integer(choices=[0, 1, 2]),
        "registration_type": Integer(choices=[1, 2, 3]),
        "audio": String(choices=["both", "telephony", "voip", "thirdParty"]),
        "auto_recording": String(choices=["local", "cloud", "none"]),
        "alternative_hosts": String(),
        "close_registration": Boolean(),
        "show_share_button": Boolean(),
        "allow_multiple_devices": Boolean(),
        "on_demand": Boolean(),
        "meeting_authentication": Boolean(),
        "contact_name": String(),
        "contact_email": String(),
        "registrants_restrict_number": Integer(minimum=0, maximum=20000),
        "registrants_confirmation_email": Boolean(),
        "registrants_email_notification": Boolean(),
        "post_webinar_survey": Boolean(),
        "survey_url": String(),
        "email_in_attendee_report": Boolean(),
    }
)

# POST /users/me/webinars and PATCH /webinars/{id} (API-FACTS 9): the meeting's fields, webinar types and settings.
WEBINAR = Object(
    {
        **{name: rule for name, rule in MEETING.fields.items() if name not in ("type", "settings", "pre_schedule")},
        "type": Integer(choices=constants.WEBINAR_TYPES),
        "default_passcode": Boolean(),
        "is_simulive": Boolean(),
        "settings": WEBINAR_SETTINGS,
    }
)

REGISTRANT = Object(
    {
        "email": String(max_length=constants.REGISTRANT_EMAIL_MAX, email=True, required=True),
        "first_name": String(max_length=constants.REGISTRANT_NAME_MAX, required=True),
        "last_name": String(max_length=constants.REGISTRANT_NAME_MAX),
        "address": String(),
        "city": String(),
        "state": String(),
        "zip": String(),
        "country": String(),
        "phone": String(),
        "comments": String(),
        "industry": String(),
        "job_title": String(),
        "org": String(),
        "no_of_employees": String(
            choices=[
                "",
                "1-20",
                "21-50",
                "51-100",
                "101-500",
                "500-1,000",
                "1,001-5,000",
                "5,001-10,000",
                "More than 10,000",
            ]
        ),
        "purchasing_time_frame": String(
            choices=["", "Within a month", "1-3 months", "4-6 months", "More than 6 months", "No timeframe"]
        ),
        "role_in_purchase_process": String(
            choices=["", "Decision Maker", "Evaluator/Recommender", "Influencer", "Not involved"]
        ),
        "custom_questions": Array(Object({"title": String(), "value": String(max_length=128)})),
        "language": String(
            choices=[
                "en-US",
                "de-DE",
                "es-ES",
                "fr-FR",
                "jp-JP",
                "pt-PT",
                "ru-RU",
                "zh-CN",
                "zh-TW",
                "ko-KO",
                "it-IT",
                "vi-VN",
                "pl-PL",
                "Tr-TR",
            ]
        ),
        "auto_approve": Boolean(),
    }
)

BATCH_REGISTRANTS = Object(
    {
        "auto_approve": Boolean(),
        "registrants_confirmation_email": Boolean(),
        "registrants": Array(
            Object(
                {
                    "email": String(max_length=constants.REGISTRANT_EMAIL_MAX, email=True, required=True),
                    "first_name": String(max_length=constants.REGISTRANT_NAME_MAX, required=True),
                    "last_name": String(max_length=constants.REGISTRANT_NAME_MAX),
                }
            ),
            max_items=constants.BATCH_REGISTRANTS_MAX,
            required=True,
        ),
    }
)

# A webinar's batch takes no registrants_confirmation_email switch.
WEBINAR_BATCH_REGISTRANTS = Object(
    {name: rule for name, rule in BATCH_REGISTRANTS.fields.items() if name != "registrants_confirmation_email"}
)
# A webinar's single registrant takes no auto_approve.
WEBINAR_REGISTRANT = Object({name: rule for name, rule in REGISTRANT.fields.items() if name != "auto_approve"})

REGISTRANT_STATUS = Object(
    {
        "action": String(choices=list(constants.REGISTRANT_ACTION_STATUS), required=True),
        "registrants": Array(
            Object({"id": String(), "email": String()}),
            max_items=constants.STATUS_REGISTRANTS_MAX,
        ),
    }
)

POLL_QUESTION = Object(
    {
        "name": String(max_length=constants.POLL_QUESTION_MAX, required=True),
        "type": String(choices=constants.POLL_QUESTION_TYPES, required=True),
        "answers": Array(String()),
        "answer_required": Boolean(),
        "right_answers": Array(String(), min_items=1),
        "prompts": Array(Object({"prompt_question": String(), "prompt_right_answers": Array(String())})),
        "answer_min_character": Integer(minimum=1),
        "answer_max_character": Integer(),
        "rating_min_value": Integer(minimum=0),
        "rating_max_value": Integer(maximum=10),
        "rating_min_label": String(),
        "rating_max_label": String(),
        "case_sensitive": Boolean(),
        "show_as_dropdown": Boolean(),
    }
)

POLL = Object(
    {
        "title": String(max_length=constants.POLL_TITLE_MAX, required=True),
        "poll_type": Integer(choices=constants.POLL_TYPES),
        "anonymous": Boolean(),
        "questions": Array(POLL_QUESTION, min_items=1, required=True),
    }
)

# Answer counts per question type: (minimum, maximum).
POLL_ANSWER_LIMITS = {
    "single": (constants.POLL_ANSWERS_MIN, constants.POLL_CHOICE_ANSWERS_MAX),
    "multiple": (constants.POLL_ANSWERS_MIN, constants.POLL_CHOICE_ANSWERS_MAX),
    "matching": (constants.POLL_ANSWERS_MIN, constants.POLL_MATCHING_ANSWERS_MAX),
    "rank_order": (constants.POLL_ANSWERS_MIN, constants.POLL_RANK_ORDER_ANSWERS_MAX),
}


def body_errors(rule, body):
    errors = []
    rule.check(body, "", errors)
    return errors


def poll_errors(body):
    """The schema rules plus the answer counts and quiz answers Zoom requires per question."""
    errors = body_errors(POLL, body)
    if errors:
        return errors
    for index, question in enumerate(body["questions"]):
        path = f"questions[{index}]"
        limits = POLL_ANSWER_LIMITS.get(question["type"])
        answers = question.get("answers", [])
        if limits and not limits[0] <= len(answers) <= limits[1]:
            errors.append(
                _error(f"{path}.answers", f"A {question['type']} question takes {limits[0]} to {limits[1]} answers.")
            )
        right_answers = question.get("right_answers", [])
        if body.get("poll_type") == constants.POLL_TYPE_QUIZ and limits and not right_answers:
            errors.append(_error(f"{path}.right_answers", "A quiz question needs its right answers."))
        if any(answer not in answers for answer in right_answers):
            errors.append(_error(f"{path}.right_answers", "Right answers must be among the answers."))
    return errors
