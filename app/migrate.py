"""Alembic, driven from the app: `flask --app app init-db` upgrades to the newest schema."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from .config import REPO_ROOT


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)
