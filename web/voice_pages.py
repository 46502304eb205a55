"""The client's voice (asiakkaan ääni, :mod:`engine.voice`): feedback and wishes, one-time
feedback links, experience experts and peer instructors. docs/voice.md.

The care team (rules ``client:...``; each view and change one access-log row):

- ``GET /clients/{client_id}/voice``: the client's feedback, links and roles; ``client:feedback``
- ``POST /clients/{client_id}/feedback``: feedback recorded with the client;
  ``client:record_feedback``
- ``POST /clients/{client_id}/feedback-links``: a one-time link for the client's phone, shown
  once; ``client:feedback_link`` (its access-log row is the link's creation)
- ``POST /clients/{client_id}/voice-roles`` and ``.../voice-roles/{role_id}/end``: a role with
  the client's consent, and its end; ``client:voice_roles``

The client, without an account (rule ``public``):

- ``GET /palaute/{token}`` and ``POST /palaute/{token}``: the feedback form of a usable link, in
  the link's language (or ``?lang=``, or the browser's); nothing of the client on it. An unknown,
  expired or used link gets one neutral page, the same for each (status 200). The secret is in
  the path: the access log line hides it (:func:`engine.applog.hide_secret_paths`). A POST needs
  our own Origin (the public rule); the secret itself is what a forged cross-site post would
  lack. Requests per address are bounded (:class:`PublicThrottle`, 429).

The coordinator (rule ``organisation_report``):

- ``GET /reports/voice-roles``: the experience experts and peer instructors whose role is valid
  today (name, role, dates; each one an access-log row). The dashboard (``/reports``) carries
  the feedback summary: counts and themes, no names, no free text.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response

from engine import voice
from engine.access import What
from engine.bounds import Id
from engine.consents import EVIDENCE
from engine.inputs import Checks
from engine.models import Client, FeedbackTheme, VoiceRoleKind
from engine.runtime import Runtime
from web import i18n
from web.deps import ReadSessionDep, RuntimeDep, WriteSessionDep
from web.errors import page_router
from web.forms import Attempt, Posted, attempt, respond, typed_values
from web.security import PUBLIC, ClientAccess, OrganisationReporter, client_address, client_rule
from web.templating import render, render_blocks, wants_fragment

router = page_router(tags=["client voice"])

FeedbackPage = Annotated[ClientAccess, Depends(client_rule(What.feedback, by="client"))]
RecordFeedback = Annotated[ClientAccess, Depends(client_rule(What.record_feedback, by="client"))]
GiveLink = Annotated[ClientAccess, Depends(client_rule(What.feedback_link, by="client"))]
RoleWork = Annotated[ClientAccess, Depends(client_rule(What.voice_roles, by="client"))]

PAGE = "clients/voice.html"
PUBLIC_PAGE = "voice/feedback_form.html"
#: Where a client's link leads (the secret follows).
LINK_PATH = "/palaute/"


# --- the care team's page -------------------------------------------------------------------------


def voice_context(
    request: Request,
    access: ClientAccess,
    runtime: Runtime,
    *,
    form: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    saved: str = "",
    new_link: str = "",
) -> dict[str, Any]:
    """Everything the voice page shows. ``form`` names the form the errors belong to
    ("feedback", "role")."""
    session = access.session
    client = session.get(Client, access.client_id)
    assert client is not None  # the access rule found it
    today = runtime.clock.today()
    return {
        "client": client,
        "feedback": voice.feedback_of(session, access.client_id),
        "links": voice.links_of(session, access.client_id),
        "roles": voice.roles_of(session, access.client_id),
        "themes": [t.value for t in FeedbackTheme],
        "role_kinds": [k.value for k in VoiceRoleKind],
        "evidence": EVIDENCE,
        "form": form,
        "errors": errors or {},
        "values": values or {},
        "saved": saved,
        "new_link": new_link,
        "link_days": runtime.settings.feedback_link_days,
        "today": today,
        "now": runtime.clock.now(),
        "valid_on": voice.valid_on,
        "page_path": f"/clients/{access.client_id}/voice",
    }


@router.get("/clients/{client_id}/voice", response_class=HTMLResponse, name="client_voice")
def voice_page(
    request: Request, client_id: Id, view: FeedbackPage, runtime: RuntimeDep
) -> Response:
    """The client's feedback and wishes, their one-time links and their roles."""
    return render(request, PAGE, voice_context(request, view, runtime))


