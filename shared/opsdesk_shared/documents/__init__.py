"""A report as a document (document.py) rendered as CSV, XLSX or PDF, the same for every service that
prints one: reporting's reports and assets' spare-parts stock report. render.py answers a request with a
file (XLSX and PDF rendered in a child process, render_child.py), limits.py bounds who renders how much.
JSON is each report's own figures, answered by its route. Needs the `documents` extra (openpyxl,
reportlab)."""
