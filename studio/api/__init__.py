"""The Studio's JSON endpoints (DRF, session auth + CSRF, operators only)."""
