"""OAuth (authorize, token, revoke) and the Marketplace pages, as zoom.us serves them."""

import base64
import binascii
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zoom_simulator import constants, services
from zoom_simulator.exceptions import OAuthError
from zoom_simulator.models import Grant, SimUser
from zoom_simulator.webhooks import webhooks_describe

AUTHORIZE_PARAMS = ["response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method"]


def allowed_redirect_uris():
    product_callback = f"{settings.SITE_URL}/settings/zoom/callback/"
    return [product_callback, *getattr(settings, "ZOOM_SIMULATOR_REDIRECT_URIS", [])]


def _authorize_error(params):
    if params["client_id"] != settings.ZOOM_CLIENT_ID:
        return constants.AUTHORIZE_INVALID_CLIENT, f"Invalid client_id: {params['client_id'] or '(missing)'}"
    if params["redirect_uri"] not in allowed_redirect_uris():
        return constants.AUTHORIZE_REDIRECT_MISMATCH, f"Invalid redirect: {params['redirect_uri'] or '(missing)'}"
    if params["response_type"] != "code":
        return constants.AUTHORIZE_UNSUPPORTED_RESPONSE_TYPE, "Unsupported response type"
    if params["code_challenge_method"] not in ("", "S256", "plain"):
        return constants.AUTHORIZE_UNSUPPORTED_RESPONSE_TYPE, "Unsupported code_challenge_method"
    return None


def _redirect_with(redirect_uri, query):
    separator = "&" if "?" in redirect_uri else "?"
    return redirect(f"{redirect_uri}{separator}{urlencode(query)}")


@require_http_methods(["GET", "POST"])
def authorize(request):
    source = request.GET if request.method == "GET" else request.POST
    params = {name: source.get(name, "") for name in AUTHORIZE_PARAMS}
    error = _authorize_error(params)
    if error:
        code, message = error
        return render(request, "zoom_simulator/oauth_error.html", {"code": code, "message": message}, status=400)
    if request.method == "GET":
        return render(
            request,
            "zoom_simulator/consent.html",
            {
                "params": params,
                "permissions": constants.CONSENT_PERMISSIONS,
                "users": SimUser.objects.all(),
                "account_types": constants.USER_TYPE_CHOICES,
            },
        )
    state_query = {"state": params["state"]} if params["state"] else {}
    if request.POST.get("decision") != "allow":
        return _redirect_with(params["redirect_uri"], {"error": "access_denied", **state_query})
    user = _consenting_user(request)
    if user is None:
        messages.error(request, "Choose a Zoom user or type an email, first and last name to sign in as.")
        return redirect(f"{request.path}?{urlencode(params)}")
    code = services.authorization_code_issue(
        user=user,
        client_id=params["client_id"],
        redirect_uri=params["redirect_uri"],
        code_challenge=params["code_challenge"],
        code_challenge_method=params["code_challenge_method"],
    )
    return _redirect_with(params["redirect_uri"], {"code": code, **state_query})


def _consenting_user(request):
    email = request.POST.get("email", "").strip()
    if email:
        first_name = request.POST.get("first_name", "").strip()
        last_name = request.POST.get("last_name", "").strip()
        if not (first_name and "@" in email):
            return None
        account_type = int(request.POST.get("account_type") or constants.USER_TYPE_LICENSED)
        if account_type not in dict(constants.USER_TYPE_CHOICES):
            return None
        account_of = SimUser.objects.filter(pk=request.POST.get("account_of") or None).first()
        return services.user_get_or_create(
            email=email, first_name=first_name, last_name=last_name, account_type=account_type, account_of=account_of
        )
    return SimUser.objects.filter(pk=request.POST.get("user") or None).first()


def _client_credentials(request):
    """HTTP Basic client authentication, as Zoom requires on /oauth/token and /oauth/revoke."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        raise OAuthError(reason_and_error=constants.OAUTH_INVALID_CLIENT, status=401)
    try:
        client_id, _, client_secret = base64.b64decode(encoded.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError(reason_and_error=constants.OAUTH_INVALID_CLIENT, status=401) from None
    services.client_authenticate(client_id=client_id, client_secret=client_secret)
    return client_id


def _oauth_param(request, name):
    # Zoom takes the parameters from the form body or the query string.
    return request.POST.get(name) or request.GET.get(name, "")


@csrf_exempt
@require_POST
def token(request):
    try:
        client_id = _client_credentials(request)
        grant_type = _oauth_param(request, "grant_type")
        if grant_type == "authorization_code":
            body = services.token_exchange_code(
                client_id=client_id,
                code=_oauth_param(request, "code"),
                redirect_uri=_oauth_param(request, "redirect_uri"),
                code_verifier=_oauth_param(request, "code_verifier"),
            )
        elif grant_type == "refresh_token":
            body = services.token_refresh(client_id=client_id, refresh_token=_oauth_param(request, "refresh_token"))
        else:
            raise OAuthError(reason_and_error=constants.OAUTH_UNSUPPORTED_GRANT)
    except OAuthError as error:
        return JsonResponse(error.body(), status=error.status)
    return JsonResponse(body)


@csrf_exempt
@require_POST
def revoke(request):
    try:
        client_id = _client_credentials(request)
        services.token_revoke(client_id=client_id, token=_oauth_param(request, "token"))
    except OAuthError as error:
        return JsonResponse(error.body(), status=error.status)
    return JsonResponse({"status": "success"})


# Marketplace


@require_GET
def marketplace(request):
    add_url = "/zoomsim/oauth/authorize?" + urlencode(
        {
            "response_type": "code",
            "client_id": settings.ZOOM_CLIENT_ID,
            "redirect_uri": allowed_redirect_uris()[0],
        }
    )
    return render(
        request,
        "zoom_simulator/marketplace.html",
        {"add_url": add_url, "permissions": constants.CONSENT_PERMISSIONS},
    )


@require_GET
def installed_apps(request):
    grants = Grant.objects.filter(revoked_at__isnull=True).select_related("user").order_by("user__email")
    return render(request, "zoom_simulator/installed.html", {"grants": grants})


@require_POST
def installed_app_remove(request, grant_id):
    grant = get_object_or_404(Grant, pk=grant_id, revoked_at__isnull=True)
    sent = services.app_uninstall(user=grant.user, client_id=grant.client_id)
    messages.success(request, f"CohortStudio was removed for {grant.user.email}. {webhooks_describe(sent=sent)}")
    return redirect("zoom_simulator:installed_apps")
