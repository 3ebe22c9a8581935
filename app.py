"""Assist: the application factory. `gunicorn 'app:create_app()'` serves it."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask

import click
from flask.cli import with_appcontext

from core.config import load_config, validate_config

ROOT = Path(__file__).resolve().parent

# Every module that defines tables, so Alembic and the tests see the whole schema.
MODEL_MODULES = ("core.audit", "core.outbox", "auth.models", "accounts.models", "documents.models", "notices.models",
                 "applications.models", "eligibility.models", "eligibility.assistance.models",
                 "eligibility.enrollments.models", "eligibility.recertification.models", "rebates.models",
                 "rebates.supply_models", "rebates.inspection_models", "rebates.applications", "reports.models")
# Demo loaders in the order they depend on each other; each gets (session, echo).
DEMO_LOADERS = ("auth.demo", "accounts.demo", "eligibility.demo", "eligibility.assistance.demo", "rebates.demo")


def init_kinds() -> None:
    """Each area registers its kind of application and its letters' wording (idempotent)."""
    from eligibility.assistance import kind as assistance_kind
    from eligibility.recertification import service as recertification

    from rebates import kind as rebate_kind

    assistance_kind.register()
    recertification.register_purposes()
    rebate_kind.register()


def import_all_models():
    import importlib

    from core.database import Base

    for name in MODEL_MODULES:
        importlib.import_module(name)
    return Base.metadata


def create_app(config: dict | None = None) -> Flask:
    """Build the app from the environment; `config` overrides (tests use it)."""
    instance_path = os.environ.get("ASSIST_INSTANCE_PATH") or str(ROOT / "instance")
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True,
                root_path=str(ROOT))
    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)
    app.config["PRODUCTION"] = app.config["ASSIST_ENV"] == "production"
    app.config["TESTING"] = app.config.get("TESTING") or app.config["ASSIST_ENV"] == "test"
    validate_config(app.config)
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Only the forwarded address and scheme: links come from BASE_URL, never from headers.
        hops = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)
    if not app.config["PRODUCTION"]:
        Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("alembic.runtime.plugins", "alembic.autogenerate"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    from core import extensions
    from core.clock import Clock
    from core.database import db
    from core.unit_of_work import init_unit_of_work
    from core.web import init_web

    app.extensions["assist.clock"] = Clock(app.config["ASSIST_TIMEZONE"])
    db.init_app(app)
    extensions.init_app(app)
    init_web(app)
    init_unit_of_work(app)  # one commit per request, after its view answers

    from accounts.api import bp as accounts_api_bp
    from accounts.views import bp as accounts_bp, init_accounts
    from auth.api import bp as auth_api_bp
    from auth.views import bp as auth_bp, init_auth
    from core.api import api
    from core.views import bp as core_bp
    from documents.views import bp as documents_bp, init_documents
    from eligibility.api import bp as eligibility_api_bp
    from eligibility.assistance.api import bp as applications_api_bp
    from eligibility.assistance.views import bp as applications_bp, init_applications
    from eligibility.recertification.views import bp as recertification_bp, init_recertification
    from eligibility.views import bp as eligibility_bp, init_eligibility
    from notices.views import bp as notices_bp, init_notices
    from rebates.api import bp as rebates_api_bp
    from rebates.inspection_api import bp as inspections_api_bp
    from rebates.inspection_views import bp as inspections_bp, init_inspections
    from rebates.views import bp as rebates_bp, init_rebates
    from rebates.apply import bp as rebate_apply_bp
    from rebates.supplies_api import bp as supplies_api_bp
    from rebates.supplies_views import bp as supplies_bp
    from review.api import bp as review_api_bp
    from review.views import bp as review_bp, init_review
    from reports.api import bp as reports_api_bp
    from reports.views import bp as reports_bp, init_reports

    init_auth(app)
    init_accounts(app)
    init_notices(app)
    init_kinds()
    init_eligibility(app)
    init_documents(app)
    init_applications(app)
    init_review(app)
    init_recertification(app)
    init_rebates(app)
    init_inspections(app)
    init_reports(app)
    from core.inputs import init_inputs

    init_inputs(app)  # after the access check: who may ask is decided before what they sent
    for blueprint in (core_bp, auth_bp, accounts_bp, documents_bp, notices_bp, eligibility_bp, applications_bp, review_bp,
                      recertification_bp, rebates_bp, api, auth_api_bp, accounts_api_bp, eligibility_api_bp,
                      applications_api_bp, review_api_bp, rebates_api_bp, rebate_apply_bp, reports_bp, reports_api_bp,
                      supplies_bp, supplies_api_bp, inspections_api_bp, inspections_bp):
        app.register_blueprint(blueprint)

    from accounts.cli import accounts_cli, bills_cli, credits_cli
    from auth.cli import users_cli
    from core.cli import register_cli
    from documents.cli import documents_cli
    from applications.cli import applications_cli
    from eligibility.cli import eligibility_cli, programs_cli
    from eligibility.enrollments import credits as _benefit_credits  # noqa: F401 - adds `credits post`
    from eligibility.recertification.cli import enrollments_cli, recert_cli
    from notices.cli import letters_cli
    from rebates.cli import rebates_cli
    from rebates.inspection_cli import inspections_cli
    from rebates.supplies_cli import supplies_cli
    from reports.cli import reports_cli

    register_cli(app)
    for group in (users_cli, accounts_cli, bills_cli, credits_cli, programs_cli, eligibility_cli, documents_cli,
                  applications_cli, recert_cli, enrollments_cli, letters_cli, rebates_cli, reports_cli, demo,
                  supplies_cli, inspections_cli):
        app.cli.add_command(group)
    return app


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when nobody has signed up yet (what `make run` uses).")
@click.option("--accounts", "scale_accounts", type=int, default=0,
              help="Also add this many accounts with a year of bills each, for benchmarks.")
@with_appcontext
def demo(if_empty: bool, scale_accounts: int) -> None:
    """Load demo data: people for every role, and what later areas add."""
    import importlib

    from sqlalchemy import func, select

    from auth.models import User
    from core.audit import Actor, acting_as
    from core.database import db

    if if_empty and db.session.scalar(select(func.count()).select_from(User)):
        click.echo("The database already has users; demo data not loaded.")
        return
    acting_as(Actor(label="cli: demo"))
    click.echo("Demo data:")
    options = {"scale_accounts": scale_accounts}
    from accounts.models import Account
    from applications.models import Application

    before = {model: db.session.scalar(select(func.max(model.id))) or 0 for model in (Account, Application)}
    for name in DEMO_LOADERS:
        importlib.import_module(name).load(db.session, click.echo, options)
        db.session.commit()
    # The demo's accounts and applications are test records: participation reports leave them out.
    for model, last in before.items():
        db.session.execute(model.__table__.update().where(model.id > last).values(test_record=True))
    db.session.commit()
