"""Backup and restore of every service's database (SPEC §2: all business data)."""
