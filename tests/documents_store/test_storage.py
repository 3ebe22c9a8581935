"""Uploaded files are encrypted at rest, under random names, and can move to a new key."""
from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.conftest import TEST_DOCUMENT_KEY

SECRET_TEXT = b"%PDF-1.4 ADJUSTED GROSS INCOME: $31,200.00 SSN Provided: XXX-XX-1234"


def _file(app, name) -> Path:
    return Path(app.config["UPLOAD_DIR"]) / name[:2] / name


def test_files_are_encrypted_at_rest_and_read_back(app, db_session):
    from documents import storage

    stored = storage.save(SECRET_TEXT)
    raw = _file(app, stored.storage_name).read_bytes()
    assert b"ADJUSTED GROSS INCOME" not in raw and b"31,200" not in raw
    assert len(stored.storage_name) == 40 and stored.size_bytes == len(SECRET_TEXT)
    assert storage.load(stored.storage_name, stored.sha256) == SECRET_TEXT
    assert _file(app, stored.storage_name).stat().st_mode & 0o077 == 0


def test_the_same_file_has_the_same_hash(app, db_session):
    from documents import storage

    first, second = storage.save(SECRET_TEXT), storage.save(SECRET_TEXT)
    assert first.sha256 == second.sha256 and first.storage_name != second.storage_name


def test_a_tampered_file_is_refused(app, db_session):
    from documents import storage

    stored = storage.save(SECRET_TEXT)
    path = _file(app, stored.storage_name)
    data = bytearray(path.read_bytes())
    data[40] = data[40] ^ 1
    path.write_bytes(bytes(data))
    with pytest.raises(storage.StoredFileCorrupt):
        storage.load(stored.storage_name)


def test_key_rotation_re_encrypts_while_old_files_stay_readable(app, db_session):
    from documents import storage

    stored = storage.save(SECRET_TEXT)
    before = _file(app, stored.storage_name).read_bytes()
    new_key = Fernet.generate_key().decode()
    app.config["DOCUMENT_KEY"] = f"{new_key},{TEST_DOCUMENT_KEY}"
    try:
        assert storage.load(stored.storage_name) == SECRET_TEXT  # readable during the rotation
        assert storage.rotate(stored.storage_name) is True
        assert storage.rotate(stored.storage_name) is False  # already under the new key
        assert _file(app, stored.storage_name).read_bytes() != before
        app.config["DOCUMENT_KEY"] = new_key  # the old key retired
        assert storage.load(stored.storage_name, stored.sha256) == SECRET_TEXT
    finally:
        app.config["DOCUMENT_KEY"] = TEST_DOCUMENT_KEY


def test_storage_names_cannot_escape_the_upload_folder(app, db_session):
    from documents import storage

    with pytest.raises(ValueError):
        storage.load("../../etc/passwd")
