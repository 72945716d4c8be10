"""The web pages' session: a signed cookie that holds a CSRF token and, once signed in, the mark.

Reading is open, as the API is. Actions (crawl now) need what POST /crawls needs: with an API
token configured, a session signed in with that token; without one, a caller on this machine.
The cookie is signed with a key derived from the API token, so sessions survive a restart and
replicas, and changing the token signs everybody out. Without a token the key is random per
process (nobody signs in then; the cookie only carries the CSRF token).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from scheduler.settings import Settings, is_loopback_host

COOKIE = "briefing_session"
MAX_AGE = 14 * 24 * 3600  # seconds a sign-in lasts


@dataclass(slots=True)
class SessionState:
    csrf: str
    signed_in: bool = False
    changed: bool = False  # the cookie must be (re)written with the response


class WebSessions:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        token = settings.api_token
        key = (
            hmac.new(token.encode(), b"briefing web session", hashlib.sha256).digest()
            if token
            else secrets.token_bytes(32)
        )
        self.serializer = URLSafeTimedSerializer(key, salt="briefing-web")

    @property
    def needs_sign_in(self) -> bool:
        return bool(self.settings.api_token)

    def load(self, request: Request) -> SessionState:
        raw = request.cookies.get(COOKIE)
        if raw:
            try:
                data = self.serializer.loads(raw, max_age=MAX_AGE)
            except BadSignature:
                data = None
            if isinstance(data, dict) and isinstance(data.get("csrf"), str):
                return SessionState(csrf=data["csrf"], signed_in=data.get("auth") is True)
        return SessionState(csrf=secrets.token_urlsafe(24), changed=True)

    def save(self, request: Request, response: Response, state: SessionState) -> None:
        if not state.changed:
            return
        value = self.serializer.dumps({"csrf": state.csrf, "auth": state.signed_in})
        response.set_cookie(
            COOKIE,
            value,
            max_age=MAX_AGE,
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )

    def sign_in(self, state: SessionState, token: str) -> bool:
        expected = self.settings.api_token
        if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
            return False
        # A new CSRF token at sign-in: one seen before it cannot act for the signed-in session.
        state.signed_in, state.csrf, state.changed = True, secrets.token_urlsafe(24), True
        return True

    def sign_out(self, state: SessionState) -> None:
        state.signed_in, state.csrf, state.changed = False, secrets.token_urlsafe(24), True

    def may_act(self, request: Request, state: SessionState) -> bool:
        """The API's rule (may_trigger): the token when one is set, else a local caller."""
        if self.settings.api_token:
            return state.signed_in
        host = request.client.host if request.client else None
        return host is not None and is_loopback_host(host)


def csrf_ok(state: SessionState, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(state.csrf.encode(), (given or "").encode())
