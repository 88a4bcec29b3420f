"""Every Zoom failure callers can see, each with a message a trainer understands.

Callers never see a raw `requests` or `oauthlib` exception: `client.py` and
`oauth.py` translate them into these.
"""

from django.utils import timezone


class ZoomError(Exception):
    """Zoom could not do what was asked."""

    default_message = "Zoom could not complete this request. Please try again in a few minutes."

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(self.message)

    @property
    def user_message(self):
        return self.message


class ZoomNeedsReconnect(ZoomError):
    """Our tokens no longer work (or there are none): an owner must reconnect."""

    default_message = (
        "Reconnect Zoom to manage this: the connection to Zoom has lapsed. "
        "An organization owner can reconnect it in Settings → Zoom."
    )

    def __init__(self, message=None, *, connection=None):
        if message is None and connection is not None and connection.user_id is not None:
            message = reconnect_needed_message(connection)
        super().__init__(message)


def reconnect_needed_message(connection):
    """Who must reconnect a lapsed connection: a trainer's own Zoom is theirs to reconnect."""
    if connection.user_id is None:
        return ZoomNeedsReconnect.default_message
    return (
        f"Reconnect needed: this class is hosted on {connection.zoom_email or 'the'} Zoom account of "
        f"{connection.user.email}, whose connection has lapsed. {connection.user.email} can reconnect it in "
        "Settings → Zoom."
    )


class ZoomMissingScope(ZoomError):
    """Zoom answered 401 code 4700: the grant lacks a scope this call needs."""

    def __init__(self, scopes):
        self.scopes = list(scopes)
        named = ", ".join(self.scopes) or "a permission this action needs"
        super().__init__(
            f"Zoom did not grant CohortStudio the permission {named}. An organization owner can reconnect "
            "in Settings → Zoom and allow all the permissions Zoom asks for."
        )


class ZoomRateLimited(ZoomError):
    """Zoom's rate limit was reached; `retry_at` says when to try again."""

    def __init__(self, retry_at, *, daily):
        self.retry_at = retry_at
        self.daily = daily
        when = timezone.localtime(retry_at).strftime("%H:%M %Z") if retry_at else "a little while"
        scope = "daily limit" if daily else "limit"
        super().__init__(f"Zoom's {scope} for this action was reached. Try again after {when}; nothing was lost.")


DAILY_LIMIT_WAIT_MESSAGE = "Zoom meeting will be created after 00:00 UTC (Zoom's daily limit)"


class ZoomDailyLimitPlanned(ZoomRateLimited):
    """Our own count says the host's 100 meeting creates/updates for today are used: Zoom was not asked."""

    def __init__(self, retry_at, *, message=None):
        super().__init__(retry_at, daily=True)
        self.message = message or DAILY_LIMIT_WAIT_MESSAGE
        self.args = (self.message,)


class ZoomUnavailable(ZoomError):
    """Zoom did not answer, timed out, or answered with a server error."""

    default_message = "Zoom is not responding right now. Nothing was lost; please try again in a few minutes."


class ZoomRejected(ZoomError):
    """Zoom refused the request; `code` and `zoom_message` are Zoom's own."""

    def __init__(self, code=None, zoom_message=""):
        self.code = code
        self.zoom_message = zoom_message
        detail = zoom_message or "no reason given"
        super().__init__(f"Zoom refused this request: {detail}")


class ZoomNotFound(ZoomError):
    """Zoom no longer has the item."""

    def __init__(self, code=None, zoom_message=""):
        self.code = code
        self.zoom_message = zoom_message
        super().__init__("Zoom no longer has this item; it may have been deleted in Zoom.")


class ZoomAuthorizationFailed(ZoomError):
    """Connecting failed: consent refused, state invalid, or the code exchange was refused."""


class ZoomAccountInUseHere(ZoomError):
    """The Zoom user already hosts for another connection of this organization."""

    def __init__(self, *, zoom_email, whose):
        super().__init__(
            f"The Zoom account {zoom_email} is already connected here as {whose}, and a Zoom account can host "
            "for one connection at a time. It stays connected there. Sign in to Zoom as another user to connect "
            "a different Zoom account."
        )


class ZoomAccountInUse(ZoomError):
    """The Zoom user is already connected to another organization."""

    def __init__(self, *, zoom_email, organization_name):
        self.organization_name = organization_name
        super().__init__(
            f"The Zoom account {zoom_email} is already connected to the CohortStudio organization "
            f"“{organization_name}”, and a Zoom account can be connected to one organization at a time. "
            f"It stays connected there. To connect it here, an owner of {organization_name} must first "
            "click Disconnect Zoom in its Settings → Zoom."
        )
