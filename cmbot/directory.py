"""Where things are: plugin settings per channel, communities, scopes, time zones, and
config channel references resolved through the connected platforms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .config import Config, Setting
from .model import Channel, Community, Platform
from .platforms.base import PlatformAdapter


class Directory:
    """Config lookups, worked out once per channel (they run on every message)."""

    def __init__(self, config: Config, adapters: Mapping[Platform, PlatformAdapter]) -> None:
        self.config = config
        self.adapters = adapters
        self.schemas: dict[str, dict[str, Setting]] = {}
        self._settings: dict[tuple[str, str], dict[str, Any]] = {}
        self._communities: dict[str, Community | None] = {}
        self._channels: dict[str, Channel] = {}

    @property
    def communities(self) -> Sequence[Community]:
        return self.config.communities

    def plugin_settings(self, plugin: str) -> dict[str, Any]:
        """``[plugins.X]`` over the plugin's schema defaults."""
        values = {k: s.default for k, s in self.schemas.get(plugin, {}).items()}
        values.update(self.config.plugins.get(plugin, {}))
        return values

    def settings(self, plugin: str, channel: Channel) -> dict[str, Any]:
        """Plugin config for a channel: channel > platform > [plugins.X] > defaults."""
        key = (plugin, channel.key)
        cached = self._settings.get(key)
        if cached is not None:
            return cached
        values = self.plugin_settings(plugin)
        overrides = self.config.channel_overrides
        values.update(overrides.get(channel.platform.value, {}).get(plugin, {}))
        complete = self.complete(channel)
        for ref, per_plugin in overrides.items():
            if ":" in ref and any(complete.matches(b) for b in self.bind(ref)):
                values.update(per_plugin.get(plugin, {}))
        self._settings[key] = values
        return values

    def community_of(self, channel: Channel) -> Community | None:
        key = channel.key
        if key not in self._communities:
            self._communities[key] = self.config.community_of(self.complete(channel),
                                                              self.bind)
        return self._communities[key]

    def scope_of(self, channel: Channel) -> str:
        community = self.community_of(channel)
        return f"community:{community.name}" if community else channel.key

    def timezone_of(self, channel: Channel) -> str:
        community = self.community_of(channel)
        return community.timezone if community else str(self.config.bot["timezone"])

    def language_of(self, channel: Channel) -> str:
        community = self.community_of(channel)
        return community.language if community else str(self.config.bot["language"])

    def complete(self, channel: Channel) -> Channel:
        """A stored channel completed by its platform (:meth:`PlatformAdapter.complete`)."""
        adapter = self.adapters.get(channel.platform)
        return adapter.complete(channel) if adapter is not None else channel

    def bind(self, ref: str) -> list[str]:
        """A config reference as the references it means on its connected platform
        (:meth:`PlatformAdapter.bind`): a bare Discord name only in configured servers."""
        try:
            adapter = self.adapters.get(Platform(ref.partition(":")[0]))
        except ValueError:
            return [ref]
        return adapter.bind(ref) if adapter is not None else [ref]

    def resolve_channel(self, ref: str) -> Channel | None:
        """A config reference (``discord:mod-log``) as a Channel, via its adapter."""
        if ref in self._channels:
            return self._channels[ref]
        platform_name, _, name = ref.partition(":")
        try:
            adapter = self.adapters.get(Platform(platform_name))
        except ValueError:
            return None
        channel = adapter.channel(name) if adapter else None
        if channel is not None:
            self._channels[ref] = channel
        return channel

    def community_channels(self, community: Community, kind: str = "channels") -> list[Channel]:
        """A community's ``channels``, ``mod_channels`` or ``announce_channels``."""
        if kind not in ("channels", "mod_channels", "announce_channels"):
            raise ValueError(f"kind must be channels, mod_channels or announce_channels, "
                             f"not {kind!r}")
        refs: Sequence[str] = getattr(community, kind)
        return [c for c in (self.resolve_channel(r) for r in refs) if c is not None]
