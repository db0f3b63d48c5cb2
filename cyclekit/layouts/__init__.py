"""Workbook and file descriptions (schedule, count sheet, results, import files) and their readers."""
