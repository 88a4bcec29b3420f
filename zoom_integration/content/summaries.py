"""AI Companion meeting summaries (API-FACTS 6): fetched when Zoom reports them, shown inline, deleted on Zoom.

A summary belongs to one meeting instance, named by its uuid. Zoom resolves
the numeric meeting id to the latest instance, which is how a summary is found
when no event named its uuid yet. Deleting one on Zoom wipes our copy but
remembers the instance, so the summary Zoom keeps in its Trash is not
fetched back, nor reported as a problem.
"""

import logging
import re

import markdown
import nh3
from django.utils import timezone

from ..connection.tokens import meeting_client
from ..constants import (
    CODE_NOT_PAID_ACCOUNT,
    CODE_SUMMARY_DELETE_FAILED,
    CODE_SUMMARY_NOT_ALLOWED,
    CODE_SUMMARY_RESTRICTED,
    SUMMARY_SECTION_HEADINGS,
)
from ..exceptions import ZoomNotFound, ZoomRejected
from ..models import ZoomSummary
from ..payloads import zoom_time

logger = logging.getLogger(__name__)

TROUBLESHOOTING = (
    "Both depend on Zoom features being enabled on your Zoom account: AI Companion for summaries, Cloud Recording "
    "for recordings. They also take time to process after the meeting ends. Refresh the page after a few minutes."
)
NOT_READY = (
    "No AI summary yet: Zoom makes it after the meeting ends, once AI Companion has finished (usually a few minutes). "
    + TROUBLESHOOTING
)

