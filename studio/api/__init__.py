"""The Studio's JSON endpoints (DRF, session auth, CSRF), one module per page."""
