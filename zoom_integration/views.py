from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from orgs.access import member_required, owner_required
from orgs.middleware import SESSION_KEY
from orgs.selectors import organizations_owned_by

from . import jobs, selectors
from .connection import selectors as connection_selectors
from .connection import services
from .constants import EVENT_URL_VALIDATION
from .exceptions import ZoomError
from .inbox import verify
from .meeting_views import MeetingDefaultsForm
from .scheduling.meetings import meeting_defaults_get

CONSENT_DENIED = (
    "You did not allow CohortStudio on Zoom's consent page, so nothing was connected. "
    "Click Connect Zoom account to try again."
)
NO_CODE = "Zoom did not send an authorization code, so nothing was connected. Click Connect Zoom account to try again."
OWNS_NONE = (
    "Your CohortStudio account is not an owner of any organization, so the Zoom account was not connected and "
    "nothing was stored. Ask an owner of your organization to connect Zoom, or create an organization first."
)


@member_required
def settings_view(request):
    """Settings → Zoom: the organization's connection and every trainer's, with their health (owners); a trainer
    is shown their own."""
    if not request.membership.is_owner:
        return redirect("zoom:mine")
    overview = selectors.zoom_overview(organization=request.organization)
    notice = services.connection_notice_take(connection=overview.connection)
    defaults = meeting_defaults_get(organization=request.organization)
    defaults_form = MeetingDefaultsForm(
        initial={
            "waiting_room": defaults.waiting_room,
            "join_before_host": defaults.join_before_host,
            "auto_recording_cloud": defaults.auto_recording_cloud,
        }
    )
    context = {
        "overview": overview,
        "notice": notice,
        "defaults_form": defaults_form,
        "hosts": selectors.connections_health(organization=request.organization),
    }
    return render(request, "zoom_integration/settings.html", context)


@member_required
def mine_view(request):
    """A member's own Zoom, which hosts the classes they teach (else the organization's Zoom does)."""
    connection = connection_selectors.connection_of_user(organization=request.organization, user=request.user)
    notice = services.connection_notice_take(connection=connection)
    context = {
        "connection": connection,
        "notice": notice,
        "mine_overview": selectors.connection_overview(connection=connection),
        "hosted": selectors.classes_hosted_count(connection=connection),
    }
    return render(request, "zoom_integration/mine.html", context)


@member_required
@require_POST
def mine_connect_view(request):
    authorize_url = services.connection_start(
        session=request.session, user=request.user, organization=request.organization, own=True
    )
    return redirect(authorize_url)


@member_required
def connection_disconnect_view(request, connection_id):
    """Disconnect one connection: an owner any of the organization's, a trainer only their own (404 otherwise)."""
    connection = connection_selectors.connection_get(organization=request.organization, connection_id=connection_id)
    if not request.membership.is_owner and connection.user_id != request.user.pk:
        raise Http404("No such Zoom connection.")
    back = "zoom:mine" if connection.user_id == request.user.pk else "zoom:settings"
    if not connection.is_active:
        messages.info(request, "This Zoom connection is not connected.")
        return redirect(back)
    if request.method == "POST":
        services.connection_disconnect(connection=connection, user=request.user)
        messages.success(
            request,
            f"Zoom {connection.zoom_email} is disconnected. CohortStudio deleted its encrypted Zoom access and "
            "refresh tokens; the organization's other Zoom connections are unchanged.",
        )
        return redirect(back)
    return render(request, "zoom_integration/disconnect.html", {"connection": connection, "back": back})


@owner_required
@require_POST
def connect_view(request):
    authorize_url = services.connection_start(
        session=request.session, user=request.user, organization=request.organization
    )
    return redirect(authorize_url)


@require_GET
def callback_view(request):
    """Zoom's redirect for both installs: ours (Option A, with our state) and the Marketplace's (Option B)."""
    state = request.GET.get("state", "")
    code = request.GET.get("code", "")
    try:
        if request.GET.get("error"):
            services.connection_attempt_cancel(session=request.session, state=state)
            return _fail(request, CONSENT_DENIED if request.GET["error"] == "access_denied" else _zoom_error(request))
        if not code:
            return _fail(request, NO_CODE)
        if state or connection_selectors.connection_attempts_open(session=request.session):
            if not request.user.is_authenticated:
                return _fail(request, services.UNKNOWN_STATE)
            connection = services.connection_complete(
                session=request.session, user=request.user, state=state, code=code
            )
            return _connected(request, connection)
        install = services.connection_hold_pending(session=request.session, code=code)
    except ZoomError as error:
        return _fail(request, error.user_message)
    if install.existing is not None:
        return _marketplace_reinstall(request, install.existing)
    if not request.user.is_authenticated:
        messages.info(request, "Sign in to CohortStudio to finish connecting your Zoom account.")
        return redirect_to_login(reverse("zoom:complete"))
    return redirect("zoom:complete")


