"""Write the school set-up screenshots used by docs/admin.md and the README.

    .venv/bin/python scripts/admin_screenshots.py

Builds a throwaway demo database, serves the app on loopback and drives Debian's chromium
through a school's first morning: staff, a CSV import preview, login cards, a family letter
and the new school year.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
OUT = REPO / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CSV = b"""Forename,Surname,Year,Reg Group,DOB
Amira,Hussain,4,4 Owls,2017-03-02
Ben,O'Neill,4,4 Owls,2016-11-20
Chlo\xc3\xa9,Martin,4,4 Owls,2017-05-14
D\xc3\xa1ire,Kelly,4,4 Owls,2016-09-30
Eshan,Patel,1,1 Ducks,2020-01-12
Fatima,Ahmed,1,1 Ducks,2019-12-02
George,Smith,1,1 Ducks,2020-04-21
Hana,,1,1 Ducks,2020-06-09
Alex,Parker,5,Year 5 Kestrels,2016-02-01
"""


def main() -> None:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from app import create_app
    from app.db import db
    from app.demo import seed_demo
    from app.migrate import upgrade

    tmp = Path(tempfile.mkdtemp())
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp / 'shots.db'}", "SECRET_KEY": "shots"})
    with app.app_context():
        upgrade(app.config["SQLALCHEMY_DATABASE_URI"])
        seed_demo()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 800}, base_url=base)

        def shot(name: str) -> None:
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)

        page.goto("/login")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill("demo-admin-pass")
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.get_by_role("button", name="I agree", exact=True).click()
        page.goto("/admin/")
        shot("admin-home")
        page.goto("/admin/staff")
        shot("admin-staff")
        page.goto("/admin/import")
        page.get_by_label("CSV file exported from your school's system").set_input_files(
            {"name": "september.csv", "mimeType": "text/csv", "buffer": CSV})
        page.get_by_role("button", name="Upload and preview").click()
        shot("admin-import-errors")
        fixed = CSV.replace(b"Hana,,", b"Hana,Nowak,")
        page.goto("/admin/import")
        page.get_by_label("CSV file exported from your school's system").set_input_files(
            {"name": "september.csv", "mimeType": "text/csv", "buffer": fixed})
        page.get_by_role("button", name="Upload and preview").click()
        shot("admin-import-preview")
        page.get_by_role("button", name="Confirm: import 8 pupils").click()
        page.get_by_role("link", name="Login cards for 4 Owls").click()
        shot("admin-login-cards")
        page.goto("/admin/families")
        page.get_by_role("button", name="Print a letter for Amira").click()
        shot("admin-family-letter")
        page.goto("/admin/year")
        shot("admin-new-year")
        browser.close()
    server.shutdown()
    print(f"Screenshots written to {OUT}")


if __name__ == "__main__":
    main()
