"""First contact: language choice, the privacy notice before anything is stored, and the main menu."""
