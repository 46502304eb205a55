"""Pages and fragments from one template per URL (jinja2-fragments), the htmx way.

- A normal request gets the full page. An htmx request (``HX-Request: true``) that is neither a
  history restore (``HX-History-Restore-Request``) nor boosted (``HX-Boosted``) gets only the
  named block. Every answer carries ``Vary: HX-Request`` (and ``Accept-Language, Cookie``, since
  the language follows them), so no cache hands a fragment to a page load or the other way round.
- A block is named after the DOM id of the element it replaces, and contains that element:
  ``{% block main %}<main id="main">...</main>{% endblock %}``. Block names are identifiers, so
  swappable ids are snake_case.
- Navigating (the ``main`` block) also sends the page ``<title>`` and the layout's ``site_nav``
  out of band, so the current-page marker and the language switcher's return address follow.
- A POST answers htmx with the changed blocks (the first in place, the others out of band:
  ``oob`` is true while they render, and the template adds ``hx-swap-oob="true"``), and a plain
  form post with a 303 redirect (:func:`see_other`, :meth:`Renderer.answer_post`).

``HX-Request`` only chooses page or fragment; it never decides authorisation, CSRF or logging.
Autoescaping is on for every template; user text never goes into an ``hx-*`` attribute.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2_fragments import render_block
from jinja2_fragments.fastapi import Jinja2Blocks
from starlette.responses import HTMLResponse, RedirectResponse, Response

from engine.dates import MAX_AGE, MIN_AGE
from engine.journeys import IRREVERSIBLE
from web import i18n, navigation
from web.assets import DEVELOPMENT, static_url

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
LAYOUT = "base.html"
#: The block a navigation swaps; it brings the title and the layout's OOB blocks along.
MAIN = "main"
#: Blocks of the layout sent out of band with every ``main`` fragment.
LAYOUT_OOB_BLOCKS: tuple[str, ...] = ("site_header",)
VARY = ("HX-Request", "Accept-Language", "Cookie")
#: An out-of-band block: a block of the same template, or (template, block).
OobBlock = str | tuple[str, str]


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def wants_fragment(request: Request) -> bool:
    """An htmx request that is not a history restore and not boosted: answer with a block."""
    return (
        is_htmx(request)
        and request.headers.get("hx-history-restore-request") != "true"
        and request.headers.get("hx-boosted") != "true"
    )


def add_vary(response: Response, *fields: str) -> Response:
    present = [v.strip() for v in response.headers.get("vary", "").split(",") if v.strip()]
    for name in fields:
        if name.lower() not in {p.lower() for p in present}:
            present.append(name)
    response.headers["Vary"] = ", ".join(present)
    return response


def see_other(url: str) -> RedirectResponse:
    """The answer to a plain form post: 303, so the browser GETs ``url`` (no resubmit on reload)."""
    response = RedirectResponse(url, status_code=303)
    add_vary(response, "HX-Request")
    return response


def csrf_token(request: Request) -> str:
    """The request's CSRF token, set on ``request.state.csrf_token`` when the request is
    authenticated with a session (web/security.py); empty for anonymous visitors. Templates put
    it in ``<meta name="csrf-token">`` (htmx sends it as ``X-CSRF-Token``) and in every POST
    form's hidden ``csrf_token`` field.
    """
    return str(getattr(request.state, "csrf_token", "") or "")


def make_environment(directory: Path | Sequence[Path] = TEMPLATE_DIR) -> Environment:
    env = Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
        # Templates change only on a deploy (a restart), except in development: elsewhere no
        # request stats the template files of its page (every extends, include and import).
        auto_reload=DEVELOPMENT,
        cache_size=-1,  # every template stays compiled (the default keeps 400)
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext,
        ngettext=i18n.ngettext,
        pgettext=i18n.pgettext,
        npgettext=i18n.npgettext,
        newstyle=True,
    )
    env.filters.update(i18n.FILTERS)
    env.globals.update(
        static_url=static_url,
        csrf_token=csrf_token,
        LANGUAGES=i18n.LANGUAGES,
        LANGUAGE_NAMES=i18n.LANGUAGE_NAMES,
        IRREVERSIBLE=IRREVERSIBLE,
        MIN_AGE=MIN_AGE,
        MAX_AGE=MAX_AGE,
        menu_of=navigation.menu_of,
        home_of=navigation.home_of,
        ROLE_NAMES=navigation.ROLE_NAMES,
    )
    return env


class Renderer:
    """Renders a template as a page or as blocks, in the request's language."""

    def __init__(
        self,
        templates: Jinja2Blocks,
        *,
        layout: str = LAYOUT,
        layout_oob_blocks: Iterable[str] = LAYOUT_OOB_BLOCKS,
    ) -> None:
        self.templates = templates
        self.env: Environment = templates.env
        self.layout = layout
        self.layout_oob_blocks = tuple(layout_oob_blocks)

    def context(self, request: Request, context: Mapping[str, Any] | None) -> dict[str, Any]:
        language = i18n.request_language(request)
        values: dict[str, Any] = {"request": request, "lang": language, "oob": False}
        values.update(context or {})
        return values

    def _block(self, template: str, block: str, context: Mapping[str, Any], *, oob: bool) -> str:
        return render_block(self.env, template, block, {**context, "oob": oob})

    def _title(self, template: str, context: Mapping[str, Any]) -> str:
        if "title" not in self.env.get_template(template).blocks:
            return ""
        title = self._block(template, "title", context, oob=False).strip()
        return f"<title>{title}</title>" if title else ""

    def _respond(
        self,
        request: Request,
        html: str,
        language: str,
        status_code: int,
        headers: Mapping[str, str] | None,
    ) -> HTMLResponse:
        response = HTMLResponse(html, status_code=status_code, headers=headers)
        response.headers["Content-Language"] = language
        add_vary(response, *VARY)
        return response

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        block: str = MAIN,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        """The full page, or for an htmx request ``block`` (with title and layout OOB blocks
        when it is ``main``)."""
        ctx = self.context(request, context)
        with i18n.use_language(ctx["lang"]) as language:
            if not wants_fragment(request):
                html = self.env.get_template(template).render(ctx)
            else:
                parts = [self._block(template, block, ctx, oob=False)]
                if block == MAIN:
                    parts.append(self._title(template, ctx))
                    parts += [
                        self._block(self.layout, b, ctx, oob=True) for b in self.layout_oob_blocks
                    ]
                html = "".join(parts)
        return self._respond(request, html, language, status_code, headers)

    def render_blocks(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        block: str,
        oob: Sequence[OobBlock] = (),
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        """``block`` (swapped into the request's target) plus ``oob`` blocks out of band: a
        block name of ``template``, or ``(other template, block)`` (a partial's page)."""
        ctx = self.context(request, context)
        with i18n.use_language(ctx["lang"]) as language:
            parts = [self._block(template, block, ctx, oob=False)]
            parts += [
                self._block(*(b if isinstance(b, tuple) else (template, b)), ctx, oob=True)
                for b in oob
            ]
            html = "".join(parts)
        return self._respond(request, html, language, status_code, headers)

    def answer_post(
        self,
        request: Request,
        *,
        redirect_to: str,
        template: str,
        context: Mapping[str, Any] | None = None,
        block: str,
        oob: Sequence[OobBlock] = (),
    ) -> Response:
        """After a successful POST: htmx gets the changed blocks, a plain form post a 303."""
        if wants_fragment(request):
            return self.render_blocks(request, template, context, block=block, oob=oob)
        return see_other(redirect_to)


templates = Jinja2Blocks(env=make_environment())
renderer = Renderer(templates)
render = renderer.render
render_blocks = renderer.render_blocks
answer_post = renderer.answer_post
