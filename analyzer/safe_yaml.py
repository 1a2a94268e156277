"""Load YAML written by people we do not fully trust: rule packs and config files.

PyYAML's SafeLoader already refuses Python object tags. On top of it we refuse duplicate keys
(PyYAML silently keeps the last one, hiding typos) and anchors/aliases (an alias bomb expands
to gigabytes, and nothing in a rule or config needs them), and we cap the file size and the
nesting depth.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from analyzer.errors import place

MAX_YAML_BYTES = 1_000_000


MAX_DEPTH = 50  # rules and configs nest a few levels; a deeper file is hostile or broken


class _StrictLoader(yaml.SafeLoader):
    depth = 0

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        event = self.peek_event()
        if self.check_event(yaml.AliasEvent):
            raise yaml.MarkedYAMLError(
                problem="anchors and aliases are not allowed", problem_mark=event.start_mark
            )
        # PyYAML composes and constructs recursively: refuse depth before Python's own
        # recursion limit would end the run with a traceback.
        if self.depth >= MAX_DEPTH:
            raise yaml.MarkedYAMLError(
                problem=f"nested deeper than {MAX_DEPTH} levels", problem_mark=event.start_mark
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node, deep=False):  # type: ignore[no-untyped-def]
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise yaml.MarkedYAMLError(
                    problem="mapping keys must be plain scalars", problem_mark=key_node.start_mark
                )
            if key in seen:
                raise yaml.MarkedYAMLError(
                    problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node):  # type: ignore[no-untyped-def]
        # PyYAML raises a bare ValueError for a date that does not exist (2027-02-30), which
        # would reach the user without the file and line.
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.MarkedYAMLError(
                problem=f"{node.value!r} is not a real date or time: {exc}",
                problem_mark=node.start_mark,
            ) from None


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp",
                              _StrictLoader.construct_yaml_timestamp)


def load_yaml_text(text: str, source: str) -> Any:
    """Parse YAML text; raise ValueError with `source:line: problem` on any error."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_YAML_BYTES:
        raise ValueError(f"{source}: file is larger than {MAX_YAML_BYTES} bytes")
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ValueError(f"{place(source, line=line)}: {problem}") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"{source}: invalid YAML: {exc}") from None


def load_yaml_file(path: Path, display: str | None = None) -> Any:
    """Read and parse a YAML file; raise ValueError naming the file on any problem."""
    source = display or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise ValueError(f"{source}: file is larger than {MAX_YAML_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{source}: not valid UTF-8") from None
    except OSError as exc:
        raise ValueError(f"{source}: cannot read: {exc.strerror}") from None
    return load_yaml_text(text, source)
