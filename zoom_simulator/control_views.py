"""The control room (make things happen on the Zoom side) and the pages Zoom's links open."""

import datetime

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zoom_simulator import constants, representations, selectors, services
from zoom_simulator.exceptions import ApiError
from zoom_simulator.models import (
    Fault,
    Grant,
    Meeting,
    Participant,
    Poll,
    RecordingFile,
    Registrant,
    SimUser,
    Summary,
)
from zoom_simulator.webhooks import RECENT_DELIVERIES, webhooks_describe


@require_GET
def control_index(request):
    return render(
        request,
        "zoom_simulator/control_index.html",
        {
            "users": SimUser.objects.all(),
            "installed_user_ids": set(Grant.objects.filter(revoked_at__isnull=True).values_list("user_id", flat=True)),
            "meetings": Meeting.objects.select_related("host"),
            "faults": Fault.objects.all(),
            "fault_kinds": constants.FAULT_KINDS,
            "deliveries": list(RECENT_DELIVERIES)[:15],
        },
    )


@require_POST
def control_user_action(request, user_id):
    user = get_object_or_404(SimUser, pk=user_id)
    action = request.POST.get("action")
    if action == "uninstall":
        sent = services.app_uninstall(user=user)
        messages.success(request, f"App uninstalled for {user.email}. {webhooks_describe(sent=sent)}")
    elif action in ("webinar_addon_on", "webinar_addon_off"):
        services.user_webinar_addon_set(user=user, webinar_addon=action == "webinar_addon_on")
        state = "now has" if user.webinar_addon else "no longer has"
        messages.success(request, f"{user.email} {state} Zoom's Webinar add-on.")
    elif action == "invalidate_refresh_token":
        count = services.refresh_token_invalidate(user=user)
        messages.success(request, f"{count} refresh token(s) of {user.email} invalidated, as a password change does.")
    else:
        messages.error(request, "Unknown action.")
    return redirect("zoom_simulator:control_index")


@require_POST
def control_faults(request):
    if request.POST.get("action") == "clear":
        services.faults_clear()
        messages.success(request, "Injected faults cleared: API calls succeed again.")
        return redirect("zoom_simulator:control_index")
    try:
        count = int(request.POST.get("count", "1"))
        services.faults_inject(kind=request.POST.get("kind", ""), count=count)
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The next {count} API call(s) will answer {request.POST['kind']}.")
    return redirect("zoom_simulator:control_index")


@require_GET
def control_meeting(request, meeting_id):
    meeting = get_object_or_404(Meeting.objects.select_related("host"), meeting_id=meeting_id)
    live_instance = selectors.meeting_live_instance(meeting=meeting)
    ended_instance = selectors.meeting_latest_ended_instance(meeting=meeting)
    return render(
        request,
        "zoom_simulator/control_meeting.html",
        {
            "meeting": meeting,
            "registrants": meeting.registrants.all(),
            "live_instance": live_instance,
            "present": live_instance.participants.filter(leave_time__isnull=True) if live_instance else [],
            "polls": meeting.polls.all(),
            "ended_instance": ended_instance,
            "summary": Summary.objects.filter(instance=ended_instance).first() if ended_instance else None,
            "recording_files": ended_instance.recording_files.all() if ended_instance else [],
            "uuid_styles": constants.UUID_STYLES,
            "occurrences": representations.meeting_occurrences(meeting),
            "deliveries": list(RECENT_DELIVERIES)[:10],
        },
    )


def _meeting_change(request, meeting):
    changes = {}
    for name in ["topic", "password"]:
        if request.POST.get(name, "") != "":
            changes[name] = request.POST[name]
    if request.POST.get("duration"):
        changes["duration"] = int(request.POST["duration"])
    if request.POST.get("start_time"):
        naive = datetime.datetime.fromisoformat(request.POST["start_time"])
        changes["start_time"] = naive.replace(tzinfo=datetime.UTC)
    if len(changes.get("password", "")) > constants.PASSWORD_MAX:
        raise ValueError(f"A Zoom passcode has at most {constants.PASSWORD_MAX} characters.")
    return services.meeting_update(meeting=meeting, changes=changes, count_against_limit=False)


def _registrant(request, meeting):
    return get_object_or_404(Registrant, meeting=meeting, pk=request.POST.get("registrant"))


def _participant(request, meeting):
    return get_object_or_404(Participant, instance__meeting=meeting, pk=request.POST.get("participant"))


def _poll_answer(request, meeting):
    participant = get_object_or_404(
        Participant, instance__meeting=meeting, pk=request.POST.get("participant"), leave_time__isnull=True
    )
    poll = get_object_or_404(Poll, meeting=meeting, pk=request.POST.get("poll"))
    services.poll_answer(participant=participant, poll=poll)
    return []


def _recording_file(request, meeting):
    return get_object_or_404(RecordingFile, instance__meeting=meeting, pk=request.POST.get("recording_file"))


