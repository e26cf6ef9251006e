"""Poll results as text: counts, percentages and a bar chart that reads on any platform."""

from __future__ import annotations

from .store import Poll

BAR_WIDTH = 10


def bar(share: float, width: int = BAR_WIDTH) -> str:
    filled = round(share * width)
    return "█" * filled + "░" * (width - filled)


def results(poll: Poll, per_option: dict[int, int], per_platform: dict[str, int],
            voters: int, *, final: bool) -> str:
    total = sum(per_option.values())
    head = f"📊 Poll #{poll.id} {'results' if final else 'so far'}: {poll.question}"
    if total == 0:
        return f"{head} — no votes."
    parts = []
    ranked = sorted(range(len(poll.options)), key=lambda i: (-per_option.get(i, 0), i))
    for index in ranked:
        count = per_option.get(index, 0)
        share = count / total
        parts.append(f"{index + 1}. {poll.options[index]} {bar(share)} {count} "
                     f"({share:.0%})")
    where = ", ".join(f"{p.capitalize()} {n}" for p, n in sorted(per_platform.items()))
    people = f"{voters} voter{'s' if voters != 1 else ''}"
    return f"{head} | " + " | ".join(parts) + f" | {people} ({where})"


def announcement(poll: Poll, prefix: str, minutes: float) -> str:
    options = " ".join(f"{i}) {o}" for i, o in enumerate(poll.options, 1))
    multi = (f" Several choices allowed: {prefix}vote 1 3 or {prefix}vote 1,3."
             if poll.multi else "")
    return (f"📊 Poll #{poll.id}: {poll.question} {options} — vote with {prefix}vote <number> "
            f"(ends in {minutes:g} min).{multi}")
