"""Application factory: config, extensions, content loaded once, blueprints."""

from __future__ import annotations

import functools
import sys
from typing import Any

from flask import Flask, request

from .config import configure
from .content import ContentError, load_catalogue
from .content.model import Catalogue
from .db import db
from .extensions import csrf, login_manager


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        static_folder="../static",
        template_folder="../templates",
        instance_relative_config=True,
    )
    configure(app, test_config)
    from .security import bounded_ids

    bounded_ids(app)  # before any blueprint: every <int:id> is bounded

    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)

    app.extensions["catalogue"] = _load_content(app)

    from . import errors, schooltime, security
    from .admin import bp as admin_bp
    from .admin import join_bp
    from .auth import bp as auth_bp
    from .family import bp as family_bp
    from .learn import bp as learn_bp
    from .ops import bp as ops_bp
    from .ops import setup_logging
    from .teach import bp as teach_bp
    from .worries import bp as worries_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(learn_bp)
    app.register_blueprint(teach_bp)
    app.register_blueprint(family_bp)
    app.register_blueprint(worries_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(join_bp)
    app.register_blueprint(ops_bp)
    setup_logging(app)
    errors.register(app)
    security.register(app)
    schooltime.register(app)

    from .cli import register as register_cli

    register_cli(app)
    _template_globals(app)
    return app


def _load_content(app: Flask) -> Catalogue:
    """Load and validate the course; refuse to start, saying why, when any file is wrong."""
    try:
        return load_catalogue(app.config["CONTENT_DIR"], app.config.get("LESSON_IMAGE_DIR"))
    except ContentError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        raise SystemExit(
            f"The course content has {len(exc.problems)} problem(s) listed above; "
            "the app will not start until they are fixed."
        ) from None


def _template_globals(app: Flask) -> None:
    from .content import BAND_NAMES, FOUR_CS, STRANDS
    from .models import ROLE_NAMES

    @functools.lru_cache(maxsize=512)
    def _asset(script_root: str, filename: str) -> str:
        return f"{script_root}{app.static_url_path}/{filename}"

    def asset(filename: str) -> str:
        """The URL of a static file: url_for('static') without its cost on every page."""
        return _asset(request.script_root, filename)

    app.jinja_env.globals.update(
        BAND_NAMES=BAND_NAMES, STRANDS=STRANDS, FOUR_CS=FOUR_CS, ROLE_NAMES=ROLE_NAMES,
        asset=asset,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
