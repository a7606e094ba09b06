"""Saved views: a person's named filters of a list page (the staff's ticket list), kept per user on the
server so they follow the person from browser to browser."""
