"""docs/plugins.md is executed: its python blocks, in order, are one plugin module
(``greeter``) and the blocks that define ``test_*`` functions are its tests, run here
through the real harness. A guide that drifts from the face fails ``make test``."""

import re
import sys
import types
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "plugins.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _blocks() -> tuple[str, list[str]]:
    plugin, tests = [], []
    for block in _BLOCK.findall(GUIDE.read_text(encoding="utf-8")):
        (tests if re.search(r"^async def test_|^def test_", block, re.MULTILINE)
         else plugin).append(block)
    return "\n".join(plugin), tests


def _module() -> types.ModuleType:
    source, _ = _blocks()
    module = types.ModuleType("greeter")
    module.__file__ = str(GUIDE)
    exec(compile(source, f"{GUIDE}:greeter", "exec"), module.__dict__)  # noqa: S102
    return module


def _tests() -> dict[str, object]:
    _, blocks = _blocks()
    sys.modules["greeter"] = _module()
    found: dict[str, object] = {}
    for block in blocks:
        space: dict[str, object] = {}
        exec(compile(block, f"{GUIDE}:tests", "exec"), space)  # noqa: S102
        found.update({k: v for k, v in space.items() if k.startswith("test_")})
    return found


def test_the_guide_has_a_plugin_and_tests():
    source, tests = _blocks()
    assert "@hookimpl" in source and tests
    assert len(_tests()) >= 4


def test_the_guide_plugin_uses_only_the_public_face():
    source, _ = _blocks()
    imported = set(re.findall(r"^(?:from|import) ([\w.]+)", source, re.MULTILINE))
    assert imported <= {"cmbot", "__future__", "math", "datetime"}, imported


@pytest.mark.parametrize("name", sorted(_tests()))
async def test_guide_example(name, cmbot_harness):
    sys.modules["greeter"] = _module()
    await _tests()[name](cmbot_harness)


def test_every_hook_is_in_the_guide_with_its_arguments():
    import inspect

    from cmbot import hookspecs
    guide = GUIDE.read_text(encoding="utf-8")
    missing = []
    for name in hookspecs.all_hook_names():
        spec = getattr(hookspecs, name)
        call = f"`{name}({', '.join(inspect.signature(spec).parameters)})`"
        if call not in guide:
            missing.append(call)
    assert missing == []
