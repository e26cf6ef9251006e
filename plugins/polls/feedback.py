"""Open feedback: sentiment with VADER, recurring terms, representative comments."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

POSITIVE, NEGATIVE = 0.05, -0.05  # VADER's own compound cut-offs
_TOKEN = re.compile(r"[a-z][a-z'’-]{2,}")
STOPWORDS = frozenset("""
a about above after again against all also am an and any are aren't as at be because been
before being below between both but by can can't cannot could couldn't did didn't do does
doesn't doing don't down during each even ever every few for from further get gets got had
hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him
himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself just let's
like lol make me more most much must mustn't my myself need no nor not now of off on once only
or other ought our ours ourselves out over own really same shan't she she'd she'll she's
should shouldn't so some still such than that that's the their theirs them themselves then
there there's these they they'd they'll they're they've thing things think this those though
through to too under until up very was wasn't way we we'd we'll we're we've well were weren't
what what's when when's where where's which while who who's whom why why's will with won't
would wouldn't yeah yes you you'd you'll you're you've your yours yourself yourselves stream
streams streamer please pls
""".split())


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment(text: str) -> float:
    """VADER compound score in [-1, 1]."""
    return float(_analyzer().polarity_scores(text)["compound"])


def label(score: float) -> str:
    return "positive" if score >= POSITIVE else "negative" if score <= NEGATIVE else "neutral"


def terms(text: str) -> set[str]:
    return {t.strip("'’-") for t in _TOKEN.findall(text.lower())
            if t.strip("'’-") not in STOPWORDS and len(t.strip("'’-")) > 2}


@dataclass
class Summary:
    count: int
    shares: dict[str, float]
    top_terms: list[tuple[str, int]]
    examples: dict[str, list[str]] = field(default_factory=dict)


def summarise(comments: Sequence[tuple[str, float]], *, top: int = 5,
              per_class: int = 2) -> Summary:
    """Summarise (text, compound) pairs. Representative comments are the ones whose
    terms recur most across all comments (central, not extreme)."""
    if not comments:
        return Summary(0, {}, [])
    bags = [terms(text) for text, _ in comments]
    frequency: Counter[str] = Counter(t for bag in bags for t in bag)
    recurring = sorted(((t, n) for t, n in frequency.items() if n >= 2),
                       key=lambda tn: (-tn[1], tn[0]))[:top]
    classes: dict[str, list[tuple[float, int]]] = {"positive": [], "neutral": [],
                                                   "negative": []}
    for index, ((_, score), bag) in enumerate(zip(comments, bags, strict=True)):
        centrality = sum(frequency[t] - 1 for t in bag) / (1 + len(bag)) ** 0.5
        classes[label(score)].append((centrality, index))
    examples = {name: [comments[i][0] for _, i in sorted(members, reverse=True)[:per_class]]
                for name, members in classes.items()}
    shares = {name: len(members) / len(comments) for name, members in classes.items()}
    return Summary(len(comments), shares, recurring, examples)


def render(summary: Summary, since_label: str) -> str:
    if summary.count == 0:
        return f"No feedback in the last {since_label}."
    shares = ", ".join(f"{summary.shares[k]:.0%} {k}" for k in ("positive", "neutral",
                                                                 "negative"))
    terms_text = ", ".join(f"{t} ({n})" for t, n in summary.top_terms) or "none recurring"
    parts = [f"Feedback, last {since_label}: {summary.count} comment(s) — {shares}. "
             f"Top terms: {terms_text}."]
    for name, mark in (("positive", "👍"), ("neutral", "😐"), ("negative", "👎")):
        quotes = " ".join(f"“{_short(q)}”" for q in summary.examples.get(name, []))
        if quotes:
            parts.append(f"{mark} {quotes}")
    return " ".join(parts)


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
