"""Webhook ingestion: signed `meeting.participant_joined` POSTs against gunicorn, PostgreSQL, Redis and a worker.

    .venv/bin/python -m bench.webhook_ingestion

1. Offers 200 events/s for 10 s (open loop, each body unique so deduplication never short-circuits) and reports
   events/s accepted, p50/p99 latency and errors, checks every accepted event was stored, and waits for the
   worker to process them all.
2. At saturation (closed loops on many connections from several processes), measures the webhook endpoint's
   throughput and that of a trivial view on the same server in the same run, and their ratio.

Writes its section of bench/RESULTS.md; exits 1 when a must-hold of issue 8 is not met.
`--database-url-query conn_max_age=60` runs the same with persistent database connections (a section of its own).
"""

import os
import signal
import sys
import time

from bench import loadgen
from bench.harness import (
    Ports,
    Stack,
    bench_arguments,
    ms,
    percentile,
    results_section_write,
    say,
    section_key_and_title,
)

COMMAND = ".venv/bin/python -m bench.webhook_ingestion"
PORTS = Ports(postgres=55482, redis=56429, web=18482)
OFFERED_RATE = 200
OFFERED_SECONDS = 10
SATURATION_SECONDS = 10
# One load process: on a small machine every extra one takes CPU from the server it measures.
SATURATION_PROCESSES = 1
SATURATION_CONNECTIONS_PER_PROCESS = 32
SATURATION_MAX_REQUESTS_PER_PROCESS = 100_000
DRAIN_TIMEOUT = 90
P99_LIMIT = 0.100
RATIO_LIMIT = 0.5


def stored_events(tag):
    from zoom_integration.models import WebhookEvent

    return WebhookEvent.objects.filter(raw_body__contains=tag)


def wait_until_processed(tag, *, timeout):
    """Seconds until no event of `tag` is left in "received", or None after `timeout`."""
    from zoom_integration.models import WebhookState

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not stored_events(tag).filter(state=WebhookState.RECEIVED).exists():
            return time.monotonic() - started
        time.sleep(0.1)
    return None


def run_offered_rate(stack):
    say(f"warming up: 100 signed events/s for 2 s, then {OFFERED_RATE}/s for {OFFERED_SECONDS} s (measured)")
    loadgen.fixed_rate(
        port=stack.ports.web, factory=loadgen.ParticipantJoinedRequests(secret=stack.webhook_secret), rate=100, seconds=2
    )
    factory = loadgen.ParticipantJoinedRequests(secret=stack.webhook_secret)
    outcome = loadgen.fixed_rate(port=stack.ports.web, factory=factory, rate=OFFERED_RATE, seconds=OFFERED_SECONDS)
    stored = stored_events(factory.tag).count()
    say(f"offered {outcome.sent}, accepted {outcome.ok}, stored {stored}; waiting for the worker to process them")
    drained = wait_until_processed(factory.tag, timeout=DRAIN_TIMEOUT)
    states = dict(_state_counts(factory.tag))
    return outcome, stored, drained, states


def _state_counts(tag):
    from django.db.models import Count

    return stored_events(tag).order_by().values_list("state").annotate(count=Count("id"))


def run_saturation(stack, worker):
    results = {}
    runs = {
        "trivial view": (loadgen.TrivialRequests, False),
        "webhook": (lambda: loadgen.ParticipantJoinedRequests(secret=stack.webhook_secret), False),
        # The endpoint alone, as when workers run on machines of their own: the worker is paused
        # (SIGSTOP) while the load runs and catches up afterwards.
        "webhook, worker paused": (lambda: loadgen.ParticipantJoinedRequests(secret=stack.webhook_secret), True),
    }
    for label, (make_factory, pause_worker) in runs.items():
        say(
            f"saturating with {label} requests: {SATURATION_PROCESSES} processes x "
            f"{SATURATION_CONNECTIONS_PER_PROCESS} connections for {SATURATION_SECONDS} s"
        )
        if pause_worker:
            os.killpg(worker.pid, signal.SIGSTOP)
        try:
            outcome = loadgen.saturate(
                port=stack.ports.web,
                factories=[make_factory() for _ in range(SATURATION_PROCESSES)],
                connections_per_process=SATURATION_CONNECTIONS_PER_PROCESS,
                seconds=SATURATION_SECONDS,
                max_requests_per_process=SATURATION_MAX_REQUESTS_PER_PROCESS,
            )
        finally:
            if pause_worker:
                os.killpg(worker.pid, signal.SIGCONT)
        results[label] = outcome
        say(f"  {label}: {outcome.ok / outcome.elapsed:.0f} requests/s, failures: {outcome.describe_failures()}")
    return results


