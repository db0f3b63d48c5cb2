"""The workbook model (spec) and its backends: xlsx renderer and readers."""
