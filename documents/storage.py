"""Encrypted storage of uploaded documents: random names, SHA-256 of the plain file, atomic writes.

Files are Fernet-encrypted with the DOCUMENT_KEY (MultiFernet: the first key encrypts, every key
listed can decrypt), so `flask documents rotate-key` can re-encrypt under a new key while the
service keeps reading old files with the old key still listed.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import InvalidToken
from flask import current_app

from core import crypto


class StoredFileMissing(Exception):
    """The encrypted file is gone (purged, or the volume is not mounted)."""


class StoredFileCorrupt(Exception):
    """The file does not decrypt with any listed key, or does not match its recorded hash."""


@dataclass(frozen=True)
class StoredFile:
    storage_name: str
    sha256: str
    size_bytes: int


def _root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def _path(storage_name: str) -> Path:
    if not storage_name or "/" in storage_name or ".." in storage_name:
        raise ValueError("not a storage name")
    return _root() / storage_name[:2] / storage_name


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_atomic(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(payload)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temporary, path)


def save(data: bytes) -> StoredFile:
    """Encrypt and write a file under a new random name."""
    name = secrets.token_hex(20)
    _write_atomic(_path(name), crypto.encrypt(data))
    return StoredFile(storage_name=name, sha256=sha256_of(data), size_bytes=len(data))


def load(storage_name: str, expected_sha256: str | None = None) -> bytes:
    try:
        token = _path(storage_name).read_bytes()
    except FileNotFoundError as exc:
        raise StoredFileMissing(storage_name) from exc
    try:
        data = crypto.decrypt(token)
    except InvalidToken as exc:
        raise StoredFileCorrupt(storage_name) from exc
    if expected_sha256 and sha256_of(data) != expected_sha256:
        raise StoredFileCorrupt(storage_name)
    return data


def rotate(storage_name: str) -> bool:
    """Re-encrypt one file under the first key; True when it was rewritten."""
    path = _path(storage_name)
    try:
        token = path.read_bytes()
    except FileNotFoundError as exc:
        raise StoredFileMissing(storage_name) from exc
    if crypto.is_current(token):
        return False
    try:
        fresh = crypto.keyring().rotate(token)
    except InvalidToken as exc:
        raise StoredFileCorrupt(storage_name) from exc
    _write_atomic(path, fresh)
    return True


def delete(storage_name: str) -> bool:
    try:
        _path(storage_name).unlink()
        return True
    except FileNotFoundError:
        return False
