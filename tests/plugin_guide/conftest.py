"""The plugin guide's example (docs/plugins.md, "Write a plugin for your municipality"): the
module a reader ends up with and its tests, run by Polku's suite exactly as the guide shows
them (tests/test_plugin_guide.py keeps the guide and these files in step)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
