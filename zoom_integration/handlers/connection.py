"""app_deauthorized: the Zoom user removed the app, so their tokens are deleted here at once."""

from ..connection import services
from ..constants import EVENT_APP_DEAUTHORIZED
from ..inbox.dispatch import EventIgnored, register
from ..payloads import zoom_time


@register(EVENT_APP_DEAUTHORIZED, needs_connection=False)
def app_deauthorized(*, context):
    connection = services.connection_deauthorize(
        zoom_account_id=str(context.body.get("account_id") or ""),
        zoom_user_id=str(context.body.get("user_id") or ""),
        zoom_reported_at=zoom_time(context.body.get("deauthorization_time")),
        webhook_event=context.event,
    )
    if connection is None:
        raise EventIgnored("No active connection for this Zoom user: nothing left to delete.")
