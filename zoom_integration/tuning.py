"""CohortStudio's own choices for the integration: lifetimes, batch sizes, retry policy, retention.

Zoom's facts (scopes, codes, limits, event names) are in `constants.py`; nothing here is Zoom's rule,
so each value may be changed without reading Zoom's documentation first.
"""

from datetime import timedelta

# Webhook bodies larger than this are refused (Zoom's events are a few KiB).
WEBHOOK_MAX_BODY_BYTES = 1024 * 1024
# Stored webhooks are processed by shared drain tasks; this cache flag says one is on its way.
WEBHOOK_DRAIN_PENDING_KEY = "zoom-webhook-drain-pending"
WEBHOOK_DRAIN_PENDING_TTL_SECONDS = 30
# A web process that saw the flag does not ask Redis again for this long.
WEBHOOK_DRAIN_KNOWN_PENDING_SECONDS = 0.5
# Events a drain claims at a time, helpers it may start for a backlog, and how long one task drains.
# A batch's participant events are applied together, every class of the batch in one transaction and one set of
# statements, so a larger batch costs little more than a small one; under a steady trickle a drain claims what
# arrived meanwhile.
WEBHOOK_DRAIN_BATCH = 200
# A drain that claims at least this many events asks for a helper: at the top of the hour drains side by side
# (one per worker process) keep the lag down while the next batch arrives.
WEBHOOK_DRAIN_HELPER_FROM = 50
WEBHOOK_DRAIN_HELPERS = 3
WEBHOOK_DRAIN_SECONDS = 60
# Kinds of drain task.
DRAIN_FIRST = "first"  # asked for by a web request; holds the pending flag
DRAIN_HELPER = "helper"  # started by a drain that found a backlog
DRAIN_LOOK_AGAIN = "look-again"  # one more look, for events stored while the flag was still seen
# After a failed publish to the broker, webhooks skip publishing this long (the sweeper catches up).
BROKER_RETRY_PAUSE_SECONDS = 30
# /healthz turns unhealthy when a stored event has waited this long (no worker, or Redis down for long).
WEBHOOK_BACKLOG_UNHEALTHY_AFTER = timedelta(minutes=10)
# An event still "received" this long after arrival lost its task (Redis down, worker crash).
WEBHOOK_SWEEP_AFTER = timedelta(minutes=2)
# A claimed event is its drain's for this long, renewed while the drain works (every third of it), so the
# events of a worker that died are taken again soon after: within WEBHOOK_CLAIM plus the sweeper's period.
WEBHOOK_CLAIM = timedelta(seconds=30)
# The beat task that queues a drain for events no drain holds (a lost task, a dead worker, a retry now due).
WEBHOOK_SWEEP_EVERY = timedelta(seconds=15)
# Zoom being unavailable while an event is handled: try again after this long, at most this many times.
WEBHOOK_RETRY_DELAY = timedelta(minutes=2)
WEBHOOK_MAX_ATTEMPTS = 5
# Settings -> Zoom shows "Last webhook" to the minute, so it is written about once a minute.
LAST_WEBHOOK_RESOLUTION = timedelta(minutes=1)
# Finished deliveries are kept this long (to replay or inspect them), then deleted: their raw bodies name
# students. What they produced (attendance, recordings, summaries) is kept.
WEBHOOK_EVENT_RETENTION = timedelta(days=90)
WEBHOOK_PRUNE_BATCH = 2000

# OAuth lifetimes.
OAUTH_STATE_LIFETIME = timedelta(minutes=10)
OAUTH_STATES_KEPT = 5
PENDING_GRANT_LIFETIME = timedelta(minutes=15)
PKCE_VERIFIER_LENGTH = 64  # RFC 7636 allows 43 to 128

# Token refresh: on demand when less than this remains, by the beat task within the window.
ACCESS_TOKEN_MIN_VALIDITY = timedelta(seconds=60)
REFRESH_AHEAD_WINDOW = timedelta(minutes=10)
# A refresh in flight holds the connection's lease this long; other callers wait for it, then re-read.
REFRESH_LEASE = timedelta(seconds=45)
REFRESH_WAIT_STEP_SECONDS = 0.1

# HTTP to Zoom: (connect, read) timeouts in seconds and retry policy.
HTTP_TIMEOUT = (5, 20)
HTTP_MAX_ATTEMPTS = 3
HTTP_BACKOFF_BASE_SECONDS = 0.5
HTTP_BACKOFF_MAX_SECONDS = 4.0
# A per-second rate limit is waited out in the worker only up to this long.
RATE_LIMIT_MAX_WAIT_SECONDS = 2.0
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

# Celery tasks that call Zoom: retries while Zoom is unavailable (15 s, 30 s, ... at most 10 min apart).
ZOOM_TASK_RETRIES = 5
ZOOM_TASK_BACKOFF_SECONDS = 15
ZOOM_TASK_BACKOFF_MAX_SECONDS = 600

# Meetings and registrants.
MEETING_PASSWORD_LENGTH = 8  # Zoom allows at most 10
REGISTRANTS_PAGE_SIZE = 300  # Zoom's largest page
# A meeting create or registrant add in flight is this worker's for this long (longer than the client's
# worst case of attempts x timeouts); after it a lost worker's claim may be taken again.
ZOOM_CALL_CLAIM = timedelta(minutes=3)
# A Sync now still "running" after this long was lost (worker crash) and may be started again.
SYNC_STALE_AFTER = timedelta(minutes=15)

# A meeting instance started this long before a class (up to the class's end) belongs to that class.
INSTANCE_EARLY_START = timedelta(minutes=30)

# Attendance.
PAST_PARTICIPANTS_PAGE_SIZE = 300  # Zoom's largest page
# Zoom's participant report lags behind the meeting's end; ask for it a little later.
ATTENDANCE_RECONCILE_DELAY = timedelta(minutes=2)
# Poll results: asked for as late as the participant report, after the meeting ends.
POLL_RESULTS_DELAY = timedelta(minutes=2)
