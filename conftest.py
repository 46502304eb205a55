"""Root conftest: Polku's fixtures (engine.testing, web.testing) for tests/, features/ and
plugin tests."""

pytest_plugins = ["engine.testing", "web.testing"]
