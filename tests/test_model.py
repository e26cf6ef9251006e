import pytest

from cmbot import Channel, Platform, Role


def test_roles_are_ordered_from_everyone_to_broadcaster():
    assert Role.EVERYONE < Role.SUBSCRIBER < Role.VIP < Role.MODERATOR < Role.BROADCASTER


@pytest.mark.parametrize("text,role", [("viewer", Role.EVERYONE), ("sub", Role.SUBSCRIBER),
                                       ("VIP", Role.VIP), ("mod", Role.MODERATOR),
                                       ("streamer", Role.BROADCASTER)])
def test_role_names_users_type_are_understood(text, role):
    assert Role.parse(text) is role


def test_unknown_role_names_the_choices():
    with pytest.raises(ValueError, match="expected one of: .*moderator"):
        Role.parse("king")


def test_channel_refs_match_by_name_or_id_and_platform():
    chan = Channel(Platform.DISCORD, "1234", "general")
    assert chan.matches("discord:general") and chan.matches("discord:1234")
    assert chan.matches("discord:#General")
    assert not chan.matches("twitch:general")
    assert chan.key == "discord:1234"


def test_a_discord_channel_is_named_by_name_only_together_with_its_server():
    chan = Channel(Platform.DISCORD, "1234", "general", guild="1000")
    assert chan.matches("discord:1234"), "an id is unique across servers"
    assert chan.matches("discord:1000/general") and chan.matches("discord:1000/#General")
    assert chan.matches("discord:1000/*") and chan.matches("discord:1000/1234")
    assert not chan.matches("discord:general"), "another server may have a #general"
    assert not chan.matches("discord:*")
    assert not chan.matches("discord:5000/general") and not chan.matches("discord:5000/*")
    impostor = Channel(Platform.DISCORD, "6002", "1234", guild="5000")
    assert not impostor.matches("discord:1234"), "a channel named like an id is not it"
    assert chan.key == "discord:1234"
    assert Channel.from_dict(chan.to_dict()) == chan
    assert Channel.from_dict({"platform": "discord", "id": "1", "name": "x"}).guild == ""
