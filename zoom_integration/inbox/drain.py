"""Processing stored webhook events: claim, dispatch to the handler, record the outcome, drain a backlog.

Nothing here queues a task itself: a drain is handed `publish_drain` by its task, so the inbox
never imports the tasks that call it.
"""

import contextlib
import logging
import threading
import time
from contextlib import contextmanager

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from redis.exceptions import RedisError

from cohortstudio.bulk import rows_update

from ..exceptions import ZoomRateLimited, ZoomUnavailable
from ..models import WebhookEvent, WebhookState, ZoomConnection
from ..payloads import payload_load
from ..tuning import (
    DRAIN_FIRST,
    DRAIN_HELPER,
    DRAIN_LOOK_AGAIN,
    LAST_WEBHOOK_RESOLUTION,
    WEBHOOK_CLAIM,
    WEBHOOK_DRAIN_BATCH,
    WEBHOOK_DRAIN_HELPER_FROM,
    WEBHOOK_DRAIN_HELPERS,
    WEBHOOK_DRAIN_KNOWN_PENDING_SECONDS,
    WEBHOOK_DRAIN_PENDING_KEY,
    WEBHOOK_DRAIN_SECONDS,
    WEBHOOK_EVENT_RETENTION,
    WEBHOOK_MAX_ATTEMPTS,
    WEBHOOK_PRUNE_BATCH,
    WEBHOOK_RETRY_DELAY,
)
from . import dispatch, selectors

logger = logging.getLogger(__name__)


def webhook_event_process(*, event_id):
    """Run the handler of a stored event once; safe to call twice or concurrently."""
    claimed = webhook_events_claim(limit=1, event_ids=[event_id])
    if not claimed:  # processed already, or another worker holds it
        return WebhookEvent.objects.filter(pk=event_id).first()
    _webhook_events_handle(claimed)
    return claimed[0]


def webhook_events_claim(*, limit, event_ids=None):
    """Claim up to `limit` waiting events (of `event_ids` when given), oldest first, for this worker alone.

    Rows another worker is claiming are skipped rather than waited for, so drains run side by side.
    """
    now = timezone.now()
    waiting = WebhookEvent.objects.filter(selectors.webhook_events_waiting_filter(now=now))
    if event_ids is not None:
        waiting = waiting.filter(pk__in=event_ids)
    with transaction.atomic():
        events = list(waiting.select_for_update(skip_locked=True).order_by("received_at", "pk")[:limit])
        WebhookEvent.objects.filter(pk__in=[event.pk for event in events]).update(
            attempts=F("attempts") + 1, claimed_until=now + WEBHOOK_CLAIM
        )
    for event in events:
        event.attempts += 1
        event.claimed_until = now + WEBHOOK_CLAIM
    return events


@contextmanager
def _claims_renewed(events):
    """Renew the batch's claims while this drain works on it, so that only a dead worker's claims lapse.

    A thread renews the claims of the events not handled yet, every third of WEBHOOK_CLAIM (a batch
    usually finishes before the first renewal). Yields `handled(event)`, to call once an event is done.
    """
    waiting = {event.pk for event in events}
    lock = threading.Lock()
    stop = threading.Event()

    def renew():
        try:
            while not stop.wait(WEBHOOK_CLAIM.total_seconds() / 3):
                with lock:
                    ids = list(waiting)
                if ids:
                    WebhookEvent.objects.filter(pk__in=ids, state=WebhookState.RECEIVED).update(
                        claimed_until=timezone.now() + WEBHOOK_CLAIM
                    )
        finally:
            connection.close()

    def handled(event):
        with lock:
            waiting.discard(event.pk)

    renewer = threading.Thread(target=renew, name="webhook-claim-renewal", daemon=True)
    renewer.start()
    try:
        yield handled
    finally:
        stop.set()
        renewer.join()


