from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..db import db
from ..permissions import own_children, require
from . import bp
from .agreement import SECTIONS, agreement_of, line_problem, own_lines, printed, save, split_saved
from .forms import FamilyAgreementForm
from .guides import Guide, load_guides
from .progress import agreed_at, child_progress


@bp.record_once
def _load_guides(state) -> None:  # type: ignore[no-untyped-def]
    """The family guides, read and rendered once when the app starts."""
    folder = state.app.config.get("GUIDES_DIR") or Path(state.app.root_path).parent / "guides"
    state.app.extensions["guides"] = load_guides(Path(folder))


def _guides() -> tuple[Guide, ...]:
    guides: tuple[Guide, ...] = current_app.extensions["guides"]
    return guides


@bp.route("/")
@require("family")
def home() -> str:
    """Their own child's progress, then practical guidance for home by age band."""
    catalogue = current_app.extensions["catalogue"]
    children = [child_progress(catalogue, pupil) for pupil in own_children(current_user)]
    return render_template("family/home.html", children=children, by_band=catalogue.by_band,
                           guides=_guides(), agreed=agreed_at(current_user),
                           has_agreement=agreement_of(current_user) is not None)


@bp.route("/guides")
def guides() -> str:
    """The family guides: open to anyone, they hold nothing about any child."""
    return render_template("family/guides.html", guides=_guides())


@bp.route("/guides/<slug>")
def guide(slug: str) -> str:
    found = next((g for g in _guides() if g.slug == slug), None)
    if found is None:
        abort(404)
    return render_template("family/guide.html", guide=found, guides=_guides())


@bp.route("/what-we-see")
def what_we_see() -> str:
    """Privacy in plain words: a child's page for pupils, the short version for grown-ups."""
    pupil = current_user.pupil if current_user.is_authenticated else None
    return render_template("family/what_we_see.html", band=pupil.band if pupil else None,
                           staff=current_user.is_authenticated and current_user.kind == "staff")


def _rules_from(form: FamilyAgreementForm) -> tuple[dict[str, list[str]], list[str]]:
    """The ticked and written rules per section, and what is wrong (naming the section)."""
    rules: dict[str, list[str]] = {}
    problems: list[str] = []
    for section in SECTIONS:
        pick, own = form.section_fields(section.key)
        lines = own_lines(own.data or "")
        problem = line_problem(section, lines)
        if problem:
            own.errors = [problem]
            problems.append(problem)
        ticked = [section.suggestions[int(i)] for i in (pick.data or [])]
        rules[section.key] = ticked + [line for line in lines if line not in ticked]
    if not any(rules.values()):
        problems.append("Tick or write at least one rule before you save.")
    return rules, problems


@bp.route("/agreement", methods=["GET", "POST"])
@require("family")
def agreement() -> Response | tuple[str, int]:
    """Build the family agreement together: tick the rules that fit, write your own."""
    row = agreement_of(current_user)
    form = FamilyAgreementForm()
    problems: list[str] = []
    if form.validate_on_submit():
        rules, problems = _rules_from(form)
        if not problems:
            save(current_user, form.family_name.data or "", rules)
            db.session.commit()
            flash("Your family agreement is saved. Print it, talk it through and sign it "
                  "together.", "success")
            return redirect(url_for("family.agreement_print"))
    elif not form.is_submitted():
        _fill(form, row)
    status = 400 if (form.errors or problems) else 200
    return render_template("family/agreement.html", form=form, sections=SECTIONS,
                           problems=problems, saved=row), status


def _fill(form: FamilyAgreementForm, row) -> None:  # type: ignore[no-untyped-def]
    form.family_name.data = row.family_name if row is not None else ""
    for key, (ticked, own) in split_saved(row).items():
        pick, box = form.section_fields(key)
        pick.data = ticked if row is not None else []
        box.data = "\n".join(own)


@bp.route("/agreement/print")
@require("family")
def agreement_print() -> Response | str:
    row = agreement_of(current_user)
    if row is None:
        return redirect(url_for("family.agreement"))
    return render_template("family/agreement_print.html", row=row, sections=printed(row))