def main():
    arguments = bench_arguments(__doc__.split("\n", 1)[0])
    with Stack(name="webhook_ingestion", ports=PORTS, database_url_query=arguments.database_url_query) as stack:
        stack.start_web()
        worker = stack.start_worker()
        machine = stack.machine_facts()
        offered, stored, drained, states = run_offered_rate(stack)
        saturation = run_saturation(stack, worker)

    p50, p99 = percentile(offered.latencies, 0.50), percentile(offered.latencies, 0.99)
    accepted_rate = offered.ok / offered.elapsed if offered.elapsed else 0.0
    trivial, webhook = saturation["trivial view"], saturation["webhook"]
    alone = saturation["webhook, worker paused"]
    trivial_rate, webhook_rate = trivial.ok / trivial.elapsed, webhook.ok / webhook.elapsed
    alone_rate = alone.ok / alone.elapsed
    ratio = webhook_rate / trivial_rate
    alone_ratio = alone_rate / trivial_rate
    p99_holds = p99 is not None and p99 < P99_LIMIT and offered.failures == 0 and stored == offered.ok
    ratio_holds = ratio >= RATIO_LIMIT and webhook.failures == 0 and trivial.failures == 0
    alone_ratio_holds = alone_ratio >= RATIO_LIMIT and alone.failures == 0
    state_text = ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
    drain_text = (
        f"all processed by the worker {drained:.1f} s after the last answer ({state_text})"
        if drained is not None
        else f"NOT all processed within {DRAIN_TIMEOUT} s ({state_text})"
    )

    body = f"""
### Offered {OFFERED_RATE} signed events/s for {OFFERED_SECONDS} s (open loop)

| figure | value |
| --- | --- |
| events offered | {offered.sent} ({OFFERED_RATE}/s, each body unique) |
| events accepted (HTTP 200) | {offered.ok}, i.e. {accepted_rate:.1f} events/s |
| errors | {offered.failures} ({offered.describe_failures()}) |
| latency p50 / p99 / max | {ms(p50)} / {ms(p99)} / {ms(max(offered.latencies, default=None))} |
| events stored in PostgreSQL | {stored} |
| Celery worker | {drain_text} |

Latency is measured from each request's scheduled send time to the end of its answer. The events name a Zoom
account no organization has connected, so the worker marks them ignored after looking the connection up.

### Saturation: webhook endpoint vs a trivial view, same server, same run

Closed loops: {SATURATION_PROCESSES} load process(es) x {SATURATION_CONNECTIONS_PER_PROCESS} keep-alive connections,
{SATURATION_SECONDS} s each, the trivial view first. The trivial view (`bench/urls.py`) answers "ok" to a POST of a
body as large as a webhook's, through the same middleware; the webhook requests are signed, unique and stored,
with the worker processing them meanwhile.

| | requests/s | p50 | p99 | errors |
| --- | --- | --- | --- | --- |
| trivial view | {trivial_rate:.0f} | {ms(percentile(trivial.latencies, 0.5))} | {ms(percentile(trivial.latencies, 0.99))} | {trivial.failures} ({trivial.describe_failures()}) |
| webhook endpoint | {webhook_rate:.0f} | {ms(percentile(webhook.latencies, 0.5))} | {ms(percentile(webhook.latencies, 0.99))} | {webhook.failures} ({webhook.describe_failures()}) |
| webhook endpoint, worker paused | {alone_rate:.0f} | {ms(percentile(alone.latencies, 0.5))} | {ms(percentile(alone.latencies, 0.99))} | {alone.failures} ({alone.describe_failures()}) |

**Ratio webhook / trivial: {ratio:.2f} with the worker processing on the same 2 CPUs; {alone_ratio:.2f} for the endpoint alone.**

### Must hold (issue 8)

- p99 under 100 ms at {OFFERED_RATE}/s with no error and every accepted event stored: **{"holds" if p99_holds else "DOES NOT HOLD"}** (p99 {ms(p99)}, {offered.failures} errors, {stored}/{offered.ok} stored)
- saturation throughput at least half the trivial view's: **{"holds" if ratio_holds else "DOES NOT HOLD"}** with the worker sharing the CPUs (ratio {ratio:.2f}); **{"holds" if alone_ratio_holds else "DOES NOT HOLD"}** for the endpoint alone (ratio {alone_ratio:.2f})
"""
    key, title = section_key_and_title(
        key="webhook_ingestion", title="Webhook ingestion", database_url_query=arguments.database_url_query
    )
    command = f"{COMMAND} --database-url-query {arguments.database_url_query}" if arguments.database_url_query else COMMAND
    results_section_write(key=key, title=title, command=command, machine=machine, body=body)
    say(
        f"offered {OFFERED_RATE}/s: accepted {accepted_rate:.1f}/s, p50 {ms(p50)}, p99 {ms(p99)}, "
        f"errors {offered.failures}; saturation: webhook {webhook_rate:.0f}/s, trivial {trivial_rate:.0f}/s, "
        f"ratio {ratio:.2f}"
    )
    return 0 if p99_holds and ratio_holds else 1


if __name__ == "__main__":
    sys.exit(main())
