"""Jinja2 templates shipped with cyclekit (ERP adjustment import files)."""