@login_required
def complete_view(request):
    """Option B after sign-in: the held Zoom tokens become the connection of the organization the owner means."""
    if connection_selectors.pending_grant_for_session(session=request.session) is None:
        return _fail(request, services.NO_PENDING_GRANT)
    owned = organizations_owned_by(user=request.user)
    if not owned:
        services.connection_refuse_pending(session=request.session)
        messages.error(request, OWNS_NONE)
        return redirect("home")
    if request.method == "POST":
        organization = next((org for org in owned if str(org.pk) == request.POST.get("organization_id")), None)
        if organization is None:
            raise Http404("No such organization.")
    else:
        current_id = request.session.get(SESSION_KEY)
        organization = next((org for org in owned if org.pk == current_id), None)
        if organization is None and len(owned) == 1:
            organization = owned[0]
        if organization is None:
            pending = connection_selectors.pending_grant_for_session(session=request.session)
            return render(
                request, "zoom_integration/choose_organization.html", {"organizations": owned, "pending": pending}
            )
    try:
        connection = services.connection_complete_pending(
            session=request.session, user=request.user, organization=organization
        )
    except ZoomError as error:
        return _fail(request, error.user_message)
    return _connected(request, connection)


@owner_required
def disconnect_view(request):
    connection = connection_selectors.connection_of(organization=request.organization)
    if connection is None or not connection.is_active:
        messages.info(request, "Zoom is not connected.")
        return redirect("zoom:settings")
    if request.method == "POST":
        services.connection_disconnect(connection=connection, user=request.user)
        messages.success(
            request,
            "Zoom is disconnected. CohortStudio deleted its encrypted Zoom access and refresh tokens.",
        )
        return redirect("zoom:settings")
    return render(request, "zoom_integration/disconnect.html", {"connection": connection, "back": "zoom:settings"})


@csrf_exempt
@require_POST
def webhook_view(request):
    """Zoom's event and deauthorization endpoint: verify, store durably, answer 200 (processing is a task)."""
    try:
        body = verify.webhook_body_read(request)
        verify.webhook_verify(body=body, headers=request.headers)
        payload = verify.webhook_payload_parse(body)
        if payload["event"] == EVENT_URL_VALIDATION:
            return JsonResponse(verify.url_validation_answer(payload))
    except verify.WebhookRejected as rejected:
        return JsonResponse({"error": rejected.reason}, status=rejected.status)
    jobs.webhook_event_accept(raw_body=body, payload=payload)
    return HttpResponse(status=200)


@owner_required
@require_POST
def webinar_plan_check_view(request):
    jobs.host_plan_check(organization=request.organization)
    messages.info(request, "Asked Zoom whether the connected account has the Webinar add-on.")
    return redirect("zoom:settings")


def _connected(request, connection):
    jobs.host_plan_check(organization=connection.organization)
    request.session[SESSION_KEY] = connection.organization_id
    messages.success(request, f"Connected as {connection.zoom_email}.")
    return redirect("zoom:mine" if connection.user_id else "zoom:settings")


def _marketplace_reinstall(request, connection):
    """A Marketplace install of a Zoom user who already serves an organization refreshed that connection."""
    organization = connection.organization
    if request.user.is_authenticated and organization in organizations_owned_by(user=request.user):
        return _connected(request, connection)
    messages.info(
        request,
        f"The Zoom account {connection.zoom_email} is connected to the CohortStudio organization “{organization.name}” "
        "and stays connected there; a Zoom account can be connected to one organization at a time.",
    )
    return redirect("home")


def _zoom_error(request):
    description = request.GET.get("error_description") or request.GET.get("error")
    return f"Zoom reported an error ({description}), so nothing was connected. Click Connect Zoom account to try again."


def _fail(request, message):
    messages.error(request, message)
    return redirect("zoom:settings")
