"""Inbound and outbound text hygiene: size caps, control characters, zalgo, mass mentions."""

from __future__ import annotations

import re
import unicodedata

from .model import MAX_MESSAGE_LENGTH, Platform

MAX_INBOUND_LENGTH = 2000
MAX_COMBINING_PER_CHAR = 2
ELLIPSIS = "…"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_WHITESPACE_RUN = re.compile(r"[\t\n\r ]+")
_MASS_MENTION = re.compile(r"@(everyone|here)\b", re.IGNORECASE)
_ROLE_MENTION = re.compile(r"<@&(\d+)>")
_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ZWSP = "\u200b"
_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def replace_lone_surrogates(text: str) -> str:
    """``text`` that encodes as UTF-8: a surrogate pair becomes its character, a lone
    surrogate (``"\\ud800"``, from a platform's JSON escape) becomes U+FFFD, which SQLite
    and every platform accept."""
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def strip_zalgo(text: str, keep: int = MAX_COMBINING_PER_CHAR) -> str:
    """Drop combining marks beyond ``keep`` per base character (zalgo text)."""
    out: list[str] = []
    run = 0
    for ch in text:
        if unicodedata.combining(ch):
            run += 1
            if run > keep:
                continue
        else:
            run = 0
        out.append(ch)
    return "".join(out)


def clean_inbound(text: str, max_length: int = MAX_INBOUND_LENGTH) -> tuple[str, bool]:
    """Normalise chat text before any plugin sees it.

    Returns the cleaned text and whether it was cut. Lone surrogates become U+FFFD (the
    text always encodes as UTF-8), control and invisible characters are removed,
    whitespace runs collapse to one space, zalgo is flattened.
    """
    truncated = False
    if len(text) > max_length * 4:  # bound the work on hostile input before any pass
        text = text[: max_length * 4]
        truncated = True
    if text.isascii():
        if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
            # most chat: no control characters, no whitespace to fold (no regex passes)
            return (text, False) if len(text) <= max_length else (text[:max_length], True)
        cleaned = _CONTROL.sub("", text)
    else:
        text = replace_lone_surrogates(text)
        cleaned = strip_zalgo(unicodedata.normalize("NFC", _CONTROL.sub("", text)))
    cleaned = _WHITESPACE_RUN.sub(" ", cleaned).strip()
    if len(cleaned) > max_length:
        cleaned = cleaned[:max_length]
        truncated = True
    return cleaned, truncated


def neutralise_mentions(text: str, *, allow_user_mentions: bool = False) -> str:
    """Make @everyone, @here and role mentions inert; user mentions too unless allowed."""
    text = _MASS_MENTION.sub(lambda m: "@" + _ZWSP + m.group(1), text)
    text = _ROLE_MENTION.sub("@role", text)
    if not allow_user_mentions:
        text = _USER_MENTION.sub("@user", text)
    return text


def cut(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + ELLIPSIS


_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use marks around user-provided text
_LITERAL = re.compile("\ue000([^\ue000\ue001]*)\ue001")
_MARKS = re.compile("[\ue000\ue001]")
_DISCORD_MARKUP = re.compile(r"([\\*_~`|>\[\]()#:-])")


def literal(text: str) -> str:
    """Mark user-provided text (a display name, a quoted chat line) inside a bot message:
    it is shown as typed, never as markup. On Discord its markdown (masked links, bold,
    headings, quotes) is escaped; elsewhere the marks are simply removed."""
    return f"{_OPEN}{_MARKS.sub('', text)}{_CLOSE}"


def render_literals(text: str, platform: Platform) -> str:
    """Resolve :func:`literal` marks for ``platform`` (stray marks are dropped)."""
    if _OPEN not in text and _CLOSE not in text:
        return text
    if platform == Platform.DISCORD:
        text = _LITERAL.sub(lambda m: _DISCORD_MARKUP.sub(r"\\\1", m.group(1)), text)
    return _MARKS.sub("", text)


def clean_outbound(
    text: str, platform: Platform, *, allow_user_mentions: bool = False
) -> str:
    """Prepare bot output for a platform: no pings to groups, no control chars, within limit."""
    text = render_literals(text, platform)
    return cut(_clean(text, allow_user_mentions), MAX_MESSAGE_LENGTH.get(platform, 2000))


def _clean(text: str, allow_user_mentions: bool) -> str:
    text = _CONTROL.sub("", text.replace("\r", ""))
    return neutralise_mentions(text, allow_user_mentions=allow_user_mentions)


MAX_PARTS = 3
"""A reply longer than the platform allows is sent as at most this many messages."""

_ITEM_SEPARATORS = (" | ", ", ", "; ", "\n")


def _boundary(text: str, limit: int) -> tuple[int, int]:
    """Where a part of at most ``limit`` characters ends, and where the next begins: after
    the last list item that fits, else at the last space, else at ``limit``."""
    best = (-1, -1)
    for sep in _ITEM_SEPARATORS:
        at = text.rfind(sep, 0, limit + 1 - len(sep.rstrip()))
        keep = len(sep.rstrip()) if sep.strip() in (",", ";") else 0  # "a," | "b"
        if at + keep > best[0]:
            best = (at + keep, at + len(sep))
    if best[0] > limit // 3:  # a list item boundary, unless it wastes most of the part
        return best
    space = text.rfind(" ", 0, limit + 1)
    return (space, space + 1) if space > 0 else (limit, limit)


def _items(text: str) -> int:
    return max(1, *(len(text.split(sep)) for sep in _ITEM_SEPARATORS))


def split_outbound(
    text: str, platform: Platform, *, allow_user_mentions: bool = False,
    max_parts: int = MAX_PARTS,
) -> list[str]:
    """Like :func:`clean_outbound`, but a reply over the platform's length limit becomes
    up to ``max_parts`` messages split at list items or words; what still does not fit is
    summarised as "… and N more"."""
    limit = MAX_MESSAGE_LENGTH.get(platform, 2000)
    rest = _clean(render_literals(text, platform), allow_user_mentions)
    parts: list[str] = []
    while len(rest) > limit and len(parts) < max_parts - 1:
        end, start = _boundary(rest, limit)
        parts.append(rest[:end].rstrip())
        rest = rest[start:].lstrip()
    if len(rest) > limit:
        end, start = _boundary(rest, limit - 24)
        left = rest[start:].strip()
        rest = f"{rest[:end].rstrip().rstrip(',;|').rstrip()} {ELLIPSIS} and {_items(left)} more"
    parts.append(rest)
    return [p for p in parts if p]
