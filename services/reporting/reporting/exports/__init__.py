"""Rendering a report's document as CSV, XLSX or PDF (JSON is the report's own figures)."""
