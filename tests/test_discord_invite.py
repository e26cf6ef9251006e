"""``cmbot discord-invite APP_ID``: the invite link with the bot and applications.commands
scopes and exactly the permissions the bot uses; a wrong APP_ID gets a clear error that
never repeats what was pasted (it may be a token)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from cmbot.cli import main
from cmbot.platforms.discord import invite, invite_url

ROOT = Path(__file__).resolve().parent.parent
APP_ID = "1234567890123456789"
# The bits from Discord's permission table, written out independently of discord.py.
EXPECTED_BITS = {
    "VIEW_CHANNEL": 1 << 10, "SEND_MESSAGES": 1 << 11, "MANAGE_MESSAGES": 1 << 13,
    "EMBED_LINKS": 1 << 14, "ATTACH_FILES": 1 << 15, "READ_MESSAGE_HISTORY": 1 << 16,
    "SEND_MESSAGES_IN_THREADS": 1 << 38, "MODERATE_MEMBERS": 1 << 40,
    "CREATE_EVENTS": 1 << 44,
}
NEVER = {"ADMINISTRATOR": 1 << 3, "MANAGE_GUILD": 1 << 5, "MANAGE_ROLES": 1 << 28,
         "MENTION_EVERYONE": 1 << 17, "MANAGE_EVENTS": 1 << 33, "KICK_MEMBERS": 1 << 1,
         "MANAGE_CHANNELS": 1 << 4}
BAN_MEMBERS = 1 << 2


def _query(url: str) -> dict[str, list[str]]:
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "discord.com",
                                                        "/oauth2/authorize")
    return parse_qs(parts.query)


def test_the_link_has_both_scopes_and_exactly_the_permissions_the_bot_uses():
    query = _query(invite_url(APP_ID))
    assert query["client_id"] == [APP_ID]
    assert query["scope"] == ["bot applications.commands"]
    value = int(query["permissions"][0])
    assert value == sum(EXPECTED_BITS.values())
    assert not value & sum(NEVER.values()) and not value & BAN_MEMBERS


def test_ban_members_only_when_asked():
    value = int(_query(invite_url(APP_ID, ban=True))["permissions"][0])
    assert value == sum(EXPECTED_BITS.values()) | BAN_MEMBERS


def test_the_cli_prints_the_link_first_then_each_permission_with_its_reason(capsys):
    assert main(["discord-invite", APP_ID]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == invite_url(APP_ID)
    for reason in invite.PERMISSIONS.values():
        assert f"  - {reason}" in out
    assert any("--ban" in line for line in out)
    assert main(["discord-invite", APP_ID, "--ban"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == invite_url(APP_ID, ban=True) and "  - " + invite.BAN["ban_members"] in out


@pytest.mark.parametrize(("app_id", "says"), [
    ("abc", "digits only"),
    ("", "digits only"),
    ("-123456789012345678", "digits only"),
    ("１２３４５６７８９０１２３４５６７８", "digits only"),  # full-width digits
    ("1234", "17 to 20 digits"),
    ("123456789012345678901", "17 to 20 digits"),
    (str(2**64), "17 to 20 digits"),
    ("MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789", "bot token"),
])
def test_a_wrong_app_id_is_refused_with_what_to_paste(app_id, says, capsys):
    assert main(["discord-invite", app_id]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert says in captured.err and "Application ID" in captured.err
    if app_id:
        assert app_id not in captured.err  # never echoed: it may be a secret


def test_the_largest_and_smallest_snowflakes_are_accepted():
    assert invite.application_id(str(2**64 - 1)) == 2**64 - 1
    assert invite.application_id(" 10000000000000000 ") == 10**16


def test_the_readme_link_is_the_one_the_command_prints():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"https://discord\.com/oauth2/authorize\?[^`\s)]+", readme)
    assert links, "README shows the invite link"
    for link in links:
        assert link == invite_url(APP_ID).replace(APP_ID, "APP_ID")
    assert "cmbot discord-invite APP_ID" in readme
