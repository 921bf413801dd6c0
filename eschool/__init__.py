"""eschool: a lesson library, an electronic gradebook and live open lessons in one server."""

__version__ = "0.1.0"
