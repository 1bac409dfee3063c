import sys

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

bp = Blueprint("teach", __name__, url_prefix="/staff")


@bp.record_once
def _load_topics(state: BlueprintSetupState) -> None:
    """Read the topic map once, when the app is built, next to the catalogue."""
    from ..content import ContentError
    from ..content.topics import load_topics

    app = state.app
    try:
        app.extensions["topics"] = load_topics(app.config["CONTENT_DIR"])
    except ContentError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        raise SystemExit(f"lessons/topics.yaml has {len(exc.problems)} problem(s) listed "
                         "above; the app will not start until they are fixed.") from None


from . import views, work_views  # noqa: E402,F401
