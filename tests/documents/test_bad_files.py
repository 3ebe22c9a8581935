"""Bad input never crashes and never gives a number: rejected with what to do, or sent to a person."""
from __future__ import annotations

import time

import pytest

from documents.isolation import ParserPool
from tests.documents import fixtures as fx

TRANSCRIPT = fx.render(fx.tax_return_transcript(fx.Taxpayer(), {"adjusted_gross_income": 2_000_000},
                                                fx.Style("legacy")))


@pytest.mark.parametrize("make, filename, status, code", [
    (lambda: fx.render(fx.tax_return_transcript(fx.Taxpayer(), {"adjusted_gross_income": 1}, fx.Style()),
                       encrypt="s3cret"), "locked.pdf", "rejected", "encrypted"),
    (lambda: TRANSCRIPT[: len(TRANSCRIPT) // 3], "truncated.pdf", "rejected", "corrupt"),
    (lambda: fx.png_bytes(), "transcript.pdf", "rejected", "extension_mismatch"),
    (lambda: b"<html><body>%PDF-1.4 not really</body></html>", "polyglot.pdf", "rejected", "unsupported_type"),
    (lambda: b"PK\x03\x04 a zip file", "archive.zip", "rejected", "unsupported_type"),
    (lambda: fx.png_bytes()[:40], "photo.png", "rejected", "corrupt"),
    (lambda: fx.scanned_pdf(), "scan.pdf", "needs_review", "no_text"),
    (lambda: fx.png_bytes(), "photo.png", "needs_review", "image"),
    (lambda: fx.jpeg_bytes(), "photo.jpg", "needs_review", "image"),
    (lambda: fx.heic_bytes(), "photo.heic", "needs_review", "image"),
    (lambda: fx.heic_bytes()[:60], "photo.heic", "rejected", "corrupt"),
    (lambda: fx.many_pages(200), "long.pdf", "rejected", "too_many_pages"),
], ids=["encrypted", "truncated", "png-named-pdf", "html-polyglot", "zip", "broken-png", "scan", "png", "jpeg",
        "heic", "broken-heic", "200-pages"])
def test_bad_files_end_clearly(parser_pool, make, filename, status, code):
    result = parser_pool.parse(make(), filename, 30)
    assert (result["status"], [p["code"] for p in result["problems"]]) == (status, [code])
    assert result["amounts_cents"] == {} and result["document_type"] == "unknown"
    assert result["problems"][0]["message"]


def test_a_compression_bomb_ends_in_review_within_the_time_limit_and_the_caller_stays_healthy():
    pool = ParserPool(1, time_limit=2, memory_limit=512 << 20)
    try:
        started = time.monotonic()
        result = pool.parse(fx.compression_bomb(64), "bomb.pdf")
        elapsed = time.monotonic() - started
        assert result["status"] == "needs_review"
        assert result["problems"][0]["code"] in ("timeout", "memory_limit", "parser_crash")
        assert elapsed < 5
        assert pool.parse(TRANSCRIPT, "after.pdf")["status"] == "parsed"  # a fresh worker took over
    finally:
        pool.close()


def test_a_crashing_worker_is_replaced(parser_pool):
    worker = parser_pool._take()
    worker.process.kill()
    worker.process.join()
    parser_pool._idle.put(worker)
    results = [parser_pool.parse(TRANSCRIPT, "t.pdf") for _ in range(3)]
    assert [r["status"] for r in results].count("parsed") >= 2
    assert {r["status"] for r in results} <= {"parsed", "needs_review"}


def test_a_file_that_would_inflate_past_the_memory_limit_waits_for_a_person_and_is_not_called_damaged():
    pool = ParserPool(1, time_limit=30, memory_limit=200 << 20)
    try:
        result = pool.parse(fx.compression_bomb(256), "bomb.pdf")
        assert result["status"] == "needs_review"
        assert [p["code"] for p in result["problems"]] == ["memory_limit"]
        assert "200 MB" in result["problems"][0]["message"] and "damaged" not in result["problems"][0]["message"]
        assert pool.parse(TRANSCRIPT, "after.pdf")["status"] == "parsed"
    finally:
        pool.close()
