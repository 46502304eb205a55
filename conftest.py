"""Root conftest: Polku's fixtures (engine.testing, web.testing) for tests/, features/ and
plugin tests.

Polku's own suite tests Polku with the plugins it ships: a plugin installed next to it (an
entry point in group ``polku``) is not loaded by the default runtime, so it cannot change what
these tests see (tests/test_plugin_scaffold.py runs the suite with one installed). Tests that
register a plugin (``runtime_with``) or run the ``polku`` command in a subprocess with their
own settings still load what they ask for.
"""

import gc
import os

import pytest

from engine.plugins import BUILTIN_PLUGINS

os.environ.setdefault("POLKU_PLUGINS", ",".join(BUILTIN_PLUGINS))

pytest_plugins = ["engine.testing", "web.testing"]


#: The message of each test that should be grouped and is not (see the hook below).
_UNGROUPED = pytest.StashKey[str]()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``--dist loadgroup`` (``make test``), every test marked ``xdist_group`` must carry
    its group in its node id, as pytest-xdist tags it on the worker: that tag is all the
    scheduler groups by. On pytest 9.2 the tag silently stopped taking (pytest-xdist#1386), and
    each browser module's tests and the timing-sensitive ``concurrency`` group were scattered
    over the workers; such a test now fails, saying why."""
    if not getattr(config.option, "loadgroup", False):  # set on xdist workers only
        return
    for item in items:
        marks = item.iter_markers("xdist_group")
        names = sorted(
            {str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in marks}
        )
        if names and not item.nodeid.endswith("@" + "_".join(names)):
            item.stash[_UNGROUPED] = (
                f"not grouped ({', '.join(names)}): pytest-xdist's --dist loadgroup does not "
                f"work with pytest {pytest.__version__} (pytest-xdist#1386); install the locked "
                "versions (`make install`, constraints.txt)"
            )


def pytest_runtest_setup(item: pytest.Item) -> None:
    if _UNGROUPED in item.stash:
        pytest.fail(item.stash[_UNGROUPED], pytrace=False)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Everything made before the first test (modules, the models' metadata, the collected
    tests: some 240 000 objects) goes to the collector's permanent generation (``gc.freeze``):
    it lives to the end of the run anyway, and every full collection walked it again. A test
    allocates far more than CPython's default thresholds (700, 10, 10) expect, so collections
    run less often: all of them together took ~30 s of each worker's CPU, now ~15 s."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 50)
