"""Fault tests (short versions run by default; CMBOT_FAULT_SCALE=10 for the long ones)."""

import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cmbot import Platform, Role, hookimpl

SCALE = int(os.environ.get("CMBOT_FAULT_SCALE", "1"))
CHILD = Path(__file__).with_name("fault_child.py")


@pytest.mark.parametrize("seed", [1, 2])
def test_everything_acknowledged_survives_sigkill_and_nothing_counts_twice(tmp_path, seed):
    proc = subprocess.Popen([sys.executable, str(CHILD), str(tmp_path), str(400 * SCALE)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "READY", proc.stderr.read() if proc.stderr \
        else ""
    kill_after = random.Random(seed).randint(20, 150)
    acks = []
    while len(acks) < kill_after:
        line = proc.stdout.readline()
        if not line:
            break
        acks.append(line.split()[1:])
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)  # reap the child and close its pipes
    assert proc.returncode == -signal.SIGKILL
    db = sqlite3.connect(tmp_path / "cmbot.db")
    votes = db.execute("SELECT voter, COUNT(*) FROM poll_votes GROUP BY voter").fetchall()
    per_voter = dict(votes)
    keys = {r[0] for r in db.execute("SELECT key FROM faq_entries")}
    allowed = {r[0] for r in db.execute("SELECT id FROM tox_flags WHERE status='allowed'")}
    for kind, value in acks:
        if kind == "vote":
            assert per_voter.get(value) == 1, value
        elif kind == "faq":
            assert value in keys
        elif kind == "flag":
            assert int(value) in allowed
    assert all(count == 1 for count in per_voter.values())
    db.close()




async def test_a_flood_of_auto_answers_never_exceeds_the_limits_and_mods_get_through(
        cmbot_harness):
    h = await cmbot_harness('[plugins.faq]\nmatcher = "lexical"\nentry_cooldown = 0.0\n'
                            'budget_count = 1000\n[communities.main]\n'
                            'channels = ["twitch:mychannel"]\n')
    await h.say("!faq add discord Join us at discord.gg/x", role=Role.MODERATOR, user="mo")
    await h.say("!faq teach discord where is the discord link", role=Role.MODERATOR,
                user="mo")
    h.clear()
    mod_latency = []
    for i in range(2000 * SCALE):
        await h.say("hey where is the discord link?", user=f"u{i}")
        if i % 500 == 250:
            started = time.perf_counter()
            await h.say("!faq list", role=Role.MODERATOR, user="mo")
            mod_latency.append(time.perf_counter() - started)
        await h.advance(0.05)
    await h.advance(60)
    times = sorted(s.at for s in h.sent(Platform.TWITCH))
    worst = max(sum(1 for t in times if start <= t < start + 30) for start in times)
    assert worst <= 20
    mod_replies = [s for s in h.sent(Platform.TWITCH) if s.text.startswith("FAQ: ")]
    assert len(mod_replies) == len(mod_latency)  # queued at high priority, never dropped
    assert max(mod_latency) < 1.0


class Broken:
    @hookimpl
    async def cmbot_on_message(self, ctx, message):
        raise RuntimeError("broken on every message")


async def test_a_plugin_failing_on_every_message_is_reported_once_per_interval(cmbot_harness,
                                                                               caplog):
    caplog.set_level(logging.ERROR)
    h = await cmbot_harness(plugins=[("broken", Broken())])
    for i in range(200):
        await h.say(f"hello {i}", user=f"u{i}")
    reports = [r for r in caplog.records if "plugin 'broken' failed" in r.getMessage()]
    assert len(reports) == 1
    assert h.bot.hooks.reporter.counts()[("broken", "cmbot_on_message")] == 200
    sent = await h.say("!faq list")
    assert sent and sent[0].text.startswith("No FAQ entries")  # the others keep working
