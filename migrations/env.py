"""Alembic environment: the app's metadata, the URL from the caller or the environment."""

import os
from pathlib import Path

from alembic import context
from sqlalchemy import engine_from_config, pool

from app.config import database_uri
from app.db import Base
import app.models  # noqa: F401  (registers every table on Base.metadata)

config = context.config
target_metadata = Base.metadata

url = config.get_main_option("sqlalchemy.url")
if not url:
    default = Path(__file__).resolve().parent.parent / "instance" / "platform.db"
    url = database_uri(os.environ.get("DATABASE_URL", f"sqlite:///{default}"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}),
                                     prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
