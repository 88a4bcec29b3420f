"""Whether the connected Zoom host can run webinars: Zoom's Webinar add-on, known before a class needs it.

Zoom says so in the host's settings (`GET /users/me/settings`, `feature.webinar`), read when an owner
connects and again on Settings → Zoom's "Check again"; a webinar create refused with 400 code 200
"Webinar plan is missing" says so too and is remembered. The class form reads the answer (no Zoom call)
to offer "Zoom webinar" or to say why it cannot.
"""

import logging

from django.utils import timezone

from orgs.models import Organization

from ..connection import selectors
from ..connection.tokens import connection_client
from ..constants import CODE_WEBINAR_PLAN_MISSING, FEATURE_WEBINARS
from ..exceptions import ZoomError
from ..models import ZoomHostPlan

logger = logging.getLogger(__name__)

WEBINAR_PLAN_MISSING_MESSAGE = (
    "Zoom answered that the connected Zoom account has no Webinar plan (“Webinar plan is missing”). "
    "Add Zoom's Webinar add-on to this Zoom user, then create the webinar again; or make the class a Zoom meeting."
)
PLAN_MISSING_MARKER = "webinar plan is missing"


def host_plan_of(*, connection):
    """The stored plan of the connection's Zoom user, or None when nothing is known yet."""
    if connection is None:
        return None
    return ZoomHostPlan.objects.filter(zoom_user_id=connection.zoom_user_id).first()


def webinar_unavailable_reason(*, connection):
    """Why "Zoom webinar" cannot be chosen for this connection, or "" when it can (no Zoom call: what is known)."""
    if not selectors.connection_has_feature(connection=connection, feature=FEATURE_WEBINARS):
        return (
            "Webinars need CohortStudio's webinar permissions: an owner can reconnect in Settings → Zoom "
            "and allow them."
        )
    plan = host_plan_of(connection=connection)
    if plan is not None and plan.webinar is False:
        return (
            f"Not available: Zoom says {connection.zoom_email} has no Webinar add-on "
            "(“Webinar plan is missing”). Add it on Zoom, then use Check again in Settings → Zoom."
        )
    return ""


def _webinar_set(*, zoom_user_id, webinar):
    ZoomHostPlan.objects.update_or_create(
        zoom_user_id=zoom_user_id, defaults={"webinar": webinar, "checked_at": timezone.now()}
    )


def host_plan_check(*, organization_id):
    """Ask Zoom whether the organization's host holds the Webinar add-on (task body); None when it cannot be asked."""
    organization = Organization.objects.get(pk=organization_id)
    connection = selectors.connection_of(organization=organization)
    if not selectors.connection_has_feature(connection=connection, feature=FEATURE_WEBINARS):
        return None
    try:
        settings = connection_client(connection=connection).users_me_settings() or {}
    except ZoomError as error:
        logger.info("zoom webinar plan not checked: %s", type(error).__name__)
        return None
    webinar = bool((settings.get("feature") or {}).get("webinar"))
    _webinar_set(zoom_user_id=connection.zoom_user_id, webinar=webinar)
    return webinar


def webinar_refusal_record(*, organization, error):
    """A webinar call refused as "Webinar plan is missing" (400 code 200): remembered; True when it was that."""
    if error.code != CODE_WEBINAR_PLAN_MISSING or PLAN_MISSING_MARKER not in (error.zoom_message or "").lower():
        return False
    connection = selectors.connection_of(organization=organization)
    if connection is not None:
        _webinar_set(zoom_user_id=connection.zoom_user_id, webinar=False)
    return True
