"""Announcement texts per locale. Variables: {title} {starts_in} {starts_at} {url}
{description}. Unknown variables stay as written; missing ones become empty."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from cmbot import format_countdown

TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "created": "📅 {title} — {starts_at} (in {starts_in}). {description} {url}",
        "reminder": "⏰ {title} starts in {starts_in} ({starts_at}). {description} {url}",
        "start": "🔴 {title} is starting now! {description} {url}",
        "cancelled": "❌ {title} ({starts_at}) is cancelled.",
        "moved": "📅 {title} moved to {starts_at} (in {starts_in}). {url}",
        "next": "Next: {title} — {starts_at}, in {starts_in}. {url}",
        "none": "No upcoming events.",
    },
    "fr": {
        "created": "📅 {title} — {starts_at} (dans {starts_in}). {description} {url}",
        "reminder": "⏰ {title} commence dans {starts_in} ({starts_at}). {description} {url}",
        "start": "🔴 {title} commence maintenant ! {description} {url}",
        "cancelled": "❌ {title} ({starts_at}) est annulé.",
        "moved": "📅 {title} est déplacé au {starts_at} (dans {starts_in}). {url}",
        "next": "Prochain : {title} — {starts_at}, dans {starts_in}. {url}",
        "none": "Aucun événement à venir.",
    },
}
_DAYS = {"en": "Mon Tue Wed Thu Fri Sat Sun".split(),
         "fr": "lun. mar. mer. jeu. ven. sam. dim.".split()}
_MONTHS = {"en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(),
           "fr": "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.".split()}
_VARIABLE = re.compile(r"\{(\w+)\}")


def format_when(when: datetime, tz: str, locale: str) -> str:
    local = when.astimezone(ZoneInfo(tz))
    day = _DAYS[locale][local.weekday()]
    month = _MONTHS[locale][local.month - 1]
    return f"{day} {local.day} {month} {local:%H:%M} {local.tzname()}"


def render(kind: str, locale: str, values: dict[str, str]) -> str:
    template = TEMPLATES.get(locale, TEMPLATES["en"])[kind]
    text = _VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), template)
    return " ".join(text.split())


def values_for(title: str, starts_at: datetime, now: datetime, tz: str, locale: str,
               description: str, url: str) -> dict[str, str]:
    return {"title": title, "starts_at": format_when(starts_at, tz, locale),
            "starts_in": format_countdown((starts_at - now).total_seconds()),
            "description": description, "url": url}
