"""End-to-end tests: the real pages in headless Chromium, against a live server on each engine."""
