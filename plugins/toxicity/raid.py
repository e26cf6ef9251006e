"""Crisis detection: a burst of flagged or strongly negative lines, or the same line from
many accounts, far above the channel's recent baseline. One alert per burst."""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

MAX_TRACKED_PAIRS = 2000
"""Per channel, the (line, sender) pairs kept for the identical-line check: the newest
ones within the window. A raid of 8 accounts is far inside the last 2,000 lines, and a
flood of distinct lines in every channel cannot grow memory past ~0.5 MB a channel."""


@dataclass
class ChannelWatch:
    bad: deque[float] = field(default_factory=deque)
    pairs: OrderedDict[tuple[int, str], float] = field(default_factory=OrderedDict)
    """(hash of the normalised line, sender) -> last time, oldest first."""
    senders: dict[int, int] = field(default_factory=dict)
    """Per line hash, how many distinct senders ``pairs`` holds for it."""
    oldest: float = float("-inf")  # no pair in ``pairs`` is older than this
    baseline: float = 0.0  # bad lines per window, slow moving average
    alerting_until: float = 0.0
    last_update: float = 0.0
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
        watch = self.channels.get(channel)
        if watch is None:
            watch = self.channels[channel] = ChannelWatch()
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
            line = hash(normalised)  # fixed size whatever the line's length
            pairs, senders = watch.pairs, watch.senders
            key = (line, user)
            if key in pairs:
                pairs.move_to_end(key)
            else:
                senders[line] = senders.get(line, 0) + 1
            pairs[key] = now
            edge = now - self.window
            # ``oldest`` is a lower bound of the first pair's time (a pair only moves to the
            # end with a newer time): most lines expire nothing and skip the loop
            if watch.oldest <= edge or len(pairs) > MAX_TRACKED_PAIRS:
                while len(pairs) > MAX_TRACKED_PAIRS or next(iter(pairs.values())) <= edge:
                    (old, _), _ = pairs.popitem(last=False)  # oldest first
                    left = senders[old] - 1
                    if left:
                        senders[old] = left
                    else:
                        del senders[old]
                watch.oldest = next(iter(pairs.values()))  # the line just added is kept
            count = senders[line]
            if count >= self.identical_accounts and now >= watch.alerting_until:
                alert = (f"⚠ possible raid: the same message from {count} accounts in "
                         f"{self.window:.0f}s: “{text[:80]}”")
        rate = len(watch.bad)
        if alert is None and rate < self.minimum:  # no burst: the usual case, done
            return None
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
