"""Jobs the tests enqueue: module-level so an RQ worker process can import them."""
from core import audit
from core.database import db


def record_marker(marker: str, note: str = "") -> str:
    audit.record(db.session, "test.job_ran", object_type="marker", object_id=marker, reason=note or None)
    return marker


def fail(marker: str) -> None:
    raise RuntimeError(f"job {marker} failed on purpose")


def write_then_fail(marker: str) -> None:
    """Writes (and flushes) a record, then fails: nothing of it may be kept."""
    audit.record(db.session, "test.job_ran", object_type="marker", object_id=marker, reason="half")
    db.session.flush()
    raise RuntimeError(f"job {marker} failed after writing")