def _answer(
    request: Request,
    work: ClientAccess,
    runtime: Runtime,
    done: Attempt[Any],
    *,
    form_name: str,
    block: str,
    values: dict[str, str],
    new_link: str = "",
) -> Response:
    def context() -> dict[str, Any]:
        if done.ok:
            return voice_context(request, work, runtime, saved=block, new_link=new_link)
        return voice_context(
            request, work, runtime, form=form_name, errors=done.errors, values=values
        )

    return respond(
        request,
        done,
        redirect_to=f"/clients/{work.client_id}/voice",
        template=PAGE,
        context=context,
        block=block,
    )


@router.post("/clients/{client_id}/feedback", name="record_feedback")
def record_feedback_page(
    request: Request, client_id: Id, work: RecordFeedback, runtime: RuntimeDep, posted: Posted
) -> Response:
    """Feedback and wishes recorded with the client: satisfaction 1-5, what helped, what to
    change, a wish for activities."""
    values = typed_values(posted, voice.COACH_FEEDBACK_FIELDS)
    done = attempt(
        work.session,
        lambda: voice.record_feedback(
            work.session,
            client_id=client_id,
            recorded_by=work.principal.user_id,
            values=values,
            checks=Checks.of(runtime.clock),
            now=runtime.clock.now(),
        ),
    )
    return _answer(
        request, work, runtime, done, form_name="feedback", block="feedback_list", values=values
    )


@router.post("/clients/{client_id}/feedback-links", name="feedback_link")
def feedback_link_page(
    request: Request, client_id: Id, work: GiveLink, runtime: RuntimeDep, posted: Posted
) -> Response:
    """A one-time feedback link for the client's phone. The page shows it once (htmx, or the
    page itself without JavaScript: a redirect could not carry it); only its hash is kept."""
    values = typed_values(posted, ("language",))
    done = attempt(
        work.session,
        lambda: voice.create_link(
            work.session,
            client_id=client_id,
            created_by=work.principal.user_id,
            language=values.get("language", ""),
            now=runtime.clock.now(),
            days=runtime.settings.feedback_link_days,
        ),
    )
    made = done.result
    url = ""
    if isinstance(made, voice.NewLink):
        url = str(request.base_url).rstrip("/") + LINK_PATH + made.token
    context = voice_context(
        request,
        work,
        runtime,
        saved="feedback_links" if done.ok else "",
        new_link=url,
        form="" if done.ok else "link",
        errors=done.errors,
        values=values,
    )
    if wants_fragment(request):
        return render_blocks(
            request, PAGE, context, block="feedback_links", status_code=done.status
        )
    return render(request, PAGE, context, status_code=done.status)


@router.post("/clients/{client_id}/voice-roles", name="add_voice_role")
def add_voice_role_page(
    request: Request, client_id: Id, work: RoleWork, runtime: RuntimeDep, posted: Posted
) -> Response:
    """An experience expert's or peer instructor's role with the client's consent."""
    values = typed_values(posted, voice.ROLE_FIELDS)
    done = attempt(
        work.session,
        lambda: voice.add_role(
            work.session,
            client_id=client_id,
            recorded_by=work.principal.user_id,
            values=values,
            checks=Checks.of(runtime.clock),
            now=runtime.clock.now(),
        ),
    )
    return _answer(
        request, work, runtime, done, form_name="role", block="voice_roles", values=values
    )


@router.post("/clients/{client_id}/voice-roles/{role_id}/end", name="end_voice_role")
def end_voice_role_page(
    request: Request,
    client_id: Id,
    role_id: Id,
    work: RoleWork,
    runtime: RuntimeDep,
    posted: Posted,
) -> Response:
    """End a role (given up, or the consent withdrawn): its last day is yesterday."""
    row = voice.role_of(work.session, client_id, role_id)
    done = attempt(
        work.session, lambda: voice.end_role(work.session, row, today=runtime.clock.today())
    )
    return _answer(request, work, runtime, done, form_name="", block="voice_roles", values={})


