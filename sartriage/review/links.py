"""The invite link a volunteer opens: the page (review/static/app.js) reads the token from the fragment, which
browsers never send to a server, so it stays out of access logs."""

from __future__ import annotations


def invite_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/#invite={token}"
