"""The resident's rights: /privacy, /mydata and /delete, and what erasure keeps of a submission (masked)."""
