"""No function in app/ is longer than 50 lines (house rule; issue 16).

Counted from the ``def`` line to the last line of the body, decorators and the docstring
included, the way a reader meets it. Nested functions count inside their parent too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
LIMIT = 50


def long_functions(root: Path = APP, limit: int = LIMIT) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                length = (node.end_lineno or node.lineno) - start + 1
                if length > limit:
                    found.append(f"app/{rel}:{node.lineno}: {node.name} is {length} lines")
    return found


def test_no_function_in_app_is_over_fifty_lines():
    assert long_functions() == []


@pytest.mark.parametrize(("body_lines", "too_long"), [(48, False), (49, True)])
def test_the_measure_counts_decorators_and_body(tmp_path, body_lines, too_long):
    source = "@decorator\ndef f():\n" + "    x = 1\n" * body_lines
    (tmp_path / "mod.py").write_text(source)
    assert bool(long_functions(tmp_path)) is too_long
    assert long_functions(tmp_path, limit=body_lines + 2) == []