# --- the client's own page (no account) -----------------------------------------------------------


class PublicThrottle:
    """At most ``limit`` requests per address in ``window`` seconds to the public feedback page
    (in this worker); the table of addresses is bounded too."""

    def __init__(self, limit: int = 30, window: float = 60.0, addresses: int = 10_000):
        self.limit, self.window, self.addresses = limit, window, addresses
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, address: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._seen) >= self.addresses and address not in self._seen:
                self._seen = {
                    a: q for a, q in self._seen.items() if q and q[-1] > now - self.window
                }
                if len(self._seen) >= self.addresses:
                    return False
            hits = self._seen.setdefault(address, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True


def throttle_of(request: Request) -> PublicThrottle:
    state = request.app.state
    if not hasattr(state, "feedback_throttle"):
        state.feedback_throttle = PublicThrottle()
    throttle: PublicThrottle = state.feedback_throttle
    return throttle


def page_language(request: Request, link_language: str) -> str:
    """``?lang=``, then the link's language, then the browser's (cookie, Accept-Language)."""
    asked = request.query_params.get("lang", "")
    if asked in i18n.LANGUAGES:
        return asked
    if link_language in i18n.LANGUAGES:
        return link_language
    return i18n.request_language(request)


def _public(
    request: Request,
    *,
    state: str,
    language: str,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """The client's page: ``state`` is "form", "thanks" or "closed" (the neutral page of every
    unusable link). Nothing of the client is in the context."""
    return render(
        request,
        PUBLIC_PAGE,
        {
            "lang": language,
            "state": state,
            "themes": [t.value for t in FeedbackTheme],
            "errors": errors or {},
            "values": values or {},
            "page_path": "",
        },
        status_code=status,
    )


@router.get(LINK_PATH + "{token}", response_class=HTMLResponse, dependencies=[PUBLIC])
def feedback_form(
    request: Request, token: str, runtime: RuntimeDep, session: ReadSessionDep
) -> Response:
    """The feedback form of a usable link; the neutral page for any other."""
    if not throttle_of(request).allow(client_address(request)):
        return _public(request, state="closed", language=page_language(request, ""), status=429)
    link = voice.usable_link(session, token[:100], runtime.clock.now())
    if link is None:
        return _public(request, state="closed", language=page_language(request, ""))
    return _public(request, state="form", language=page_language(request, link.language))


@router.post(LINK_PATH + "{token}", response_class=HTMLResponse, dependencies=[PUBLIC])
def give_feedback(
    request: Request,
    token: str,
    runtime: RuntimeDep,
    session: WriteSessionDep,
    posted: Posted,
) -> Response:
    """The client's answer: stored once, the link used up; thanks. Bad input: the form again
    with the fields marked (422), the link still usable."""
    if not throttle_of(request).allow(client_address(request)):
        return _public(request, state="closed", language=page_language(request, ""), status=429)
    now = runtime.clock.now()
    link = voice.usable_link(session, token[:100], now)
    language = page_language(request, link.language if link else "")
    values = typed_values(posted, voice.FEEDBACK_FIELDS)
    try:
        done = attempt(
            session,
            lambda: voice.give_by_link(
                session, token[:100], values, checks=Checks.of(runtime.clock), now=now
            ),
        )
    except voice.LinkNotUsable:
        return _public(request, state="closed", language=language)
    if not done.ok:
        return _public(
            request,
            state="form",
            language=language,
            status=422,
            errors=done.errors,
            values=values,
        )
    return _public(request, state="thanks", language=language)


# --- the coordinator ------------------------------------------------------------------------------


@router.get("/reports/voice-roles", response_class=HTMLResponse, name="voice_roles")
def voice_roles_page(
    request: Request, principal: OrganisationReporter, runtime: RuntimeDep, session: WriteSessionDep
) -> Response:
    """The organisation's experience experts and peer instructors valid today: name, role,
    dates (each client listed is an access-log row)."""
    holders = voice.role_holders(
        session, principal, today=runtime.clock.today(), now=runtime.clock.now()
    )
    return render(request, "coordinator/voice_roles.html", {"holders": holders})
