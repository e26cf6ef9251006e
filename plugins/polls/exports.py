"""CSV exports of a poll's votes and of feedback, into the plugin's files folder (through
``cmbot.csv_text``: a cell a spreadsheet would run as a formula is quoted)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from cmbot import Context, Reply, csv_text

from . import feedback as fb
from .poll_commands import find_poll
from .state import state_of


def _export_dir(ctx: Context) -> Path:
    folder = ctx.bot.path(ctx.settings["files_dir"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def export_poll(ctx: Context, id: int | None = None) -> Reply:
    poll = await find_poll(ctx, id)
    rows = await state_of(ctx.bot).store.votes(poll.id)
    header: list[object] = ["poll", "question", "option", "platform", "voted_at_utc"]
    table = [header + ([] if poll.anonymous else ["voter"])]
    for row in rows:
        stamp = datetime.fromtimestamp(row["voted_at"], UTC).isoformat()
        table.append([poll.id, poll.question, poll.options[row["option"]], row["platform"],
                      stamp] + ([] if poll.anonymous else [row["voter_name"]]))
    path = _export_dir(ctx) / f"poll-{poll.id}.csv"
    path.write_text(csv_text(table), encoding="utf-8")
    return Reply(f"✓ exported {len(rows)} vote(s) of poll #{poll.id} to {path}", file=path)


async def export_feedback(ctx: Context, since: float | None = None) -> Reply:
    seconds = since or 3650 * 86400.0
    rows = await state_of(ctx.bot).store.feedback_since(ctx.scope, ctx.time() - seconds)
    table: list[list[object]] = [["id", "platform", "created_at_utc", "sentiment", "label",
                                  "text"]]
    for row in rows:
        stamp = datetime.fromtimestamp(row["created_at"], UTC).isoformat()
        table.append([row["id"], row["platform"], stamp, round(float(row["sentiment"]), 3),
                      fb.label(row["sentiment"]), row["text"]])
    name = re.sub(r"[^\w.-]+", "-", ctx.scope).strip("-")
    path = _export_dir(ctx) / f"feedback-{name}.csv"
    path.write_text(csv_text(table), encoding="utf-8")
    return Reply(f"✓ exported {len(rows)} feedback comment(s) to {path}", file=path)
