"""WhatsApp Business Cloud API transport: client, webhook, rendering, the 24-hour window (README "WhatsApp")."""
