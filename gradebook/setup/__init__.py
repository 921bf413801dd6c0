"""The school's set-up as the administrator does it in the browser: subjects, courses,
work types and holidays (pages under `/admin/…` and the API pieces they need)."""
