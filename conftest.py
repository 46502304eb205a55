"""Root conftest: Polku's fixtures (engine.testing, web.testing) for tests/, features/ and
plugin tests.

Polku's own suite tests Polku with the plugins it ships: a plugin installed next to it (an
entry point in group ``polku``) is not loaded by the default runtime, so it cannot change what
these tests see (tests/test_plugin_scaffold.py runs the suite with one installed). Tests that
register a plugin (``runtime_with``) or run the ``polku`` command in a subprocess with their
own settings still load what they ask for.
"""

import os

from engine.plugins import BUILTIN_PLUGINS

os.environ.setdefault("POLKU_PLUGINS", ",".join(BUILTIN_PLUGINS))

pytest_plugins = ["engine.testing", "web.testing"]
