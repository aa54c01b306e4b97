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


class BodyLimit:
    """ASGI middleware: a request whose body (counted as it arrives, so a chunked upload
    without Content-Length too) passes ``limit`` bytes is answered 413 and not read on.

    Past the limit the app is told the client left; whatever it answers (or raises)
    then, the client gets the 413.
    """

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        seen, over, answered = 0, False, False

        async def counted():
            nonlocal seen, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def too_large():
            nonlocal answered
            if not answered:
                answered = True
                from starlette.responses import JSONResponse
                await JSONResponse({"error": f"the request is over the upload limit of "
                                             f"{self.limit // 1_000_000} MB", "problems": []},
                                   status_code=413)(scope, receive, send)

        async def watched(message):
            if over:
                return await too_large()
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except Exception:
            if not over:
                raise
        if over:
            await too_large()
