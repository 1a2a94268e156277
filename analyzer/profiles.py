"""Mapping profiles: YAML files that say how a log's records become canonical rows. A gateway
log of a SOAP API reads `POST /soap` on every line and a REST log carries ids in its paths, so a
profile derives `operation` from the SOAPAction header, the SOAP body or a route template,
`client_id` from a header, an API key id or the address, and ids from the path, query, headers
or body.

Profiles ship in `analyzer/profiles/`; a user names one (or a file of their own) with
`--profile` or `profile:` in trafficlint.yaml. Like rules, a profile is validated completely
when loaded, every problem named with its file and key.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

from analyzer.conditions import check_regex, regex_groups
from analyzer.derive import SOURCES
from analyzer.errors import ConfigError
from analyzer.routes import Route, parse_route
from analyzer.safe_yaml import load_yaml_file
from analyzer.schema import FIELDS_BY_NAME

PROFILE_KEYS: dict[str, tuple[bool, str]] = {
    "name": (True, "kebab-case name, also the file name"),
    "title": (True, "one line: the logs this profile reads"),
    "summary": (True, "what it derives, and from where"),
    "priority": (False, "order in which automatic detection tries profiles (higher first)"),
    "base_path": (False, "a prefix routes may carry, e.g. /api/{version}"),
    "routes": (False, "list of {route: 'METHOD /path/{param}', operation: name}"),
    "infer_routes": (False, "true: a path no route matches gets a template with ids as {id}"),
    "fields": (False, "canonical field -> list of sources, tried in order"),
}
ROUTE_KEYS = ("route", "operation")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class FieldSource:
    kind: str  # a key of derive.SOURCES
    argument: str
    regex: str | None = None

    def describe(self) -> str:
        # A column reads as its name, as the columns found by name do.
        text = self.argument if self.kind == "column" else \
            f"{self.kind.replace('_', ' ')} {self.argument}"
        return f"{text} ~ /{self.regex}/" if self.regex else text


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    summary: str
    path: str
    priority: int = 0
    routes: tuple[Route, ...] = ()
    infer_routes: bool = False
    fields: Mapping[str, tuple[FieldSource, ...]] = dataclass_field(default_factory=dict)

    def sources(self, name: str) -> tuple[FieldSource, ...]:
        return self.fields.get(name, ())


def builtin_profiles_dir() -> Path:
    return Path(__file__).resolve().parent / "profiles"


@functools.cache
def builtin_profiles() -> tuple[Profile, ...]:
    """The shipped profiles, in the order automatic detection tries them."""
    files = sorted(builtin_profiles_dir().glob("*.yaml"))
    profiles = [load_profile(path) for path in files]
    return tuple(sorted(profiles, key=lambda p: (-p.priority, p.name)))


def find_profile(name_or_path: str, where: str, base: Path | None = None) -> Profile:
    """A shipped profile by name, or a profile file by path (relative to `base`)."""
    by_name = {p.name: p for p in builtin_profiles()}
    if name_or_path in by_name:
        return by_name[name_or_path]
    path = (base or Path.cwd()) / name_or_path
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return load_profile(path)
    raise ConfigError(f"{where}: unknown profile {name_or_path!r} (expected one of: "
                      f"{', '.join(by_name)}, or the path of a profile .yaml file)")


def load_profile(path: Path) -> Profile:
    try:
        data = load_yaml_file(path)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    problems: list[str] = []
    profile = _parse(data, path, lambda key, msg: problems.append(f"{path}: {key}: {msg}"))
    if problems or profile is None:
        raise ConfigError(problems or [f"{path}: expected a mapping of profile keys"])
    return profile


def _parse(data: Any, path: Path, fail) -> Profile | None:
    if not isinstance(data, Mapping):
        return None
    for key in data:
        if key not in PROFILE_KEYS:
            fail(key, f"unknown key (expected one of: {', '.join(PROFILE_KEYS)})")
    for key, (required, _) in PROFILE_KEYS.items():
        if required and not (isinstance(data.get(key), str) and data[key].strip()):
            fail(key, "required text is missing")
    name = str(data.get("name", ""))
    if name and not NAME_PATTERN.match(name):
        fail("name", f"expected kebab-case such as generic-rest, got {name!r}")
    elif name and path.stem != name:
        fail("name", f"{name} must be in a file named {name}.yaml")
    priority = data.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int):
        fail("priority", f"expected a whole number, got {priority!r}")
        priority = 0
    infer = data.get("infer_routes", False)
    if not isinstance(infer, bool):
        fail("infer_routes", f"expected true or false, got {infer!r}")
    base = data.get("base_path") or ""
    if not isinstance(base, str) or (base and not base.startswith("/")):
        fail("base_path", f"expected a path starting with '/', got {base!r}")
        base = ""
    return Profile(
        name=name, title=str(data.get("title", "")).strip(),
        summary=" ".join(str(data.get("summary", "")).split()), path=str(path),
        priority=priority, routes=_routes(data.get("routes", []), base, fail),
        infer_routes=infer is True, fields=_fields(data.get("fields", {}), fail),
    )


def _routes(raw: Any, base: str, fail) -> tuple[Route, ...]:
    if not isinstance(raw, list):
        fail("routes", "expected a list of {route: 'METHOD /path/{param}', operation: name}")
        return ()
    routes = []
    for index, spec in enumerate(raw):
        key = f"routes[{index}]"
        if not isinstance(spec, Mapping) or "route" not in spec:
            fail(key, "expected a mapping with route (and optionally operation)")
            continue
        for extra in spec:
            if extra not in ROUTE_KEYS:
                fail(f"{key}.{extra}", f"unknown key (expected one of: {', '.join(ROUTE_KEYS)})")
        operation = spec.get("operation")
        if operation is not None and not (isinstance(operation, str) and operation.strip()):
            fail(f"{key}.operation", f"expected non-empty text, got {operation!r}")
            operation = None
        try:
            routes.append(parse_route(spec["route"], operation, base))
        except ValueError as exc:
            fail(f"{key}.route", str(exc))
    return tuple(routes)


def _fields(raw: Any, fail) -> dict[str, tuple[FieldSource, ...]]:
    if not isinstance(raw, Mapping):
        fail("fields", "expected a mapping of canonical field -> list of sources")
        return {}
    fields = {}
    for name, specs in raw.items():
        key = f"fields.{name}"
        if name not in FIELDS_BY_NAME:
            fail(key, f"unknown field (expected one of: {', '.join(FIELDS_BY_NAME)})")
            continue
        if not isinstance(specs, list) or not specs:
            fail(key, "expected a non-empty list of sources such as {header: x-client-id}")
            continue
        parsed = [_source(spec, f"{key}[{i}]", fail) for i, spec in enumerate(specs)]
        fields[name] = tuple(p for p in parsed if p is not None)
    return fields


def _source(spec: Any, key: str, fail) -> FieldSource | None:
    kinds = [k for k in (spec if isinstance(spec, Mapping) else {}) if k in SOURCES]
    if len(kinds) != 1:
        fail(key, f"expected one source, one of: {', '.join(SOURCES)} (with an optional regex)")
        return None
    kind = kinds[0]
    for extra in spec:
        if extra not in (kind, "regex"):
            fail(f"{key}.{extra}", f"unknown key (expected {kind} and optionally regex)")
    argument = spec[kind]
    if not isinstance(argument, str) or not argument.strip():
        fail(f"{key}.{kind}", f"expected non-empty text, got {argument!r}")
        return None
    regex = spec.get("regex")
    if regex is not None:
        try:
            regex = check_regex(regex)
            if regex_groups(regex) > 1:
                raise ValueError(f"regular expression {regex!r} has more than one group")
        except ValueError as exc:
            fail(f"{key}.regex", str(exc))
            return None
    return FieldSource(kind, argument.strip(), regex)
