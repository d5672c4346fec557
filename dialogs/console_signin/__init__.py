"""Staff sign-in to the web console: the bot's /console command sends a one-time link."""
