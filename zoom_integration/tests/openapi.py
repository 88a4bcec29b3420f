"""Check requests our client sends against Zoom's own OpenAPI documents (../shared/zoom/openapi/).

The documents are Zoom's, not ours: they are read where they exist (CI, the
developers' machines) and never copied into the repository.
"""

import functools
from pathlib import Path

import pytest

OPENAPI_DIR = Path(__file__).resolve().parents[3] / "shared" / "zoom" / "openapi"
DOCUMENTS = ("meetings-endpoints.openapi.json", "users-endpoints.openapi.json")


@functools.cache
def _specs():
    from openapi_core import OpenAPI

    return [OpenAPI.from_file_path(str(OPENAPI_DIR / name)) for name in DOCUMENTS]


def assert_matches_zoom_openapi(prepared_request):
    """The request names an operation of Zoom's API, with valid path parameters and a body valid for its schema."""
    if not all((OPENAPI_DIR / name).exists() for name in DOCUMENTS):
        pytest.skip(f"Zoom's OpenAPI documents are not present at {OPENAPI_DIR}; request shapes not checked.")
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