def _webhook_events_handle(events, handled=None):
    """Dispatch a claimed batch and record each event's outcome.

    Events of a type with a batch handler go to it together (the participants of a hundred classes joining on
    the hour, applied in one transaction); the others, and an event its batch could not apply for an unexpected
    reason, go to their own handler one by one. The connections of the batch's Zoom users are read in one query,
    and the outcomes written in one statement, whatever the number of organizations. `handled(event)` is called
    for each event once it is done.
    """
    contexts = dispatch.contexts_build(events=[(event, payload_load(event.raw_body)) for event in events])
    _last_webhook_record(contexts)
    outcomes = _batches_dispatch(contexts)
    for context in contexts:
        if context.event.pk not in outcomes:
            outcomes[context.event.pk] = _dispatch_one(context)
            if handled is not None:
                handled(context.event)
    finished_at = timezone.now()
    for context in contexts:
        _outcome_apply(context.event, context, outcomes[context.event.pk], now=finished_at)
    _outcomes_save(events)
    processed = [event.pk for event in events if event.state == WebhookState.PROCESSED]
    if processed:  # one line a batch: at the top of the hour a line an event costs more than the event
        logger.info(
            "zoom webhook events processed: %d of %d claimed (ids %s)",
            len(processed),
            len(events),
            ",".join(map(str, processed)),
        )
    return events


def _batches_dispatch(contexts):
    """{event id: outcome} of the events a batch handler applied (an unexpected error leaves them out)."""
    batches = {}
    for context in contexts:
        batch = dispatch.batch_handler_for(context.event.event_type)
        if batch is not None and context.connection is not None:
            batches.setdefault(batch, []).append(context)
    outcomes = {}
    for batch, group in batches.items():
        try:
            results = batch(contexts=group)
        except Exception:
            logger.exception("zoom webhook batch of %d events failed; handling them one by one", len(group))
            continue
        for context, result in zip(group, results, strict=True):
            if result is None or isinstance(result, dispatch.EventIgnored):
                outcomes[context.event.pk] = result
    return outcomes


def _dispatch_one(context):
    """None when the event's handler ran, else the exception it raised."""
    try:
        dispatch.dispatch(context)
    except Exception as error:
        return error
    return None


def _outcome_apply(event, context, outcome, *, now):
    """Set the event's state from its handler's outcome (saved with the batch's, by `_outcomes_save`)."""
    event.organization = context.organization
    event.error = ""
    event.processed_at = now
    event.claimed_until = None
    if outcome is None:
        event.state = WebhookState.PROCESSED
    elif isinstance(outcome, dispatch.EventIgnored):
        event.state = WebhookState.IGNORED
        event.error = outcome.reason
    elif isinstance(outcome, ZoomUnavailable | ZoomRateLimited):
        event.error = outcome.user_message
        if event.attempts >= WEBHOOK_MAX_ATTEMPTS:
            event.state = WebhookState.FAILED
        else:
            event.processed_at = None
            event.claimed_until = getattr(outcome, "retry_at", None) or timezone.now() + WEBHOOK_RETRY_DELAY
    else:
        logger.error(
            "zoom webhook event %s (%s) failed",
            event.pk,
            event.event_type,
            exc_info=(type(outcome), outcome, outcome.__traceback__),
        )
        event.state = WebhookState.FAILED
        event.error = f"{type(outcome).__name__}: {outcome}"
    if event.state not in (WebhookState.RECEIVED, WebhookState.PROCESSED):
        logger.info("zoom webhook event %s %s -> %s", event.pk, event.event_type, event.state)


_OUTCOME_FIELDS = ("organization_id", "state", "error", "processed_at", "claimed_until")


def _outcomes_save(events):
    """Write the events' outcomes in one UPDATE (a batch spans as many organizations as classes)."""
    groups = {}
    for event in events:
        groups.setdefault(tuple(getattr(event, field) for field in _OUTCOME_FIELDS), []).append(event.pk)
    if len(groups) == 1:
        ((values, ids),) = groups.items()
        WebhookEvent.objects.filter(pk__in=ids).update(**dict(zip(_OUTCOME_FIELDS, values, strict=True)))
    elif groups:
        rows_update(WebhookEvent, events, ["organization", "state", "error", "processed_at", "claimed_until"])


def _last_webhook_record(contexts):
    """Write each connection's "last webhook" when this batch's latest event makes it stale, in one UPDATE."""
    latest = {}
    for context in contexts:
        if context.connection is not None:
            pk = context.connection.pk
            if pk not in latest or latest[pk][1] < context.event.received_at:
                latest[pk] = (context.connection, context.event.received_at)
    stale = [
        (zoom_connection, received_at)
        for zoom_connection, received_at in latest.values()
        if _last_webhook_is_stale(zoom_connection, received_at)
    ]
    if not stale:
        return
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        table = quote(ZoomConnection._meta.db_table)
        pk_type = ZoomConnection._meta.pk.db_type(connection)
        rows = ", ".join([f"(%s::{pk_type}, %s::timestamp with time zone)"] * len(stale))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS t SET last_webhook_at = v.received_at FROM (VALUES {rows}) AS v (id, received_at) "
                "WHERE t.id = v.id AND (t.last_webhook_at IS NULL OR t.last_webhook_at < v.received_at)",
                [value for zoom_connection, received_at in stale for value in (zoom_connection.pk, received_at)],
            )
    else:
        for zoom_connection, received_at in stale:
            ZoomConnection.objects.filter(pk=zoom_connection.pk).exclude(last_webhook_at__gte=received_at).update(
                last_webhook_at=received_at
            )
    for zoom_connection, received_at in stale:
        zoom_connection.last_webhook_at = received_at


