"""The two errors a command handler raises to answer a user cleanly."""

from __future__ import annotations


class CommandError(Exception):
    """Raised by a handler: the message is replied to the user as is."""


class UsageError(CommandError):
    """Bad arguments: the reply adds the command's usage line."""
