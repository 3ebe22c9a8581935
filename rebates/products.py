"""Qualified product lists from CSV or XLSX (brand, model_number, one column per attribute).

Read with the CIS importer's reader (`accounts.imports.read_rows`), checked whole: any bad line
and nothing of the file is applied. Each import is a new version of the list, dated; a model
missing from a later version is withdrawn from that version's date.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from accounts.imports import ImportFailed, LineError, file_sha256, read_rows
from core import audit, clock
from core.audit import current_actor
from core.money import percent_text
from rebates import definitions, rules
from rebates.models import ProductList, ProductListModel, ProductListVersion

REQUIRED = ("brand", "model_number")
CHUNK = 2_000
MAX_REPORTED = 50


@dataclass
class ProductImport:
    list_code: str
    version: int | None
    effective_from: date
    models: int
    withdrawn: int
    created_list: bool
    unchanged: bool = False

    def as_dict(self) -> dict:
        return {"list": self.list_code, "version": self.version, "effective_from": self.effective_from.isoformat(),
                "models": self.models, "withdrawn": self.withdrawn, "created_list": self.created_list,
                "unchanged": self.unchanged}


def _attribute(text: str) -> str | None:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or number < 0:
        return None
    return percent_text(number)


def read_models(path: Path) -> list[dict]:
    """Every row checked; raises ImportFailed naming each bad line (the header is line 1)."""
    errors: list[LineError] = []
    models: list[dict] = []
    seen: dict[str, int] = {}
    with read_rows(path) as (header, rows):
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise ImportFailed([LineError(1, c, "missing column") for c in missing])
        attributes = [h for h in header if h and h not in REQUIRED]
        for line, row in rows:
            brand = (row.get("brand") or "").strip()
            model = (row.get("model_number") or "").strip()
            if not brand:
                errors.append(LineError(line, "brand", "empty"))
            if not model:
                errors.append(LineError(line, "model_number", "empty"))
            normalized = rules.normalize_model(model)
            if model and normalized in seen:
                errors.append(LineError(line, "model_number", f"{model} is already on line {seen[normalized]}"))
            elif model:
                seen[normalized] = line
            values = {}
            for name in attributes:
                text = (row.get(name) or "").strip()
                if not text:
                    continue
                value = _attribute(text)
                if value is None:
                    errors.append(LineError(line, name, f"{text!r} is not a number"))
                else:
                    values[name] = value
            if len(brand) > 200 or len(model) > 200:
                errors.append(LineError(line, "model_number", "longer than 200 characters"))
            models.append({"brand": brand, "model_number": model, "normalized": normalized, "attributes": values})
            if len(errors) >= MAX_REPORTED:
                break
    if errors:
        raise ImportFailed(errors)
    if not models:
        raise ImportFailed([LineError(2, "model_number", "the file lists no models")])
    return models


def import_products(session: Session, path: Path, code: str, source: str = "",
                    effective_from: date | None = None) -> ProductImport:
    """Add a version of the list (creating the list on its first import); the same file again changes nothing."""
    code = (code or "").strip().upper()
    if not definitions.CODE.match(code):
        raise ImportFailed([LineError(0, "--list", f"{code!r} is not a code like WATERSENSE-TOILETS")])
    effective_from = effective_from or clock.today()
    models = read_models(path)
    digest = file_sha256(path)
    actor = current_actor()
    now = clock.now()
    plist = session.scalar(select(ProductList).where(ProductList.code == code))
    created = plist is None
    if created:
        plist = ProductList(code=code, created_at=now)
        session.add(plist)
        session.flush()
        audit.record(session, "product_list.created", obj=plist, object_id=code)
    versions = list(session.scalars(select(ProductListVersion).where(ProductListVersion.list_id == plist.id)
                                    .order_by(ProductListVersion.number)))
    for old in versions:
        if old.file_sha256 == digest and old.effective_from == effective_from:
            return ProductImport(code, old.number, effective_from, old.models_count, 0, False, unchanged=True)
    previous = set()
    if versions:
        latest = max(versions, key=lambda v: (v.effective_from, v.number))
        previous = set(session.scalars(select(ProductListModel.normalized)
                                       .where(ProductListModel.version_id == latest.id)))
    version = ProductListVersion(list_id=plist.id, number=max((v.number for v in versions), default=0) + 1,
                                 effective_from=effective_from, source=source or "", file_name=path.name[:255],
                                 file_sha256=digest, models_count=len(models), created_at=now,
                                 created_by_label=actor.label)
    session.add(version)
    session.flush()
    for start in range(0, len(models), CHUNK):
        session.execute(insert(ProductListModel), [dict(m, version_id=version.id) for m in models[start:start + CHUNK]])
    withdrawn = len(previous - {m["normalized"] for m in models})
    audit.record(session, "product_list.version_added", obj=version, object_id=f"{code}.v{version.number}",
                 details={"effective_from": effective_from.isoformat(), "models": len(models), "withdrawn": withdrawn,
                          "source": source or "", "file": path.name})
    session.flush()
    return ProductImport(code, version.number, effective_from, len(models), withdrawn, created)
