"""Encryption at rest with the DOCUMENT_KEY: Fernet keys, newest first, older ones still readable."""
from __future__ import annotations

from cryptography.fernet import Fernet, MultiFernet
from flask import Flask, current_app


def keyring(app: Flask | None = None) -> MultiFernet:
    app = app or current_app
    cached = app.extensions.get("assist.keyring")
    raw = app.config["DOCUMENT_KEY"]
    if cached is None or cached[0] != raw:
        cached = (raw, MultiFernet([Fernet(part.strip().encode()) for part in raw.split(",") if part.strip()]))
        app.extensions["assist.keyring"] = cached
    return cached[1]


def is_current(token: bytes) -> bool:
    """Whether a token is already encrypted under the first (newest) key."""
    from cryptography.fernet import InvalidToken

    app = current_app
    first = app.config["DOCUMENT_KEY"].split(",")[0].strip()
    try:
        Fernet(first.encode()).decrypt(token)
    except InvalidToken:
        return False
    return True


def encrypt(data: bytes) -> bytes:
    return keyring().encrypt(data)


def decrypt(token: bytes) -> bytes:
    return keyring().decrypt(token)


def encrypt_text(text: str) -> str:
    return encrypt(text.encode()).decode()


def decrypt_text(token: str) -> str:
    return decrypt(token.encode()).decode()