MEETING_ACTIONS = {
    "start": lambda request, meeting: services.meeting_start(
        meeting=meeting, uuid_style=request.POST.get("uuid_style")
    ),
    # A recurring meeting: run one occurrence (its instance starts at the occurrence's time, with its own uuid).
    "start_occurrence": lambda request, meeting: services.occurrence_start(
        meeting=meeting, occurrence_id=request.POST.get("occurrence_id", "")
    ),
    "join_registrant": lambda request, meeting: services.participant_join(
        meeting=meeting, registrant=_registrant(request, meeting)
    ),
    "join_guest": lambda request, meeting: services.participant_join(
        meeting=meeting,
        name=request.POST.get("name", "").strip() or "Guest",
        email=request.POST.get("email", "").strip(),
    ),
    "join_all": lambda request, meeting: services.participants_join_registrants(meeting=meeting),
    "leave": lambda request, meeting: services.participant_leave(participant=_participant(request, meeting)),
    # Zoom sends no webhook for an answer; the answers come back in the past poll results.
    "answer_poll": _poll_answer,
    "end": lambda request, meeting: services.meeting_end(meeting=meeting),
    "summary_ready": lambda request, meeting: services.summary_make_ready(meeting=meeting),
    "recordings_ready": lambda request, meeting: services.recordings_make_ready(meeting=meeting),
    "recording_trash": lambda request, meeting: services.recordings_remove(
        meeting=meeting, recording_file=_recording_file(request, meeting)
    ),
    "recordings_trash": lambda request, meeting: services.recordings_remove(meeting=meeting),
    "recordings_delete": lambda request, meeting: services.recordings_remove(meeting=meeting, permanently=True),
    "change": _meeting_change,
    "delete": lambda request, meeting: services.meeting_delete(meeting=meeting),
    "convert_to_webinar": lambda request, meeting: services.meeting_convert(
        meeting=meeting, kind=constants.KIND_WEBINAR
    ),
    "convert_to_meeting": lambda request, meeting: services.meeting_convert(
        meeting=meeting, kind=constants.KIND_MEETING
    ),
}


@require_POST
def control_meeting_action(request, meeting_id):
    meeting = get_object_or_404(Meeting.objects.select_related("host"), meeting_id=meeting_id, deleted_at__isnull=True)
    action = MEETING_ACTIONS.get(request.POST.get("action"))
    if action is None:
        messages.error(request, "Unknown action.")
    else:
        try:
            sent = action(request, meeting)
        except ValueError as error:
            messages.error(request, str(error))
        except ApiError as error:
            messages.error(request, error.body()["message"])
        else:
            label = request.POST.get("action").replace("_", " ")
            messages.success(request, f"Done: {label}. {webhooks_describe(sent=sent)}")
    return redirect("zoom_simulator:control_meeting", meeting_id=meeting.meeting_id)


# Pages behind the links Zoom hands out


@require_http_methods(["GET", "POST"])
def join_page(request, meeting_id):
    """Where join_url and a registrant's unique link lead: join (and leave) the meeting by hand."""
    meeting = get_object_or_404(Meeting, meeting_id=meeting_id, deleted_at__isnull=True)
    registrant = meeting.registrants.filter(join_token=request.GET.get("tk") or None).first()
    participant = None
    if request.method == "POST":
        if request.POST.get("action") == "leave":
            participant = get_object_or_404(Participant, instance__meeting=meeting, pk=request.POST.get("participant"))
            services.participant_leave(participant=participant)
            messages.success(request, "You left the meeting.")
            return redirect(request.get_full_path())
        services.participant_join(
            meeting=meeting,
            registrant=registrant,
            name=request.POST.get("name", "").strip(),
            email=request.POST.get("email", "").strip(),
        )
        live_instance = selectors.meeting_live_instance(meeting=meeting)
        participant = live_instance.participants.order_by("-join_time", "-id").first()
    return render(
        request,
        "zoom_simulator/join.html",
        {"meeting": meeting, "registrant": registrant, "participant": participant},
    )


@require_GET
def start_page(request, meeting_id):
    return redirect("zoom_simulator:control_meeting", meeting_id=meeting_id)


@require_GET
def registration_page(request, join_token):
    meeting = get_object_or_404(Meeting, join_token=join_token, deleted_at__isnull=True)
    return redirect("zoom_simulator:join", meeting_id=meeting.meeting_id)


@require_http_methods(["GET", "POST"])
def recording_player(request, token):
    """Zoom's web player: play_url opens one file, share_url the whole set; both ask the passcode."""
    files = RecordingFile.objects.filter(trashed_at__isnull=True, deleted_at__isnull=True).select_related(
        "instance__meeting"
    )
    matching = list(files.filter(play_token=token)) or list(files.filter(instance__recording_share_token=token))
    if not matching:
        raise Http404("This recording does not exist.")
    instance = matching[0].instance
    offered = request.POST.get("passcode") or request.GET.get("pwd", "")
    unlocked = offered in (instance.recording_password, instance.recording_play_passcode)
    if request.method == "POST" and not unlocked:
        messages.error(request, "Wrong passcode.")
    return render(
        request,
        "zoom_simulator/player.html",
        {"instance": instance, "files": matching, "unlocked": unlocked, "now": timezone.now()},
    )


@require_GET
def summary_doc(request, token):
    summary = get_object_or_404(Summary.objects.select_related("instance__meeting"), doc_token=token, trashed_at=None)
    return render(request, "zoom_simulator/summary_doc.html", {"summary": summary})
