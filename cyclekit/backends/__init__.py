"""Where workbooks are rendered and read: xlsx (xlsxwriter), Google Sheets, python-calamine, LibreOffice."""
