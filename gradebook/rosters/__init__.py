"""Rosters in and results out: OneRoster 1.1 CSV import and export, the plain people CSV."""