# What the rendered Markdown may contain: text structure and links, nothing that runs or loads.
ALLOWED_TAGS = {
    "p", "br", "hr", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "b", "i", "code", "pre",
    "blockquote", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
# Zoom nests lists by two spaces; Python-Markdown needs four.
_SHALLOW_LIST_ITEM = re.compile(r"^( {1,3})([-*+]|\d+\.) ", re.MULTILINE)
_SECTION_HEADING = re.compile(r"^##[ \t]+(?P<text>.+?)[ \t#]*$", re.MULTILINE)


def _guide_heading(match):
    heading = SUMMARY_SECTION_HEADINGS.get(match.group("text").strip().lower())
    return f"## {heading}" if heading else match.group(0)


def _summary_values(body):
    """Our fields from Zoom's summary document; an edited summary's legacy fields win over the originals."""
    edited = body.get("edited_summary") if isinstance(body.get("edited_summary"), dict) else {}
    details = edited.get("summary_details") or body.get("summary_details") or []
    return {
        "title": str(body.get("summary_title") or "")[:300],
        "content": str(body.get("summary_content") or ""),
        "overview": str(edited.get("summary_overview") or body.get("summary_overview") or ""),
        "details": [
            {"label": str(item.get("label") or ""), "summary": str(item.get("summary") or "")}
            for item in details
            if isinstance(item, dict)
        ],
        "next_steps": [str(step) for step in (edited.get("next_steps") or body.get("next_steps") or []) if step],
        "doc_url": str(body.get("summary_doc_url") or "")[:1000],
        "meeting_started_at": zoom_time(body.get("meeting_start_time")),
        "summary_created_at": zoom_time(body.get("summary_created_time")),
    }


def summaries_held(*, meeting):
    return meeting.summaries.filter(deleted_at__isnull=True)


def summary_store(*, meeting, body, meeting_uuid="", revive=True):
    """Keep (or update) our copy of a summary document Zoom returned.

    A summary deleted from CohortStudio comes back only with `revive` (Zoom
    announced it anew); otherwise None is returned and nothing is kept.
    """
    meeting_uuid = str(body.get("meeting_uuid") or meeting_uuid)
    if not meeting_uuid:
        raise ValueError("A summary without a meeting uuid cannot be stored.")
    if not revive and meeting.summaries.filter(meeting_uuid=meeting_uuid, deleted_at__isnull=False).exists():
        return None
    summary, _ = ZoomSummary.objects.update_or_create(
        meeting=meeting,
        meeting_uuid=meeting_uuid,
        defaults={
            "organization": meeting.organization,
            "fetched_at": timezone.now(),
            "deleted_at": None,
            **_summary_values(body),
        },
    )
    return summary


def summary_fetch(*, meeting, meeting_id_or_uuid, revive=True):
    """GET the summary of an instance (uuid) or of the latest instance (meeting id) and keep our copy."""
    client = meeting_client(meeting=meeting)
    body = client.meeting_summary_get(meeting_id_or_uuid=meeting_id_or_uuid) or {}
    reference = str(meeting_id_or_uuid)
    summary = summary_store(
        meeting=meeting, body=body, meeting_uuid="" if reference.isdigit() else reference, revive=revive
    )
    logger.info("zoom summary fetched meeting=%s summary=%s", meeting.pk, summary.pk if summary else "deleted here")
    return summary


def latest_references(*, meeting):
    """What to ask Zoom for a class's latest run: the meeting id, or for a class of a recurring series the uuids of
    its own runs (the meeting id would name the latest run of any class of the series)."""
    if not meeting.is_occurrence:
        return [meeting.zoom_meeting_id]
    uuids = list(meeting.instances.order_by("-start_time").values_list("uuid", flat=True))
    if not uuids:
        raise ZoomNotFound(zoom_message="This class has not run on Zoom yet.")
    return uuids


def summaries_refresh(*, meeting):
    """Re-read the summaries we hold (dropping those Zoom no longer has), then look for the latest instance's.

    Returns the summaries held; raises the ZoomError of the latest-instance
    lookup when there is still no summary at all (a "not ready" is a ZoomNotFound).
    """
    for summary in list(summaries_held(meeting=meeting)):
        try:
            summary_fetch(meeting=meeting, meeting_id_or_uuid=summary.meeting_uuid)
        except ZoomNotFound:
            summary.delete()
            logger.info("zoom summary gone on zoom meeting=%s uuid=%s", meeting.pk, summary.meeting_uuid)
    try:
        for reference in latest_references(meeting=meeting):
            summary_fetch(meeting=meeting, meeting_id_or_uuid=reference, revive=False)
    except ZoomNotFound:
        if not summaries_held(meeting=meeting).exists():
            raise
    except ZoomRejected as error:
        # Zoom keeps a deleted summary in its Trash and answers 2305 for it: that is the one deleted here.
        deleted_here = meeting.summaries.filter(deleted_at__isnull=False).exists()
        if error.code != CODE_SUMMARY_RESTRICTED or not deleted_here:
            raise
    return list(summaries_held(meeting=meeting))


def summary_delete(*, summary):
    """Delete the summary on Zoom, then our copy (also when Zoom had already lost it)."""
    client = meeting_client(meeting=summary.meeting)
    try:
        client.meeting_summary_delete(meeting_id_or_uuid=summary.meeting_uuid)
    except ZoomNotFound:
        logger.info("zoom summary already gone meeting=%s uuid=%s", summary.meeting_id, summary.meeting_uuid)
    ZoomSummary.objects.filter(pk=summary.pk).update(
        title="", content="", overview="", details=[], next_steps=[], doc_url="", deleted_at=timezone.now()
    )
    logger.info("zoom summary deleted meeting=%s uuid=%s", summary.meeting_id, summary.meeting_uuid)


def summary_html(*, summary):
    """Zoom's Markdown as safe HTML (headings start at h3, under the page's section heading)."""
    if not summary.content:
        return ""
    source = _SHALLOW_LIST_ITEM.sub(
        lambda match: " " * (len(match.group(1)) * 2) + match.group(2) + " ", summary.content
    )
    source = _SECTION_HEADING.sub(_guide_heading, source)
    rendered = markdown.markdown(source, extensions=["toc", "sane_lists"], extension_configs={"toc": {"baselevel": 3}})
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def summary_error_message(error, *, deleting=False):
    """What a trainer reads for each way Zoom can refuse a summary."""
    if isinstance(error, ZoomNotFound):
        return NOT_READY
    if isinstance(error, ZoomRejected):
        if error.code == CODE_SUMMARY_NOT_ALLOWED:
            return (
                "Zoom does not allow AI Companion summaries for this account: turn on “Meeting Summary with AI "
                "Companion” in your Zoom settings, or ask your Zoom admin to allow it. " + TROUBLESHOOTING
            )
        if error.code == CODE_SUMMARY_RESTRICTED:
            return (
                "Zoom does not let CohortStudio read this AI summary: your Zoom account restricts AI Companion "
                "summaries (for example to email only, or to an IP allow list), or the summary was moved to "
                "Zoom's Trash. " + TROUBLESHOOTING
            )
        if error.code == CODE_NOT_PAID_ACCOUNT:
            return (
                "AI Companion summaries need a paid Zoom plan (Pro or higher), and the connected Zoom account is "
                "on a free plan. " + TROUBLESHOOTING
            )
        if error.code == CODE_SUMMARY_DELETE_FAILED:
            return (
                "Zoom could not delete the summary just now. Our copy is kept; "
                "try Delete on Zoom again in a few minutes."
            )
        verb = "delete" if deleting else "read"
        return f"Zoom refused to {verb} the AI summary: {error.zoom_message or 'no reason given'}."
    return error.user_message
