"""Importing pupils from a school's CSV export: reading, the preview, all-or-nothing, bad files."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from app.admin import importer
from app.db import db
from app.models import AdminAudit, Pupil, SchoolClass, User

from .helpers import csrf_from, real_page, sign_in

HEADER_STYLES = [
    "Forename,Surname,Year,Reg Group",
    "First name,Last name,NC Year,Class",
    "Legal Forename,Legal Surname,Year Group,Form",
    "UPN,Legal forename,Legal surname,DOB,National Curriculum Year,Registration Group",
]


def sixty_pupils() -> bytes:
    """A 60-pupil export: 30 in a Year 1 class, 30 in a Year 4 class, with awkward names."""
    first = ["Amira", "Ben", "Chloé", "Dáire", "Eshan", "Fatima", "George", "Hana", "Isaac",
             "Jade", "Kai", "Lena", "Mohammed", "Niamh", "Oskar"]
    last = ["Hussain", "O'Neill", "Martin", "Ní Bhriain", "Patel", "Ahmed", "Smith-Jones"]
    lines = ["Forename,Surname,Year,Reg Group"]
    for i in range(60):
        year, group = (1, "1 Ducks") if i < 30 else (4, "4 Owls")
        lines.append(f"{first[i % 15]},{last[i % 7]}{'' if i < 15 or 30 <= i < 45 else 'son'},"
                     f"{year},{group}")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


@pytest.mark.parametrize("header", HEADER_STYLES)
def test_header_names_as_school_systems_write_them(header):
    columns = header.split(",")
    values = {"upn": "A123", "dob": "2018-01-01"}
    cells = []
    for c in columns:
        key = importer._normal(c)
        cells.append(values.get(key, {"forename": "Amira", "firstname": "Amira",
                                      "legalforename": "Amira", "surname": "Hussain",
                                      "lastname": "Hussain", "legalsurname": "Hussain"}
                                .get(key, "3" if "year" in key else "3 Owls")))
    parsed = importer.read_csv(f"{header}\n{','.join(cells)}\n".encode())
    assert parsed.problems == []
    assert parsed.rows == [importer.Row(2, "Amira", "Hussain", 3, "3 Owls")]
    # Columns we do not use are named to the admin and never stored.
    assert {c.lower() for c in parsed.ignored_columns} == {c.lower() for c in columns
                                                           if c in ("UPN", "DOB")}


@pytest.mark.parametrize("data", [
    b"\xef\xbb\xbfForename,Surname,Year,Reg Group\r\nAmira,Hussain,Year 3,3 Owls\r\n",
    b"Forename;Surname;Year;Reg Group\nAmira;Hussain;Y3;3 Owls\n",
    b"Forename\tSurname\tYear\tReg Group\nAmira\tHussain\tNC Year 3\t3 Owls\n",
    b'"Forename","Surname","Year","Reg Group"\n"Amira","Hussain","3","3 Owls"\n\n,,,\n',
], ids=["bom-crlf", "semicolon", "tab", "quoted-blank-lines"])
def test_encodings_line_ends_and_separators(data):
    parsed = importer.read_csv(data)
    assert parsed.problems == []
    assert parsed.rows == [importer.Row(2, "Amira", "Hussain", 3, "3 Owls")]


BAD_FILES = {
    "missing-columns": (b"Name,Class\nAmira Hussain,3 Owls\n",
                        "no Forename column"),
    "unknown-year": (b"Forename,Surname,Year,Reg Group\nAmira,Hussain,Year 3,3 Owls\n"
                     b"Ben,Smith,Reception,R Ducks\n", "Row 3, Year: \u201cReception\u201d"),
    "year-seven": (b"Forename,Surname,Year,Reg Group\nAmira,Hussain,7,7A\n",
                   "Row 2, Year: Year 7 is not a primary year group"),
    "empty-name": (b"Forename,Surname,Year,Reg Group\n,Hussain,3,3 Owls\n",
                   "Row 2, Forename: is empty."),
    "empty-class": (b"Forename,Surname,Year,Reg Group\nAmira,Hussain,3,\n",
                    "Row 2, Reg group: is empty."),
    "duplicate-rows": (b"Forename,Surname,Year,Reg Group\nAmira,Hussain,3,3 Owls\n"
                       b"Ben,Smith,3,3 Owls\namira,HUSSAIN,3,3 Owls\n",
                       "Row 4, Forename: amira HUSSAIN (Year 3) is already on row 2."),
    "latin-1": ("Forename,Surname,Year,Reg Group\nAmira,Hussain,3,3 Owls\n"
                "Chlo\u00e9,Martin,3,3 Owls\n".encode("latin-1"),
                "Row 3 has a character that is not UTF-8"),
    "utf-16": ("Forename,Surname,Year,Reg Group\nAmira,Hussain,3,3 Owls\n".encode("utf-16"),
               "saved as UTF-16"),
    "binary": (bytes(range(256)) * 4, "not a text file"),
    "xlsx": (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 200, "Excel workbook (.xlsx)"),
    "header-only": (b"Forename,Surname,Year,Reg Group\n", "no pupils"),
    "empty": (b"", "The file is empty."),
    "digits-in-name": (b"Forename,Surname,Year,Reg Group\nAm1ra,Hussain,3,3 Owls\n",
                       "Row 2, Forename: \u201cAm1ra\u201d has characters"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_files_say_what_is_wrong_and_where(name):
    data, message = BAD_FILES[name]
    parsed = importer.read_csv(data)
    assert any(message in str(p) for p in parsed.problems), [str(p) for p in parsed.problems]


# --- through the web, as an admin and a teacher ---------------------------------------------


def upload(client, data: bytes, filename: str = "pupils.csv", school_class: int = 0):
    token = csrf_from(client.get("/admin/import").get_data(as_text=True))
    return client.post("/admin/import", data={
        "csrf_token": token, "school_class": str(school_class),
        "file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def confirm(client, preview_url: str):
    html = client.get(preview_url).get_data(as_text=True)
    digest = re.search(r'name="digest"[^>]*value="([^"]+)"', html).group(1)
    return client.post(preview_url, data={"csrf_token": csrf_from(html), "digest": digest})


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count(Pupil.id))),
                db.session.scalar(select(func.count(SchoolClass.id))),
                db.session.scalar(select(func.count(User.id))))


def test_sixty_pupils_into_two_classes_preview_then_confirm_then_again(app, client):
    sign_in(client, "admin")
    before = counts(app)
    response = upload(client, sixty_pupils())
    assert response.status_code == 302
    preview_url = response.location
    preview = client.get(preview_url).get_data(as_text=True)
    assert counts(app) == before, "nothing is written before the admin confirms"
    assert ">60</span> pupils to add" in preview
    assert ">2</span> classes to create" in preview
    assert "1 Ducks (Year 1)" in preview and "4 Owls (Year 4)" in preview
    assert "Amira H." in preview and "Chloé M." in preview

    done = confirm(client, preview_url)
    assert done.status_code == 200
    page = done.get_data(as_text=True)
    assert "60 pupils added" in page and "Login cards for 1 Ducks" in page
    with app.app_context():
        ducks = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "1 Ducks"))
        owls = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "4 Owls"))
        ks1 = list(db.session.scalars(select(Pupil).where(Pupil.class_id == ducks.id)))
        ks2 = list(db.session.scalars(select(Pupil).where(Pupil.class_id == owls.id)))
        assert len(ks1) == len(ks2) == 30
        assert all(p.picture_code and p.user.username is None for p in ks1)
        assert all(p.user.username and p.card_password and p.user.must_change_password
                   for p in ks2)
        # The surname is never stored: only its initial (longer where two would look alike).
        assert {p.surname_initial for p in ks1} <= {"H", "O", "M", "N", "P", "A", "S", "Ho",
                                                    "Hu", "Ma", "Ni", "Pa", "Ah", "Sm",
                                                    "Hus", "Mar", "Pat", "Ahm", "Smi"}
        assert len({p.short_name for p in ks1}) == 30, "no two pupils of a class look alike"
        assert db.session.scalar(select(AdminAudit.summary).where(
            AdminAudit.action == "import.apply")).startswith("Imported pupils.csv: 60 added")
        owls_id = owls.id
    cards = client.get(f"/admin/classes/{owls_id}/cards").get_data(as_text=True)
    assert cards.count('class="login-card"') == 30

    after = counts(app)
    again = upload(client, sixty_pupils())
    page = client.get(again.location).get_data(as_text=True)
    assert ">0</span> pupils to add" in page and "60 pupils already here" in page
    assert "Nothing to change" in page
    assert counts(app) == after


def test_a_file_with_errors_imports_nothing_and_cannot_be_confirmed(app, client):
    sign_in(client, "admin")
    before = counts(app)
    data = sixty_pupils() + b"Zed,,3,3 Owls\r\n"
    response = upload(client, data)
    page = client.get(response.location)
    assert page.status_code == 400
    assert "Row 62, Surname: is empty." in page.get_data(as_text=True)
    html = page.get_data(as_text=True)
    assert "Confirm" not in html
    refused = client.post(response.location, data={"csrf_token": csrf_from(html),
                                                   "digest": "x"})
    assert refused.status_code == 400
    assert counts(app) == before


@pytest.mark.parametrize("name", ["latin-1", "utf-16", "binary", "xlsx", "empty"])
def test_bad_files_are_refused_at_upload_with_the_reason(app, client, name):
    sign_in(client, "admin")
    before = counts(app)
    response = upload(client, BAD_FILES[name][0], "pupils.xlsx" if name == "xlsx" else "p.csv")
    assert response.status_code == 400
    assert BAD_FILES[name][1] in response.get_data(as_text=True)
    assert counts(app) == before


def test_a_20_mb_file_gets_a_clear_message(app, client):
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    sign_in(client, "admin")
    before = counts(app)
    token = csrf_from(client.get("/admin/import").get_data(as_text=True))
    big_file = io.BytesIO(b"Forename,Surname,Year,Reg Group\n" + b"A,B,3,3 Owls\n" * 1_600_000)
    # Encoded in memory: the test client would otherwise spool it to a file it never closes.
    boundary, body = encode_multipart(MultiDict({
        "csrf_token": token, "school_class": "0",
        "file": FileStorage(big_file, "pupils.csv", content_type="text/csv")}))
    response = client.post("/admin/import", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "larger than 1 MB" in response.get_data(as_text=True)
    assert counts(app) == before
    # Other forms keep the ordinary, small limit.
    token = csrf_from(client.get("/admin/staff").get_data(as_text=True))
    big = client.post("/admin/staff", data={"csrf_token": token, "display_name": "x" * 200_000})
    assert big.status_code == 413


def test_a_teacher_imports_into_their_own_class_only(app, client):
    sign_in(client, "teacher")
    with app.app_context():
        y5 = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "Year 5 Kestrels"))
        y2 = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "Year 2 Robins"))
        y5_id, y2_id = y5.id, y2.id
    form = client.get("/admin/import").get_data(as_text=True)
    assert "Year 5 Kestrels" in form and "Year 2 Robins" not in form
    assert "The classes named in the file" not in form
    # Another teacher's class is not a choice.
    assert upload(client, b"Forename,Surname,Year\nNew,Pupil,5\n",
                  school_class=y2_id).status_code == 400
    # A file naming another class is refused row by row.
    other = upload(client, b"Forename,Surname,Year,Class\nNew,Pupil,5,Year 2 Robins\n",
                   school_class=y5_id)
    page = client.get(other.location)
    assert "Row 2, Reg group: \u201cYear 2 Robins\u201d is not Year 5 Kestrels" in \
        page.get_data(as_text=True)
    before = counts(app)
    ok = upload(client, b"Forename,Surname,Year\nNew,Pupil,5\nAlex,Parker,5\n",
                school_class=y5_id)
    page = client.get(ok.location).get_data(as_text=True)
    # Alex P. (Year 5) is the demo pupil already here: recognised, not duplicated.
    assert ">1</span> pupil to add" in page and "1 pupil already here" in page
    real_page(confirm(client, ok.location))
    assert counts(app)[0] == before[0] + 1
    # The preview belongs to its uploader: another teacher cannot open it.
    other_client = app.test_client()
    sign_in(other_client, "teacher2")
    assert other_client.get(ok.location).status_code == 404


def test_confirming_a_stale_preview_is_refused(app, client):
    sign_in(client, "admin")
    response = upload(client, b"Forename,Surname,Year,Reg Group\nNew,Pupil,3,3 Owls\n")
    html = client.get(response.location).get_data(as_text=True)
    # Someone else adds the same pupil by hand in the meantime.
    with app.app_context():
        from app.admin.pupils import NewPupil, add_pupil
        from app.models import School

        school = db.session.scalar(select(School))
        owls = SchoolClass(school_id=school.id, name="3 Owls", year_group=3)
        db.session.add(owls)
        db.session.flush()
        add_pupil(school, None, owls, NewPupil("New", "Pupil", 3))
        db.session.commit()
    digest = re.search(r'name="digest"[^>]*value="([^"]+)"', html).group(1)
    again = client.post(response.location, data={"csrf_token": csrf_from(html),
                                                  "digest": digest})
    assert again.status_code == 200
    assert "changed since this preview" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Pupil.id)).where(
            Pupil.first_name == "New")) == 1
