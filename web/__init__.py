"""The web application: FastAPI app factory, routers, templates (jinja2-fragments), static assets,
translations. May import ``engine``; holds no business rules (those live in the engine).

HTML side (see docs/ui.md): ``templating`` (page or fragment), ``i18n`` (fi/sv/en), ``assets``
(``/static``), ``pages`` (public pages); the JSON API is ``web.api``."""
