"""The reports: each module reads the rollups and facts for one report and returns its figures (JSON)
and its printable document (`opsdesk_shared.documents` renders that as CSV, XLSX or PDF)."""
