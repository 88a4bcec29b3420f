"""Which function handles which Zoom webhook event.

A feature adds a handler with the decorator, in a module of `zoom_integration.handlers`
imported by `ZoomIntegrationConfig.ready()`:

    @dispatch.register("meeting.ended")
    def meeting_ended(*, context):
        meeting = lookup.meeting_for_event(context)  # or raise dispatch.EventIgnored("...")
        ...call a service...

`context.connection` is the active connection the event is about: the one
hosting the meeting it names (`payload.object.id` or `meeting_id`), else the
one of the Zoom user it names (its `payload.user_id`, or the object's
`host_id` / `meeting_host_id`), within `payload.account_id`; never the
account alone. `context.organization` is its organization.
Events without a handler, or without a connection when the handler needs
one, are stored and marked ignored; so is any event whose handler raises
`EventIgnored`.

An event type may also have a batch handler, for events that come by the
thousand at once (participants joining on the hour):

    @dispatch.register_batch("meeting.participant_joined")
    def participants(*, contexts):
        ...apply them together...
        return [None, EventIgnored("..."), ...]  # one outcome per context, in order

A drain hands it every connected event of its type in the claimed batch; the
outcome None means processed, an exception is handled as if the one handler
had raised it. When the batch handler itself raises, the drain handles those
events one by one with `register`'s handler instead.
"""

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from ..connection import selectors as connection_selectors


class EventIgnored(Exception):
    """The event concerns nothing we know (a meeting, an account): store it as ignored."""

    def __init__(self, reason):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class WebhookContext:
    event: object
    payload: dict
    connection: object

    @property
    def organization(self):
        return self.connection.organization if self.connection else None

    @property
    def body(self):
        """Zoom's `payload` object of the envelope."""
        body = self.payload.get("payload")
        return body if isinstance(body, dict) else {}

    @property
    def object(self):
        """Zoom's `payload.object` (the meeting, recording or summary)."""
        found = self.body.get("object")
        return found if isinstance(found, dict) else {}


@dataclass(frozen=True)
class Handler:
    function: object
    needs_connection: bool


_handlers = {}


def register(event_type, *, needs_connection=True):
    """Register `function(*, context)` for `event_type`; one handler per event type."""

    def decorator(function):
        if event_type in _handlers:
            raise ImproperlyConfigured(f"A handler for Zoom event {event_type!r} is already registered.")
        _handlers[event_type] = Handler(function=function, needs_connection=needs_connection)
        return function

    return decorator


def handler_for(event_type):
    return _handlers.get(event_type)


_batch_handlers = {}


def register_batch(*event_types):
    """Register `function(*, contexts)` for a batch of events of these types (each needs a connection)."""

    def decorator(function):
        for event_type in event_types:
            if event_type in _batch_handlers:
                raise ImproperlyConfigured(f"A batch handler for Zoom event {event_type!r} is already registered.")
            _batch_handlers[event_type] = function
        return function

    return decorator


def batch_handler_for(event_type):
    return _batch_handlers.get(event_type)


def event_names(payload):
    """(zoom meeting id or None, account id, user id): what routes an event to its connection."""
    body = payload.get("payload") if isinstance(payload.get("payload"), dict) else {}
    zoom_object = body.get("object") if isinstance(body.get("object"), dict) else {}
    account_id = str(body.get("account_id") or zoom_object.get("account_id") or "")
    zoom_user_id = str(body.get("user_id") or zoom_object.get("host_id") or zoom_object.get("meeting_host_id") or "")
    try:
        zoom_meeting_id = int(zoom_object.get("id") or zoom_object.get("meeting_id"))
    except (TypeError, ValueError):
        zoom_meeting_id = None
    return zoom_meeting_id, account_id, zoom_user_id


def context_build(*, event, payload):
    """The event's context, its connection looked up."""
    return contexts_build(events=[(event, payload)])[0]


def contexts_build(*, events):
    """The contexts of `(event, payload)` pairs, in order; the connections of all they name read in one query."""
    named = [event_names(payload) for _, payload in events]
    connections = connection_selectors.connections_for_events(named=named)
    return [
        WebhookContext(event=event, payload=payload, connection=connections[names])
        for (event, payload), names in zip(events, named, strict=True)
    ]


def dispatch(context):
    handler = handler_for(context.event.event_type)
    if handler is None:
        raise EventIgnored(f"CohortStudio does not handle {context.event.event_type or 'untyped'} events.")
    if handler.needs_connection and context.connection is None:
        raise EventIgnored("No organization is connected to the Zoom user or account of this event.")
    handler.function(context=context)
