"""Public HTML pages (no client data): the landing page, the pathways, the language switcher.

One URL, one template: each route renders its template through :mod:`web.templating`, which
answers a normal request with the whole page and an htmx request with the ``main`` block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from engine.errors import NotFound
from engine.pathway import Pathway, TransitionDef, diagram
from web import i18n
from web.deps import RuntimeDep
from web.errors import page_router
from web.security import PUBLIC
from web.templating import render, see_other

#: Public pages: no client data, so anyone may see them (an unsafe method still needs an allowed
#: Origin, see web/security.py).
router = page_router(tags=["pages"], dependencies=[PUBLIC])

LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600


@router.get("/", response_class=HTMLResponse, name="landing")
def landing(request: Request) -> Response:
    """What Polku is, and the way in."""
    return render(request, "landing.html")


def latest_pathways(runtime: RuntimeDep) -> list[Pathway]:
    return list(map(runtime.pathways.latest, runtime.pathways.keys()))


@router.get("/pathways", response_class=HTMLResponse, name="pathways")
def pathway_index(request: Request, runtime: RuntimeDep) -> Response:
    """Every pathway (latest version) with its size."""
    return render(request, "pathways/index.html", {"pathways": latest_pathways(runtime)})


@dataclass(frozen=True)
class Move:
    """One way out of a state, for the text version of the diagram."""

    transition: TransitionDef
    dest: tuple[str, ...]


def moves_from(pathway: Pathway) -> dict[str, list[Move]]:
    """Each state's outgoing transitions, in file order."""
    moves: dict[str, list[Move]] = {name: [] for name in pathway.states}
    for t in pathway.definition.transitions:
        for source in t.source:
            moves[source].append(Move(t, tuple(t.dest)))
    return moves


def mermaid_source(
    pathway: Pathway, language: str, title: str, description: str, current: str | None = None
) -> str:
    """engine.pathway.diagram() with an accessible title and description for the SVG, and the
    ``current`` state highlighted ("you are here")."""
    header, _, body = diagram(pathway, language, current=current).partition("\n")
    flat = " ".join(description.split())
    return f"{header}\n    accTitle: {title}\n    accDescr: {flat}\n{body}"


@router.get("/pathways/{key}", response_class=HTMLResponse, name="pathway")
def pathway_page(request: Request, key: str, runtime: RuntimeDep) -> Response:
    """A pathway's states and transitions: a diagram (Mermaid, drawn in the browser) and text."""
    try:
        pathway = runtime.pathways.latest(key)
    except KeyError:
        return render(request, "errors/not_found.html", status_code=404)
    language = i18n.request_language(request)
    with i18n.use_language(language):
        title = pathway.definition.title.get(language)
        description = i18n.gettext(
            "A state diagram of the pathway. The same states and transitions are listed as text "
            "below the diagram."
        )
    return render(
        request,
        "pathways/detail.html",
        {
            "pathway": pathway,
            "moves": moves_from(pathway),
            "guards": runtime.guards,
            "diagram": mermaid_source(pathway, language, title, description),
        },
    )


def safe_next(target: str | None) -> str:
    """A local path to return to; anything else (another host, ``//``, ``\\``) becomes ``/``."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or any(ord(c) < 32 for c in target):
        return "/"
    return target


@router.post("/lang/{code}", name="set_language")
def set_language(
    request: Request, code: str, next: Annotated[str | None, Form()] = None
) -> Response:
    """Choose the UI language (a cookie), then go back where the switcher was pressed (303).

    A state change, so a POST form; a public route, so the security layer checks its Origin (no
    session, no token to check: it changes only the visitor's own language cookie);
    it works without JavaScript.
    """
    if code not in i18n.LANGUAGES:
        raise NotFound(f"no language {code!r}")
    response = see_other(safe_next(next))
    response.set_cookie(
        i18n.COOKIE,
        code,
        max_age=LANGUAGE_COOKIE_MAX_AGE,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )
    return response
