"""Messaging: private threads between families and staff, and school and class news."""
