"""The reports: each module reads the rollups and facts for one report and returns its figures (JSON)
and its printable document (exports/ renders that as CSV, XLSX or PDF)."""
