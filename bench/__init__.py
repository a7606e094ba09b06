"""`make bench`: OpsDesk's figures, each beside a reference measured in the same run (see README)."""
