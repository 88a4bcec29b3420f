"""Check requests our client sends against Zoom's own OpenAPI documents (../shared/zoom/openapi/).

The documents are Zoom's, not ours: they are read where they exist (CI, the
developers' machines) and never copied into the repository.
"""

import functools
import json
from pathlib import Path

import pytest

OPENAPI_DIR = Path(__file__).resolve().parents[3] / "shared" / "zoom" / "openapi"
DOCUMENTS = ("meetings-endpoints.openapi.json", "users-endpoints.openapi.json")


@functools.cache
def _specs():
    from openapi_core import OpenAPI

    return [OpenAPI.from_file_path(str(OPENAPI_DIR / name)) for name in DOCUMENTS]


WEEKDAYS = {"1", "2", "3", "4", "5", "6", "7"}


def _weekly_days_checked(prepared_request):
    """The request as the schema can judge it, once a list of `recurrence.weekly_days` was checked here.

    Zoom's schema gives `weekly_days` an enum of single days while its description (and Zoom) take several,
    comma-separated ("1,3" for Sundays and Tuesdays): each day is checked against the enum, then the schema
    judges the rest of the body with the first day.
    """
    if not prepared_request.body or "weekly_days" not in str(prepared_request.body):
        return prepared_request
    body = json.loads(prepared_request.body)
    recurrence = body.get("recurrence") or {}
    days = str(recurrence.get("weekly_days", ""))
    if "," not in days:
        return prepared_request
    parts = days.split(",")
    assert set(parts) <= WEEKDAYS and len(parts) == len(set(parts)), f"weekly_days {days!r} is not Zoom's 1..7 list"
    recurrence["weekly_days"] = parts[0]
    judged = prepared_request.copy()
    judged.prepare_body(data=None, files=None, json=body)
    return judged


def assert_matches_zoom_openapi(prepared_request):
    """The request names an operation of Zoom's API, with valid path parameters and a body valid for its schema."""
    if not all((OPENAPI_DIR / name).exists() for name in DOCUMENTS):
        pytest.skip(f"Zoom's OpenAPI documents are not present at {OPENAPI_DIR}; request shapes not checked.")
    prepared_request = _weekly_days_checked(prepared_request)
    from openapi_core.contrib.requests import RequestsOpenAPIRequest
    from openapi_core.templating.paths.exceptions import PathNotFound

    request = RequestsOpenAPIRequest(prepared_request)
    errors = []
    for spec in _specs():
        try:
            spec.validate_request(request)
            return
        except PathNotFound as error:
            errors.append(error)
        except Exception as error:  # the first document that knows the path decides
            raise AssertionError(
                f"{prepared_request.method} {prepared_request.url}: {error!r} {getattr(error, '__cause__', '')}"
            )
    raise AssertionError(
        f"{prepared_request.method} {prepared_request.url} is not an operation of Zoom's API: {errors}"
    )
