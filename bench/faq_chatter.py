"""How often the FAQ answers real chat that did not ask it anything.

    .venv/bin/python bench/faq_chatter.py [--lines 12000] [--show]

Seeds a small streamer FAQ (schedule, Discord, keyboard, PC specs, subscriber role; five
phrasings each), then replays real Twitch chat lines (``chat/twitch_2025_dev.csv``)
through the runtime with cooldowns and budgets off, and counts the auto-answers. Real chat
asks these questions now and then, so not every answer is wrong: ``--show`` prints them
to judge. Last line: ``lines=... answered=... per_1000=...``.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cmbot import Platform, Role  # noqa: E402
from cmbot.testing import make_harness  # noqa: E402

ENTRIES = {
    "schedule": ("We stream Mon/Wed/Fri at 20:00 CET", [
        "when do you stream", "what is the stream schedule", "when is the next stream",
        "what time do you go live", "are you streaming tomorrow"]),
    "discord": ("Join us at discord.gg/example", [
        "how do i join the discord", "is there a discord server", "whats the discord link",
        "where can i find the discord", "do you have a discord"]),
    "keyboard": ("Keychron Q1 with brown switches", [
        "what keyboard do you use", "which keyboard is that", "what switches are those",
        "what keyboard is that", "whats your keyboard"]),
    "specs": ("RTX 4070, Ryzen 7 7800X3D, 32 GB", [
        "what are your pc specs", "what gpu do you have", "what graphics card is that",
        "what cpu do you use", "what pc do you stream on"]),
    "subrole": ("Link Twitch in Discord settings > Connections to get the sub role", [
        "how do i get the sub role", "how do i get the subscriber role on discord",
        "i subbed but have no role", "how to link my twitch sub to discord",
        "where is the sub role"]),
}
CONFIG = """
[plugins.faq]
entry_cooldown = 0
key_cooldown = 0
budget_count = 1000
"""


async def replay(lines: list[str], show: bool) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        h = await make_harness(CONFIG, tmp_path=Path(tmp), platforms=[Platform.TWITCH])
        try:
            for key, (answer, phrasings) in ENTRIES.items():
                await h.say(f"!faq add {key} {answer}", role=Role.MODERATOR, user="mod")
                for phrasing in phrasings:
                    await h.say(f"!faq teach {key} {phrasing}", role=Role.MODERATOR, user="mod")
            await h.advance(60)
            h.clear()
            answered = 0
            answers = {answer: key for key, (answer, _) in ENTRIES.items()}
            for number, line in enumerate(lines):
                sent = await h.say(line, user=f"viewer{number % 500}")
                hits = [answers[s.text] for s in sent if s.text in answers]
                if hits:
                    answered += 1
                    if show:
                        print(f"  {hits[0]:9s} <- {line}")
                if number % 50 == 0:
                    await h.advance(30)  # the platform's send limit must not drop answers
        finally:
            await h.close()
    return answered


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--lines", type=int, default=12000)
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args()
    with (Path(args.data) / "chat" / "twitch_2025_dev.csv").open(encoding="utf-8") as handle:
        lines = [r["text"] for r in csv.DictReader(handle) if r.get("text")][:args.lines]
    answered = asyncio.run(replay(lines, args.show))
    print(f"lines={len(lines)} answered={answered} per_1000={1000 * answered / len(lines):.2f}")


if __name__ == "__main__":
    main()
