"""Ideas, questions and Aktionsfonds applications: the resident's steps, the rules, and the team's moderation."""
