"""The shape the code keeps: plugins speak only the public face, the core has no import
cycle, and no module grows past 400 lines."""

import ast
from pathlib import Path

import cmbot

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = {"cmbot", "cmbot.testing"}  # the face, and the harness published for plugin tests
MAX_LINES = 400


def _sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _runtime_imports(tree: ast.Module) -> list[ast.ImportFrom | ast.Import]:
    """Imports that run when the module loads (not under ``if TYPE_CHECKING:``)."""
    found: list[ast.ImportFrom | ast.Import] = []

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.append(node)
            elif isinstance(node, ast.If):
                if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
    visit(tree.body)
    return found


def test_plugins_import_only_the_public_face():
    wrong = []
    for path in _sources("plugins") + _sources("tests/example_plugin"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                    and node.module.split(".")[0] == "cmbot":
                if node.module not in PUBLIC:
                    wrong.append(f"{path.relative_to(ROOT)}: from {node.module}")
                elif node.module == "cmbot":
                    wrong += [f"{path.relative_to(ROOT)}: {a.name} is not in cmbot.__all__"
                              for a in node.names if a.name not in cmbot.__all__]
            elif isinstance(node, ast.Import):
                wrong += [f"{path.relative_to(ROOT)}: import {a.name}" for a in node.names
                          if a.name.split(".")[0] in {"cmbot", "discord", "twitchio"}
                          and a.name not in PUBLIC]
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                    and node.module.split(".")[0] in {"discord", "twitchio"}:
                wrong.append(f"{path.relative_to(ROOT)}: from {node.module}")
    assert wrong == []


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def test_the_core_has_no_import_cycle():
    graph: dict[str, set[str]] = {}
    for path in _sources("cmbot"):
        name = _module_name(path)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        targets = graph.setdefault(name, set())
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                candidates = [module] + [f"{module}.{a.name}" for a in node.names]
            else:
                candidates = [a.name for a in node.names]
            targets.update(c for c in candidates if c.startswith("cmbot") and c != name)
    graph = {k: {t for t in v if t in graph and t != "cmbot"} for k, v in graph.items()}
    cycles = []
    state: dict[str, int] = {}

    def walk(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(trail[trail.index(nxt):] + [node, nxt]))
            elif nxt not in state:
                walk(nxt, trail + [node])
        state[node] = 2
    for node in sorted(graph):
        if node not in state:
            walk(node, [])
    assert cycles == []


# Modules still being split (issue 15): each split removes its line; the set must shrink
# to empty, and a module that is split but still listed fails the test too.
NOT_YET_SPLIT: set[str] = set()


def test_no_module_is_longer_than_400_lines():
    long = {str(p.relative_to(ROOT)) for folder in ("cmbot", "plugins")
            for p in _sources(folder)
            if len(p.read_text(encoding="utf-8").splitlines()) > MAX_LINES}
    assert long == NOT_YET_SPLIT
