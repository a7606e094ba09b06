"""Plumbing and contracts every OpsDesk service needs. No business rules live here."""
