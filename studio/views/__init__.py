"""The Studio's pages, one module per page family."""
