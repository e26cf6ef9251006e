from pathlib import Path

import pytest

from cmbot import Platform, Role, hookimpl
from cmbot.config import ConfigError
from cmbot.plugins import PluginLoadError
from cmbot.testing import make_harness

EXAMPLE_PLUGIN_DIR = Path(__file__).parent / "example_plugin"


def _write_dist(site, module_source: str):
    """A minimal installed distribution with a cmbot.plugins entry point."""
    (site / "cmbot_greeter.py").write_text(module_source)
    info = site / "cmbot_greeter-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cmbot-greeter\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[cmbot.plugins]\ngreeter = cmbot_greeter\n")


@pytest.fixture
def installed_greeter(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    _write_dist(site, (EXAMPLE_PLUGIN_DIR / "cmbot_greeter.py").read_text())
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(__import__("sys").modules, "cmbot_greeter", raising=False)
    return site


async def test_example_plugin_loads_through_the_entry_point_group(cmbot_harness,
                                                                  installed_greeter):
    h = await cmbot_harness(entry_points=True)
    sources = {p.name: p.source for p in h.bot.plugins}
    assert sources["greeter"].startswith("entry point (cmbot-greeter 1.0)")
    sent = await h.say("!hello", platform=Platform.DISCORD)
    assert sent[0].text == "Hello viewer! (greeting #1)"


async def test_entry_point_autoload_can_be_switched_off(cmbot_harness, installed_greeter,
                                                        monkeypatch):
    monkeypatch.setenv("CMBOT_DISABLE_PLUGIN_AUTOLOAD", "1")
    h = await cmbot_harness(entry_points=True)
    assert "greeter" not in {p.name for p in h.bot.plugins}


@pytest.mark.parametrize("platform", [Platform.DISCORD, Platform.TWITCH, Platform.CONSOLE])
async def test_example_plugin_loads_from_a_plugin_folder_and_works_everywhere(
        cmbot_harness, tmp_path, platform):
    folder = tmp_path / "myplugins"
    folder.mkdir()
    (folder / "greeter.py").write_text((EXAMPLE_PLUGIN_DIR / "cmbot_greeter.py").read_text())
    h = await cmbot_harness(f'[bot]\nplugin_dirs = ["{folder}"]\n'
                            '[plugins.greeter]\ngreeting = "Salut"\n')
    assert {p.name: p.source for p in h.bot.plugins}["greeter"] == f"file {folder}/greeter.py"
    assert (await h.say("!hello", platform=platform))[0].text == "Salut viewer! (greeting #1)"
    assert (await h.say("!hello Bob", platform=platform))[0].text == "Salut Bob! (greeting #2)"
    assert (await h.say("good morning all", platform=platform))[0].text == \
        "Good morning, viewer!"
    refused = await h.say("!greeter reset", platform=platform)
    assert "for moderators" in refused[0].text
    ok = await h.say("!greeter reset", platform=platform, role=Role.MODERATOR, user="mo")
    assert ok[0].text == "greeting counts reset"
    assert await h.bot.storage.schema_version("greeter") == 2


async def test_forget_user_reaches_third_party_plugins(cmbot_harness, greeter):
    h = await cmbot_harness(plugins=[("greeter", greeter)])
    await h.say("!hello")
    await h.say("!forgetme")
    assert await h.bot.storage.fetchval("SELECT COUNT(*) FROM greeter_counts") == 0


async def test_a_misspelled_hook_fails_at_load_with_a_suggestion(tmp_path):
    class Typo:
        @hookimpl
        def cmbot_on_mesage(self, ctx, message):
            pass

    with pytest.raises(PluginLoadError, match="'cmbot_on_mesage'.*did you mean 'cmbot_on_message'"):
        await make_harness(tmp_path=tmp_path, plugins=[("typo", Typo())])


async def test_a_hook_with_an_unknown_argument_fails_at_load(tmp_path):
    class BadArgs:
        @hookimpl
        def cmbot_answer(self, ctx, message, colour):
            pass

    with pytest.raises(PluginLoadError, match="(?s)badargs.*colour"):
        await make_harness(tmp_path=tmp_path, plugins=[("badargs", BadArgs())])


async def test_disabled_plugins_are_blocked_before_loading(cmbot_harness, tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "explodes.py").write_text("raise RuntimeError('must never be imported')\n")
    from cmbot.plugins import BUILTIN_PLUGINS
    builtins = ", ".join(f'"{name}"' for name in BUILTIN_PLUGINS)
    h = await cmbot_harness(f'[bot]\nplugin_dirs = ["{folder}"]\n'
                            f'disabled_plugins = ["explodes", {builtins}]\n')
    assert {p.name for p in h.bot.plugins} == set()
    assert h.bot.commands.get("help") is None


async def test_a_broken_plugin_file_is_reported_with_its_path(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "broken.py").write_text("import nonexistent_module_xyz\n")
    with pytest.raises(PluginLoadError, match="broken.py failed to import: ModuleNotFoundError"):
        await make_harness(f'[bot]\nplugin_dirs = ["{folder}"]\n', tmp_path=tmp_path)


async def test_config_for_an_unknown_plugin_key_is_reported_with_file_and_key(tmp_path, greeter):
    with pytest.raises(ConfigError) as err:
        await make_harness('[plugins.greeter]\ngreetin = "Hi"\n', tmp_path=tmp_path,
                           plugins=[("greeter", greeter)])
    assert "[plugins.greeter] unknown key 'greetin'" in str(err.value)
    assert "did you mean 'greeting'" in str(err.value)


async def test_builtin_plugins_import_under_a_project_specific_name(cmbot_harness):
    h = await cmbot_harness()
    [help_plugin] = [p for p in h.bot.plugins if p.name == "help"]
    assert help_plugin.module.__name__ == "cmbot_plugins.help"
    assert help_plugin.source == "builtin"
