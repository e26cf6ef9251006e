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
