"""The web application: FastAPI app factory, routers, templates (jinja2-fragments), static assets,
translations. May import ``engine``; holds no business rules (those live in the engine)."""
