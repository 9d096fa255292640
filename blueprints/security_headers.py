"""Security headers on every response the app makes: pages, JSON, static files, redirects and errors.

The Content-Security-Policy allows scripts and styles from the site's own files only: no inline <script>, no
onclick= attributes, no style= attributes or <style> blocks (templates/ keeps them in static/). The SVG charts
are inline markup styled by presentation attributes (fill=, font-style=), which CSP does not restrict, so
style-src needs no 'unsafe-inline' either.
"""
from flask import Flask, Response, current_app

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
))
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",   # frame-ancestors for browsers older than CSP 2
    "X-Content-Type-Options": "nosniff",
    # Member pages carry their token in the URL: no address of ours is ever sent to another site, or to our own.
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    """Put the security headers on RESPONSE (a view that set one of its own keeps it)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    seconds = int(current_app.config.get("HSTS_SECONDS") or 0)
    if seconds:
        response.headers.setdefault("Strict-Transport-Security", f"max-age={seconds}; includeSubDomains")
    return response


def install(app: Flask) -> None:
    """Add the headers to every response of APP."""
    app.after_request(add_security_headers)
