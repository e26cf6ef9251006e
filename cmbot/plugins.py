"""Finding and registering plugins: built-ins, the ``cmbot.plugins`` entry-point group,
and ``*.py`` files or packages in configured folders. Disabled names are blocked first."""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pluggy

from . import hookspecs
from .registry import CORE

ENTRY_POINT_GROUP = "cmbot.plugins"
BUILTIN_PACKAGE = "cmbot_plugins"
BUILTIN_PLUGINS: tuple[str, ...] = ("help", "toxicity", "faq", "polls", "announcements")
AUTOLOAD_ENV = "CMBOT_DISABLE_PLUGIN_AUTOLOAD"


class PluginLoadError(Exception):
    """A plugin could not be loaded; the message names the plugin and the fix."""


@dataclass(frozen=True)
class PluginInfo:
    name: str
    source: str  # "builtin", "entry point (dist x.y)", "file /path"
    module: object


def get_plugin_manager() -> pluggy.PluginManager:
    """A fresh plugin manager with cmbot's hook specs (no global instance)."""
    pm = pluggy.PluginManager("cmbot")
    pm.add_hookspecs(hookspecs)
    return pm


def _suggest(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(options), n=1)
    return f"did you mean {close[0]!r}? " if close else ""


def _register(pm: pluggy.PluginManager, module: object, name: str) -> None:
    if name == CORE:
        raise PluginLoadError(f"a plugin may not be called {CORE!r} (the core's own name); "
                              f"rename it")
    if pm.get_plugin(name) is not None:
        raise PluginLoadError(f"two plugins are called {name!r}; rename one or add it to "
                              f"[bot] disabled_plugins")
    try:
        pm.register(module, name)
    except pluggy.PluginValidationError as exc:
        raise PluginLoadError(f"plugin {name!r}: {exc}") from None
    except ValueError:  # the same object under a second name (an entry point and a file)
        other = pm.get_name(module)
        raise PluginLoadError(f"plugin {name!r} is also loaded as {other!r}; install it "
                              f"once, or add one name to [bot] disabled_plugins") from None


def _import_file(path: Path, name: str) -> ModuleType:
    if path.is_dir():
        init = path / "__init__.py"
        spec = importlib.util.spec_from_file_location(
            f"cmbot_local_plugins.{name}", init, submodule_search_locations=[str(path)])
    else:
        spec = importlib.util.spec_from_file_location(f"cmbot_local_plugins.{name}", path)
    if spec is None or spec.loader is None:
        raise PluginLoadError(f"cannot import plugin file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(spec.name, None)
        raise PluginLoadError(f"plugin file {path} failed to import: "
                              f"{type(exc).__name__}: {exc}") from exc
    return module


def load_plugins(pm: pluggy.PluginManager, *, disabled: Iterable[str] = (),
                 plugin_dirs: Iterable[str | Path] = (),
                 extra: Iterable[tuple[str, object]] = (), builtins: bool = True,
                 entry_points: bool = True, problems: list[str] | None = None
                 ) -> list[PluginInfo]:
    """Load every plugin source in order and validate hook names. Returns what loaded;
    a disabled name no plugin has is raised, or added to ``problems``."""
    disabled = list(disabled)
    for name in disabled:
        pm.set_blocked(name)
    loaded: list[PluginInfo] = []
    known: set[str] = set()  # every plugin name offered, disabled or not
    if builtins:
        known.update(BUILTIN_PLUGINS)
        for name in BUILTIN_PLUGINS:
            if pm.is_blocked(name):
                continue
            module = importlib.import_module(f"{BUILTIN_PACKAGE}.{name}")
            _register(pm, module, name)
            loaded.append(PluginInfo(name, "builtin", module))
    if entry_points and not os.environ.get(AUTOLOAD_ENV):
        before = {name for name, _ in pm.list_name_plugin()}
        known.update(ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))
        try:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        except pluggy.PluginValidationError as exc:
            raise PluginLoadError(f"entry-point plugin: {exc}") from None
        dists = {id(p): d for p, d in pm.list_plugin_distinfo()}
        for name, plugin in pm.list_name_plugin():
            if name not in before:
                dist = dists.get(id(plugin))
                where = (f"entry point ({dist.project_name} {dist.version})" if dist
                         else "entry point")
                loaded.append(PluginInfo(name, where, plugin))
    for folder in plugin_dirs:
        path = Path(folder)
        if not path.is_dir():
            raise PluginLoadError(f"plugin folder {path} does not exist; create it or remove "
                                  f"it from [bot] plugin_dirs")
        candidates = sorted(p for p in path.iterdir()
                            if (p.suffix == ".py" or (p / "__init__.py").is_file())
                            and not p.name.startswith(("_", ".")))
        known.update(file.stem for file in candidates)
        for file in candidates:
            name = file.stem
            if pm.is_blocked(name):
                continue
            module = _import_file(file, name)
            _register(pm, module, name)
            loaded.append(PluginInfo(name, f"file {file}", module))
    for name, inline in extra:
        known.add(name)
        if pm.is_blocked(name):
            continue
        _register(pm, inline, name)
        loaded.append(PluginInfo(name, "inline", inline))
    unknown = [f"[bot] disabled_plugins: no plugin is called {name!r}. Fix: "
               f"{_suggest(name, known)}plugins: {', '.join(sorted(known))}"
               for name in disabled if name not in known]
    if unknown and problems is None:
        raise PluginLoadError(unknown[0])
    if problems is not None:
        problems += unknown
    check_hook_names(pm)
    return loaded


def check_hook_names(pm: pluggy.PluginManager) -> None:
    """Fail loudly on an implementation of a hook that does not exist (a typo)."""
    known = hookspecs.all_hook_names()
    problems = []
    for hook_name in dir(pm.hook):
        if hook_name.startswith("_"):
            continue
        caller = getattr(pm.hook, hook_name)
        if caller.has_spec():
            continue
        for impl in caller.get_hookimpls():
            plugin = pm.get_name(impl.plugin)
            close = difflib.get_close_matches(hook_name, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known hooks: {', '.join(known)}"
            problems.append(f"plugin {plugin!r} implements unknown hook {hook_name!r}; {hint}")
    if problems:
        raise PluginLoadError("\n".join(problems))
    pm.check_pending()


def hooks_of(pm: pluggy.PluginManager, name: str) -> list[str]:
    """The hook names a registered plugin implements."""
    plugin = pm.get_plugin(name)
    return sorted(caller.name for caller in (pm.get_hookcallers(plugin) or []))
