"""Root conftest: Polku's fixtures (engine.testing) for tests/, features/ and plugin tests."""

pytest_plugins = ["engine.testing"]
