"""Test support shared by every service's tests: real servers, per-run databases and vhost, tokens."""
