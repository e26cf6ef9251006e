from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
SHARED = TESTS.parent.parent / "shared"
EXAMPLE_PLUGIN_DIR = TESTS / "example_plugin"


@pytest.fixture
def greeter():
    """The example third-party plugin module, imported fresh."""
    sys.path.insert(0, str(EXAMPLE_PLUGIN_DIR))
    try:
        import cmbot_greeter
        yield cmbot_greeter
    finally:
        sys.path.remove(str(EXAMPLE_PLUGIN_DIR))
        sys.modules.pop("cmbot_greeter", None)
