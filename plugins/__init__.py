"""cmbot's built-in plugins. Installed under the import name ``cmbot_plugins`` (never as a
generic top-level ``plugins`` package); loaded through the same path as third-party ones."""
