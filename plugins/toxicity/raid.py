"""Crisis detection: a burst of flagged or strongly negative lines, or the same line from
many accounts, far above the channel's recent baseline. One alert per burst."""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

MAX_TRACKED_LINES = 5000


@dataclass
class ChannelWatch:
    bad: deque[float] = field(default_factory=deque)
    same: dict[str, OrderedDict[str, float]] = field(default_factory=dict)
    """Per normalised line, its senders by last time, oldest first."""
    baseline: float = 0.0  # bad lines per window, slow moving average
    alerting_until: float = 0.0
    last_update: float = 0.0
    seen: int = 0
    samples: deque[str] = field(default_factory=lambda: deque(maxlen=3))


@dataclass
class RaidDetector:
    window: float = 60.0
    factor: float = 5.0
    minimum: int = 10
    identical_accounts: int = 8
    quiet_after: float = 300.0
    channels: dict[str, ChannelWatch] = field(default_factory=dict)

    def observe(self, channel: str, now: float, *, bad: bool, normalised: str, user: str,
                text: str) -> str | None:
        """Record one line; return an alert text when a burst starts, else None."""
        watch = self.channels.setdefault(channel, ChannelWatch())
        while watch.bad and watch.bad[0] <= now - self.window:
            watch.bad.popleft()
        if now - watch.last_update >= self.window:
            steps = min(30.0, (now - watch.last_update) / self.window) if watch.last_update \
                else 1.0
            for _ in range(int(steps)):
                watch.baseline = 0.9 * watch.baseline + 0.1 * len(watch.bad)
            watch.last_update = now
        if bad:
            watch.bad.append(now)
            watch.samples.append(text[:80])
        alert = None
        if len(normalised) >= 6:
            senders = watch.same.get(normalised)
            if senders is None:
                senders = watch.same[normalised] = OrderedDict()
            senders[user] = now
            senders.move_to_end(user)
            edge = now - self.window
            while next(iter(senders.values())) <= edge:  # oldest first: stop at the first
                senders.popitem(last=False)  # sender still in the window (the newest is)
            if len(senders) >= self.identical_accounts and now >= watch.alerting_until:
                alert = (f"⚠ possible raid: the same message from {len(senders)} accounts in "
                         f"{self.window:.0f}s: “{text[:80]}”")
            watch.seen += 1
            if watch.seen % 500 == 0:  # forget lines that left the window
                edge = now - self.window
                for key in [k for k, v in watch.same.items() if next(reversed(v.values())) <= edge]:
                    del watch.same[key]
                if len(watch.same) > MAX_TRACKED_LINES:  # a flood of distinct lines
                    watch.same.clear()
        rate = len(watch.bad)
        threshold = max(self.minimum, self.factor * watch.baseline)
        if alert is None and rate >= threshold and now >= watch.alerting_until:
            samples = " | ".join(f"“{s}”" for s in watch.samples)
            alert = (f"⚠ possible raid or crisis: {rate} flagged/hostile lines in the last "
                     f"{self.window:.0f}s (usual: {watch.baseline:.1f}). Samples: {samples}")
        if alert:
            watch.alerting_until = now + self.quiet_after
            return alert + " Consider slow mode or shield mode."
        if rate >= threshold:
            watch.alerting_until = max(watch.alerting_until, now + self.window)
        return None
