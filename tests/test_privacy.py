"""``!forgetme`` is a core command: no plugin's absence takes the right to erasure away."""

from pathlib import Path

import pytest

from cmbot import Role, hookimpl
from cmbot.cli import main
from cmbot.plugins import BUILTIN_PLUGINS, PluginLoadError
from cmbot.testing import make_harness

ROOT = Path(__file__).parent.parent
MOD = {"role": Role.MODERATOR, "user": "mo"}


def _example(tmp_path, disabled):
    text = (ROOT / "bot.example.toml").read_text()
    assert "disabled_plugins = []" in text
    names = ", ".join(f'"{n}"' for n in disabled)
    text = text.replace("disabled_plugins = []", f"disabled_plugins = [{names}]")
    text = text.replace('database = "cmbot.db"', f'database = "{tmp_path / "c.db"}"')
    path = tmp_path / "bot.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("disabled", [["help"], *([n] for n in BUILTIN_PLUGINS),
                                      list(BUILTIN_PLUGINS)], ids=str)
def test_the_example_config_passes_check_config_whatever_plugin_is_disabled(
        tmp_path, capsys, disabled):
    """The example's own hint (``disabled_plugins = ["help"]``) used to fail with
    "'forgetme' is not a loaded command": its [permissions] names the core command."""
    assert main(["check-config", str(_example(tmp_path, disabled))]) == 0, \
        capsys.readouterr().err


def test_cmbot_plugins_lists_forgetme_as_a_core_command(tmp_path, capsys):
    assert main(["plugins", "-c", str(_example(tmp_path, ["help"]))]) == 0
    out = capsys.readouterr().out
    core = out.split("\n\n")[0].split("toxicity  [")[0]
    assert core.startswith("cmbot  [core") and "!forgetme" in core


class Spy:
    def __init__(self):
        self.forgotten = []

    @hookimpl
    async def cmbot_forget_user(self, bot, user_key):
        self.forgotten.append(user_key)


async def test_forgetme_without_the_help_plugin_reaches_every_plugin(cmbot_harness):
    spy = Spy()
    h = await cmbot_harness('[bot]\ndisabled_plugins = ["help"]\n'
                            '[permissions]\n"forgetme" = "everyone"\n',
                            plugins=[("spy", spy)])
    assert h.bot.commands.get("help") is None
    db = h.bot.storage
    await h.say('!poll start "Best map?" Dust Mirage duration:5m', **MOD)
    await h.say("!vote 1", user="ann")
    await h.say("!feedback more maps please", user="ann")
    await h.say("you are trash", user="ann")
    assert await db.fetchval("SELECT user_name FROM tox_flags") == "ann"
    await h.say("!faq add rules Be kind to each other", **MOD)
    reply = (await h.say("!forgetme", user="ann"))[0].text
    assert reply.startswith("Done: what the bot stored about you has been deleted.")
    assert "kept, with your name replaced by a pseudonym" in reply
    assert spy.forgotten == ["twitch:ann"]
    assert await db.fetchval("SELECT COUNT(*) FROM poll_votes") == 0  # polls
    assert await db.fetchval("SELECT COUNT(*) FROM feedback") == 0  # polls (feedback)
    assert (await db.fetchval("SELECT user_name FROM tox_flags")).startswith("forgotten-")
    await h.say("!forgetme", **MOD)
    assert spy.forgotten == ["twitch:ann", "twitch:mo"]
    assert await db.fetchval("SELECT created_by FROM faq_entries") is None  # faq


async def test_forgetme_is_there_with_no_plugin_at_all(cmbot_harness):
    spy = Spy()
    h = await cmbot_harness(plugins=[("spy", spy)], builtins=False)
    sent = await h.say("!forgetme", user="ann")
    assert sent[0].text.startswith("Done:") and spy.forgotten == ["twitch:ann"]


async def test_a_plugin_cannot_take_the_core_name_or_its_commands(tmp_path):
    from cmbot import Command

    class Squatter:
        @hookimpl
        def cmbot_commands(self):
            async def nothing(ctx):
                return "nothing forgotten"
            return [Command("forgetme", "pretend to forget", nothing)]

    with pytest.raises(PluginLoadError, match="core command"):
        await make_harness(tmp_path=tmp_path, plugins=[("squatter", Squatter())])
    with pytest.raises(PluginLoadError, match="may not be called 'cmbot'"):
        await make_harness(tmp_path=tmp_path / "b", plugins=[("cmbot", Spy())])
