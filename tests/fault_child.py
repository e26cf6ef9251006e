"""Child process for the SIGKILL test: votes, FAQ edits and flag decisions from two
platforms, printing ACK lines only after the runtime has handled (and committed) each."""

import asyncio
import sys
from pathlib import Path

from cmbot import Platform, Role
from cmbot.testing import DEFAULT_CONFIG, make_harness


async def main(home: Path, count: int) -> None:
    h = await make_harness(DEFAULT_CONFIG + '[plugins.faq]\nmatcher = "lexical"\n',
                           tmp_path=home)
    await h.say('!poll start "Storm?" yes no maybe duration:7d', role=Role.MODERATOR,
                user="mod")
    print("READY", flush=True)
    for i in range(count):
        platform = Platform.TWITCH if i % 2 else Platform.DISCORD
        user = f"voter{i}"
        await h.say(f"!vote {i % 3 + 1}", user=user, platform=platform)
        print(f"ACK vote {platform.value}:{user}", flush=True)
        if i % 10 == 0:
            await h.say(f"!faq add key{i} answer {i}", role=Role.MODERATOR, user="mod")
            print(f"ACK faq key{i}", flush=True)
        if i % 15 == 0:
            await h.say(f"you are trash {i}", user=f"troll{i}")
            flag = await h.bot.storage.fetchval("SELECT MAX(id) FROM tox_flags")
            await h.say(f"!flag allow {flag}", role=Role.MODERATOR, user="mod")
            print(f"ACK flag {flag}", flush=True)
        h.clock.advance(0.5)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
