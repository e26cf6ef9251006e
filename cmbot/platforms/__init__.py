"""Platform adapters: the only code that knows Discord, Twitch or the console."""
