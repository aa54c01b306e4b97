"""Who may use the studio, and which requests are the user's own.

- **Token.** A server listening beyond 127.0.0.1 needs a token for every page and API
  call: ``Authorization: Bearer TOKEN`` (or ``X-Remixer-Token``), or the HttpOnly session
  cookie the login form sets (an HMAC of the token, never the token itself).
- **CSRF.** A state-changing request must carry the bearer token, or the CSRF token
  (form field ``csrf_token`` or header ``X-CSRF-Token``) equal to this browser's
  ``remixer_csrf`` cookie (SameSite=Strict). On a local server without a token, a
  request no browser made (no cookie, no ``Origin``, no ``Sec-Fetch-Site``: curl, a
  script) needs neither, so the local API stays one ``curl -F`` away.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request

SESSION_COOKIE = "remixer_session"
CSRF_COOKIE = "remixer_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def session_value(token: str) -> str:
    return hmac.new(token.encode("utf-8"), b"remixer studio session", hashlib.sha256).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


def presented_token(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("x-remixer-token", "")


def bearer_ok(request: Request, token: str) -> bool:
    given = presented_token(request)
    return bool(token and given) and hmac.compare_digest(given, token)


def authenticated(request: Request, token: str) -> bool:
    """Always True without a token; else the bearer token or the session cookie."""
    if not token:
        return True
    cookie = request.cookies.get(SESSION_COOKIE, "")
    return bearer_ok(request, token) or (bool(cookie) and hmac.compare_digest(cookie, session_value(token)))


def csrf_token_of(request: Request) -> str:
    """This browser's CSRF token: its cookie, or a new one the response will set."""
    existing = request.cookies.get(CSRF_COOKIE, "")
    if len(existing) >= 32:
        return existing
    if not hasattr(request.state, "new_csrf"):
        request.state.new_csrf = secrets.token_urlsafe(32)
    return request.state.new_csrf


async def csrf_ok(request: Request, token: str) -> bool:
    if request.method not in UNSAFE or bearer_ok(request, token):
        return True
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and request.headers.get("content-type", "").startswith(
            ("multipart/form-data", "application/x-www-form-urlencoded")):
        sent = str((await request.form()).get(CSRF_FIELD, ""))
    if cookie and sent and hmac.compare_digest(cookie, sent):
        return True
    browser = (request.cookies or "origin" in request.headers
               or "sec-fetch-site" in request.headers)
    return not token and not browser
