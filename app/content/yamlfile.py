"""YAML with line numbers, and one checker per file that turns mistakes into ``file:line``
problems. Shared by the lesson, quiz, topic and framework-statement files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    where: str
    message: str

    def __str__(self) -> str:
        where = f" {self.where}:" if self.where else ""
        return f"{self.file}:{self.line}:{where} {self.message}"


class ContentError(Exception):
    """Raised when content is invalid; ``problems`` holds every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Ref:
    """A value written in a file (a misconception tag, a step id, a statement id) and where,
    kept so a later check can point at the line that named it."""

    value: str
    line: int
    where: str


# --- YAML with line numbers ---------------------------------------------------------------


class LineDict(dict[Any, Any]):
    line = 1
    key_lines: dict[Any, int]


class LineList(list[Any]):
    line = 1
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | bool) or key is None:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be plain text", key_node.start_mark
            )
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = value_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def line_of(container: Any, key: Any = None) -> int:
    """The line of ``container[key]`` (or of the container itself)."""
    if key is not None:
        if isinstance(container, LineDict) and key in container.key_lines:
            return container.key_lines[key]
        if isinstance(container, LineList) and isinstance(key, int):
            if 0 <= key < len(container.item_lines):
                return container.item_lines[key]
    line: int = getattr(container, "line", 1)
    return line


def read_yaml(path: Path, rel: str, problems: list[Problem]) -> LineDict | None:
    """The file's top-level mapping, or None with the reason added to ``problems``."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(rel, 1, "", "bad encoding: the file must be UTF-8"))
        return None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 1
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.append(Problem(rel, line, "", f"bad YAML: {reason}"))
        return None
    if not isinstance(data, LineDict):
        problems.append(Problem(rel, 1, "", "bad YAML: the file should be a mapping of fields"))
        return None
    return data


# --- checking helpers ---------------------------------------------------------------------


class FileChecker:
    """Collects problems for one file and reads typed fields from its mappings."""

    def __init__(self, rel: str, problems: list[Problem]):
        self.rel = rel
        self.problems = problems
        self.start = len(problems)

    @property
    def ok(self) -> bool:
        return len(self.problems) == self.start

    def add(self, container: Any, key: Any, where: str, message: str) -> None:
        self.problems.append(Problem(self.rel, line_of(container, key), where, message))

    def ref(self, container: Any, key: Any, where: str, value: str) -> Ref:
        return Ref(value, line_of(container, key), where)

    def mapping(self, value: Any, where: str, parent: Any = None, key: Any = None) -> LineDict:
        if isinstance(value, LineDict):
            return value
        self.add(parent if parent is not None else value, key, where, "should be a mapping")
        return LineDict()

    def fields(self, d: LineDict, where: str, required: set[str], optional: set[str]) -> None:
        for name in sorted(required - set(d)):
            self.add(d, None, where, f"missing field '{name}'")
        for name in sorted(set(d) - required - optional, key=str):
            self.add(d, name, where, f"unknown field '{name}'")

    def text(self, d: LineDict, key: str, where: str, required: bool = True) -> str:
        value = d.get(key)
        if value is None:
            if required and key in d:
                self.add(d, key, where, f"'{key}' is empty")
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.add(d, key, where, f"'{key}' should be text")
            return ""
        text = str(value).strip()
        if required and not text:
            self.add(d, key, where, f"'{key}' is empty")
        return text

    def slug(self, d: LineDict, key: str, where: str) -> str:
        value = self.text(d, key, where)
        if value and not SLUG_RE.match(value):
            self.add(d, key, where, f"'{key}' '{value}' should use only a-z, 0-9 and hyphens")
        return value

    def boolean(self, d: LineDict, key: str, where: str, default: bool = False) -> bool:
        if key not in d:
            return default
        value = d[key]
        if not isinstance(value, bool):
            self.add(d, key, where, f"'{key}' should be true or false")
            return default
        return value

    def integer(self, d: LineDict, key: str, where: str) -> int:
        value = d.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            if key in d:
                self.add(d, key, where, f"'{key}' should be a whole number")
            return 0
        return value

    def seq(self, d: LineDict, key: str, where: str) -> LineList:
        value = d.get(key)
        if isinstance(value, LineList):
            return value
        if key in d:
            self.add(d, key, where, f"'{key}' should be a list")
        return LineList()

    def id_list(self, d: LineDict, key: str, where: str) -> tuple[str, ...]:
        """An optional list of ids (e.g. the "I can" statements a question assesses)."""
        if key not in d:
            return ()
        out = []
        for i, value in enumerate(self.seq(d, key, where)):
            if not isinstance(value, str) or not SLUG_RE.match(value):
                self.add(d[key], i, where, f"'{key}' entry {i + 1} should be an id (a-z, 0-9, "
                         "hyphens)")
            else:
                out.append(value)
        if isinstance(d.get(key), LineList) and not d[key]:
            self.add(d, key, where, f"'{key}' is empty; leave it out to mean every statement")
        return tuple(out)

    def count(self, seq: LineList, d: LineDict, key: str, where: str, lo: int, hi: int) -> None:
        if key in d and isinstance(d.get(key), LineList) and not lo <= len(seq) <= hi:
            self.add(d, key, where, f"'{key}' has {len(seq)} entries; it needs {lo} to {hi}")

    def choose(self, d: LineDict, key: str, allowed: dict[str, str], what: str,
               hint: str = "") -> tuple[str, ...]:
        """A list whose every entry must be one of ``allowed``."""
        values = self.seq(d, key, "")
        for i, v in enumerate(values):
            if v not in allowed:
                self.add(values, i, key, f"unknown {what} '{v}'{hint}")
        return tuple(v for v in values if v in allowed)


__all__ = ["SLUG_RE", "ContentError", "FileChecker", "LineDict", "LineList", "Problem", "Ref",
           "line_of", "read_yaml"]
