"""sheetsync: a scheduled sync that makes a shared follow-up spreadsheet work like a CRM."""

__version__ = "0.1.0"
