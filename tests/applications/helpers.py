"""A customer with a linked account, staff, and the API calls an application goes through."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timezone

from tests.documents import fixtures as fx
from tests.factories import api_headers, link, make_account, make_user

TODAY = datetime(2026, 11, 23, 18, 0, tzinfo=timezone.utc)  # CARE 2026-27 and Seattle 2026 are open


def family(income: str = "3000.00", frequency: str = "monthly", ssn: str = "1234", name: str = "Zach T Woo"):
    return {"members": [{"age": 41, "name": name, "relationship": "self", "ssn_last4": ssn,
                         "incomes": [{"kind": "wages", "amount": income, "frequency": frequency}]},
                        {"age": 39, "name": "Ana Woo", "relationship": "spouse", "incomes": []},
                        {"age": 8, "name": "Leo Woo", "relationship": "child", "incomes": []}]}


def transcript(agi_cents: int = 3_600_000, year: int = 2025, tracking: str = "100012345678", last4: str = "1234",
               name: str = "ZACH T WOO") -> bytes:
    person = fx.Taxpayer(ssn_last4=last4, name=name, tracking=tracking, year=year)
    return fx.render(fx.tax_return_transcript(person, {"wages": agi_cents, "adjusted_gross_income": agi_cents},
                                              fx.Style("current")))


@dataclass
class World:
    app: object
    customer: object
    account: object
    csr: object
    manager: object
    customer_headers: dict
    csr_headers: dict
    manager_headers: dict

    def start(self, programs=("CARE",), household=None, categorical=(), account=None, headers=None, **extra):
        body = {"account_number": (account or self.account).number, "programs": list(programs),
                "household": household or family(), "categorical": list(categorical), **extra}
        return self.app.test_client().post("/api/v1/applications", json=body, headers=headers or self.customer_headers)

    def upload(self, application_id, data=None, name="transcript.pdf", requirement="income", headers=None):
        return self.app.test_client().post(
            f"/api/v1/applications/{application_id}/documents", headers=headers or self.customer_headers,
            data={"file": (io.BytesIO(data if data is not None else transcript()), name), "requirement": requirement},
            content_type="multipart/form-data")

    def submit(self, application_id, signature="Zach T Woo", headers=None):
        return self.app.test_client().post(f"/api/v1/applications/{application_id}/submit",
                                           json={"signature": signature}, headers=headers or self.customer_headers)

    def decide(self, application_id, headers=None, **body):
        return self.app.test_client().post(f"/api/v1/applications/{application_id}/decision", json=body,
                                           headers=headers or self.csr_headers)

    def get(self, application_id, headers=None):
        return self.app.test_client().get(f"/api/v1/applications/{application_id}",
                                          headers=headers or self.customer_headers)

    def staff_view(self, application_id, headers=None) -> dict:
        """The application as staff see it (flags, assignment): the customer's replies leave those out."""
        response = self.get(application_id, headers=headers or self.csr_headers)
        assert response.status_code == 200, response.json
        return response.json

    def flags(self, application_id, headers=None) -> list[str]:
        return [f["code"] for f in self.staff_view(application_id, headers)["flags"]]

    def submitted(self, programs=("CARE",), **kwargs) -> dict:
        created = self.start(programs, **kwargs)
        assert created.status_code == 201, created.json
        application_id = created.json["id"]
        assert self.upload(application_id).status_code == 201
        response = self.submit(application_id)
        assert response.status_code == 200, response.json
        return response.json


def make_world(app, db_session, clock, **account_args) -> World:
    clock.freeze(TODAY)
    customer = make_user(db_session, "customer")
    customer.full_name = "Zach T Woo"
    account = make_account(db_session, **account_args)
    link(db_session, customer, account)
    csr, manager = make_user(db_session, "csr"), make_user(db_session, "manager")
    db_session.flush()
    return World(app, customer, account, csr, manager, api_headers(app, customer), api_headers(app, csr),
                 api_headers(app, manager))
