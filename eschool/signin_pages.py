"""Signing in over HTTP: the login form (with its own CSRF token, before any session exists),
the device cookie, the bearer-token endpoint and the change of one's own password.

Two cookies live on ``/login`` only:

- ``eschool_login``: a random nonce; the form carries its signature (a signed double-submit
  token), so another site cannot sign a browser in to an account of the attacker's. Other
  forms posted before any session exists (the visitor's ``/join``) use the same mechanism
  through :func:`presession_token`, :func:`presession_cookie` and :func:`presession_ok`, with
  the cookie on their own path and their own purpose.
- ``eschool_device``: set after a successful sign-in, signed for that login. A browser that
  has it is its own client for the sign-in throttle (``eschool.signin``), so failures from
  the same address (a pupil on the school network) do not keep its owner out.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from eschool import queries, services
from eschool.api_schema import operation
from eschool.errors import DomainError
from eschool.i18n import gettext as _
from eschool.middleware import LOGIN_PATH, SESSION_COOKIE
from eschool.models import TokenPublic, TokenRequest
from eschool.security import new_secret, signature, signature_ok
from eschool.signin import LoginThrottle
from eschool.web import (
    acting_user,
    client_address,
    current_user,
    db,
    json_ok,
    page_endpoint,
    read_form,
    read_json,
    render,
)

LOGIN_FORM_COOKIE = "eschool_login"
DEVICE_COOKIE = "eschool_device"
DEVICE_DAYS = 365
_FORM_PURPOSE = "login-form"


def safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after sign-in."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _key(request: Request) -> str:
    return request.app.state.settings.secret_key


def _cookie_options(request: Request, path: str = LOGIN_PATH) -> dict[str, Any]:
    secure = request.app.state.settings.secure_cookies
    return {"path": path, "httponly": True, "samesite": "lax", "secure": secure}


def presession_token(request: Request, purpose: str) -> tuple[str, str | None]:
    """The CSRF token of a form posted before any session exists: the signature of this
    browser's ``eschool_login`` nonce for ``purpose``. Also the new nonce when the browser had
    none (set it with :func:`presession_cookie`), else None."""
    nonce = request.cookies.get(LOGIN_FORM_COOKIE, "")
    fresh = None
    if len(nonce) < 16 or len(nonce) > 64:
        nonce = fresh = new_secret(24)
    return signature(_key(request), purpose, nonce), fresh


def presession_cookie(request: Request, response: Response, nonce: str | None, path: str) -> None:
    """Give the browser the nonce :func:`presession_token` made, for the form's ``path`` only."""
    if nonce is not None:
        response.set_cookie(LOGIN_FORM_COOKIE, nonce, **_cookie_options(request, path))


def presession_ok(request: Request, purpose: str, token: str) -> bool:
    """Whether a posted token fits this browser's ``eschool_login`` nonce for ``purpose``."""
    nonce = request.cookies.get(LOGIN_FORM_COOKIE, "")
    return signature_ok(_key(request), purpose, nonce, token)


def throttle_of(request: Request) -> LoginThrottle:
    """The sign-in throttle the settings describe."""
    return LoginThrottle.from_settings(request.app.state.settings)


def device_for(request: Request, login: str) -> str | None:
    """The id of this browser's device cookie when it is signed for ``login``, else None."""
    nonce, _dot, claimed = request.cookies.get(DEVICE_COOKIE, "").partition(".")
    login = login.strip().lower()
    if nonce and signature_ok(_key(request), f"device:{login}", nonce, claimed):
        return nonce
    return None


def login_options(request: Request, kind: str, login: str) -> dict[str, Any]:
    """What ``services.auth_login`` needs to know about this request besides the password."""
    return {
        "address": client_address(request),
        "device": device_for(request, login),
        "kind": kind,
        "days": request.app.state.settings.session_days,
        "throttle": throttle_of(request),
    }


def _login_form(request: Request, status: int = 200, **context: Any) -> Response:
    """The sign-in page with a token that matches this browser's ``eschool_login`` nonce."""
    token, fresh = presession_token(request, _FORM_PURPOSE)
    context.setdefault("next", request.query_params.get("next", ""))
    response = render(request, "login.html", status=status, login_csrf=token, **context)
    presession_cookie(request, response, fresh, LOGIN_PATH)
    return response


async def _form(request: Request) -> dict[str, str]:
    return await read_form(request)


async def login_page(request: Request) -> Response:
    """The sign-in form; a signed-in user goes home."""
    if current_user(request) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return _login_form(request)


async def login_submit(request: Request) -> Response:
    """Check the form's token and the password, set the session (and device) cookie, go where
    the user was heading."""
    form = await _form(request)
    login = form.get("login", "")
    back = {"next": form.get("next", ""), "login": login}
    if not presession_ok(request, _FORM_PURPOSE, form.get("csrf_token", "")):
        error = _("The sign-in form had expired. Please sign in again.")
        return _login_form(request, status=403, error=error, **back)
    try:
        _user, secret, _auth = await services.auth_login(
            db(request),
            login=login,
            password=form.get("password", ""),
            **login_options(request, "cookie", login),
        )
    except DomainError as exc:
        error = _("Wrong login or password.") if exc.status == 401 else exc.message
        response = _login_form(request, status=exc.status, error=error, **back)
        if exc.status == 429:
            response.headers["Retry-After"] = str(getattr(exc, "retry_after", 60))
        return response
    response = RedirectResponse(safe_next(form.get("next")), status_code=303)
    settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    device = device_for(request, login) or new_secret(16)
    device_value = f"{device}.{signature(_key(request), f'device:{login.strip().lower()}', device)}"
    response.set_cookie(
        DEVICE_COOKIE, device_value, max_age=DEVICE_DAYS * 86400, **_cookie_options(request)
    )
    response.delete_cookie(LOGIN_FORM_COOKIE, path=LOGIN_PATH)
    return response


@page_endpoint()
async def account_password(request: Request) -> Response:
    """Change one's own password with the current one (every session is signed out)."""
    user = acting_user(request)
    form = await _form(request)
    try:
        if form.get("password") != form.get("password2"):
            raise DomainError(_("The two new passwords differ."))
        await services.user_password_set(
            db(request),
            actor=user,
            user_id=user.id or 0,
            password=form.get("password", ""),
            current_password=form.get("current_password", ""),
            address=client_address(request),
            throttle=throttle_of(request),
        )
    except DomainError as exc:
        response = render(request, "account.html", status=exc.status, error=_(exc.message))
        if exc.status == 429:
            response.headers["Retry-After"] = str(getattr(exc, "retry_after", 60))
        return response
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@operation(
    "POST",
    "Sign in: a bearer token for a login and password",
    description="Send the token as `Authorization: Bearer …`; it lasts a year unless revoked "
    "(`DELETE /api/v1/auth/token`). A wrong login or password answers 401 "
    "`invalid_credentials`; repeated failures from one client answer 429 with `Retry-After`.",
    body=TokenRequest,
    public=True,
    responses={200: TokenPublic},
    errors=(401, 429),
)
async def api_token_create(request: Request) -> Response:
    """Exchange a login and password for a bearer token."""
    data = await read_json(request, TokenRequest)
    user, secret, _auth = await services.auth_login(
        db(request),
        login=data.login,
        password=data.password,
        **login_options(request, "token", data.login),
    )
    return json_ok(TokenPublic(token=secret, user=queries.user_public(user)))