def _last_webhook_is_stale(connection, received_at):
    """Whether the connection's "last webhook" is older than this event by more than it is shown with.

    Operators read it to the minute, so a burst of events writes it about once a minute, not once an event.
    """
    last = connection.last_webhook_at
    return last is None or last < received_at - LAST_WEBHOOK_RESOLUTION


def webhook_events_sweep(*, publish_drain):
    """Queue a drain when stored events wait that no drain took (broker down, worker lost) or a retry is due."""
    overdue = selectors.webhook_events_overdue_exist()
    if overdue:
        publish_drain(kind=DRAIN_LOOK_AGAIN)
    return overdue


def webhook_events_prune(*, now=None):
    """Delete deliveries received more than WEBHOOK_EVENT_RETENTION ago that are finished (not waiting or retrying).

    In batches, so a large table never holds one long transaction. Returns how many were deleted.
    """
    cutoff = (now or timezone.now()) - WEBHOOK_EVENT_RETENTION
    finished = WebhookEvent.objects.filter(received_at__lt=cutoff).exclude(state=WebhookState.RECEIVED)
    deleted = 0
    while batch := list(finished.order_by().values_list("pk", flat=True)[:WEBHOOK_PRUNE_BATCH]):
        deleted += WebhookEvent.objects.filter(pk__in=batch).delete()[1].get(WebhookEvent._meta.label, 0)
    if deleted:
        logger.info("zoom webhook events pruned: %s received before %s", deleted, cutoff.isoformat())
    return deleted


def webhook_events_reset(*, event_ids):
    """Put events back to "received", to be processed again (`jobs.webhook_events_reprocess` queues them)."""
    return WebhookEvent.objects.filter(pk__in=event_ids).update(
        state=WebhookState.RECEIVED, claimed_until=None, processed_at=None, error=""
    )


def cache_delete_quietly(key):
    with contextlib.suppress(RedisError):
        cache.delete(key)


def webhook_events_drain(*, publish_drain, kind=DRAIN_FIRST):
    """Process stored events waiting for a worker, oldest first, batch by batch, until none is left.

    A first drain lets go of the pending flag before its first batch, so an event stored after
    that asks for a new drain; a web process that saw the flag may still skip asking for up to
    WEBHOOK_DRAIN_KNOWN_PENDING_SECONDS, hence one more look that long after this drain ends.
    A batch of WEBHOOK_DRAIN_HELPER_FROM events or more brings helpers, up to WEBHOOK_DRAIN_HELPERS at once.
    `publish_drain(kind=..., countdown=...)` queues another drain task. Returns how many events were processed.
    """
    if kind == DRAIN_FIRST:
        cache_delete_quietly(WEBHOOK_DRAIN_PENDING_KEY)
    processed, helpers = 0, 0
    deadline = time.monotonic() + WEBHOOK_DRAIN_SECONDS
    while True:
        if time.monotonic() >= deadline:
            # Work may be left and a task has a time limit: a fresh drain carries on.
            publish_drain(kind=DRAIN_LOOK_AGAIN)
            return processed
        events = webhook_events_claim(limit=WEBHOOK_DRAIN_BATCH)
        if not events:
            break
        backlog = len(events) >= min(WEBHOOK_DRAIN_BATCH, WEBHOOK_DRAIN_HELPER_FROM)
        if kind != DRAIN_HELPER and backlog and helpers < WEBHOOK_DRAIN_HELPERS:
            helpers += 1
            publish_drain(kind=DRAIN_HELPER)
        with _claims_renewed(events) as handled:
            _webhook_events_handle(events, handled)
        processed += len(events)
    if kind == DRAIN_FIRST or (kind == DRAIN_LOOK_AGAIN and processed):
        publish_drain(kind=DRAIN_LOOK_AGAIN, countdown=WEBHOOK_DRAIN_KNOWN_PENDING_SECONDS * 2)
    return processed
