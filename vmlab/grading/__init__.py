"""Hand out, collect and grade the workbook's notebooks: ``vmlab assign`` and ``vmlab grade``."""
