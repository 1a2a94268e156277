"""The config file, `trafficlint.yaml`: column aliases, rule selection, severity and threshold
overrides, run defaults, and what a CI gate needs (maintenance windows, the known SKU list, the
live environment's name, suppressions and a baseline). Read from `--config PATH`, else from
`trafficlint.yaml` or `.trafficlint.yaml` in the working directory. Every key is declared once
in `KEYS`, with the function that checks it and a one-line description of what it holds.

Invalid config is an error naming the file, the key and what is allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from analyzer.durations import parse_duration
from analyzer.error_meanings import ErrorMeanings, parse_error_meanings
from analyzer.errors import ConfigError
from analyzer.maintenance import Window, parse_windows
from analyzer.model import SuppressionEntry
from analyzer.redact import DEFAULT as DEFAULT_REDACTOR
from analyzer.redact import Redactor, check_pattern, redactor
from analyzer.rules import rule_files
from analyzer.safe_yaml import load_yaml_file
from analyzer.schema import DEFAULT_CLIENT, FIELDS_BY_NAME
from analyzer.severity import FAIL_ON_CHOICES, LEVELS, Escalation, Severity
from analyzer.suppressions import parse_suppressions

CONFIG_NAMES = ("trafficlint.yaml", ".trafficlint.yaml")
DEFAULT_LIVE = ("live", "production", "prod")


@dataclass(frozen=True)
class RuleOverride:
    severity: Severity | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    source: str | None = None
    fields: Mapping[str, list[str]] = field(default_factory=dict)
    timezone: str | None = None
    default_client: str = DEFAULT_CLIENT
    fail_on: str = "warning"
    max_evidence: int = 5
    rules_dirs: tuple[Path, ...] = ()
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    rules: Mapping[str, RuleOverride] = field(default_factory=dict)
    maintenance: tuple[Window, ...] = ()
    known_skus: frozenset[str] | None = None
    live_environments: tuple[str, ...] = DEFAULT_LIVE
    suppressions: tuple[SuppressionEntry, ...] = ()
    baseline: Path | None = None
    baseline_tolerance: float = 0.5
    escalation: Escalation = field(default_factory=Escalation)
    origin: Mapping[str, str] = field(default_factory=dict)  # key -> where it was set
    profile: str | None = None  # a mapping profile's name, or the path of one
    redact: Redactor = DEFAULT_REDACTOR  # what is hidden from every output
    errors: ErrorMeanings = field(default_factory=ErrorMeanings)

    def with_cli(self, **overrides: Any) -> Config:
        """The config with command-line values (those not None) taking precedence."""
        given = {k: v for k, v in overrides.items() if v is not None}
        origin = {**self.origin, **{k: f"--{k.replace('_', '-')}" for k in given}}
        return replace(self, **given, origin=origin)

    def where(self, key: str) -> str:
        """Where a setting came from, for error messages: the config file or the flag."""
        return self.origin.get(key) or self.source or "defaults"


class _Problems(list):
    def __init__(self, source: str):
        super().__init__()
        self.source = source

    def add(self, key: str, message: str) -> None:
        self.append(f"{self.source}: {key}: {message}")


def _fields(value: Any, key: str, problems: _Problems, base: Path) -> dict[str, list[str]]:
    if not isinstance(value, Mapping):
        problems.add(key, "expected a mapping of canonical field -> list of your column names")
        return {}
    result = {}
    for name, aliases in value.items():
        if name not in FIELDS_BY_NAME:
            problems.add(f"{key}.{name}", f"unknown field (expected one of: "
                                          f"{', '.join(FIELDS_BY_NAME)})")
            continue
        aliases = [aliases] if isinstance(aliases, str) else aliases
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
            problems.add(f"{key}.{name}", "expected a column name or a list of column names")
            continue
        result[name] = aliases
    return result


def _timezone(value: Any, key: str, problems: _Problems, base: Path) -> str | None:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        problems.add(key, f"unknown time zone {value!r} (expected an IANA name such as "
                          f"Europe/London or UTC)")
        return None
    return str(value)


def check_timezone(value: str, where: str) -> str:
    """A zone given on the command line, checked as the config file's `timezone` is."""
    problems = _Problems(where)
    checked = _timezone(value, "value", problems, Path.cwd())
    if problems or checked is None:
        raise ConfigError(list(problems))
    return checked


def _text(value: Any, key: str, problems: _Problems, base: Path) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.add(key, "expected non-empty text")
        return None
    return value


def _fail_on(value: Any, key: str, problems: _Problems, base: Path) -> str | None:
    if value not in FAIL_ON_CHOICES:
        problems.add(key, f"expected one of: {', '.join(FAIL_ON_CHOICES)}, got {value!r}")
        return None
    return value


def _positive(value: Any, key: str, problems: _Problems, base: Path) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        problems.add(key, f"expected a whole number of 1 or more, got {value!r}")
        return None
    return value


def _dirs(value: Any, key: str, problems: _Problems, base: Path) -> tuple[Path, ...] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(key, "expected a list of directories")
        return None
    dirs = tuple(base / v for v in value)
    for index, directory in enumerate(dirs):
        if not directory.is_dir():
            problems.add(f"{key}[{index}]", f"{directory}: not a directory (paths are relative "
                                            f"to the config file)")
        elif not rule_files(directory):
            problems.add(f"{key}[{index}]", f"{directory}: no rule files (*.yaml, *.yml) in it")
    return dirs


def _ids(value: Any, key: str, problems: _Problems, base: Path) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(key, "expected a list of rule ids such as [NUV-001]")
        return None
    return tuple(v.strip().upper() for v in value)  # ids are case-insensitive, as in explain


def _rules(value: Any, key: str, problems: _Problems, base: Path) -> dict[str, RuleOverride]:
    if not isinstance(value, Mapping):
        problems.add(key, "expected a mapping of rule id -> {severity, params}")
        return {}
    result = {}
    for rule_id, spec in value.items():
        where = f"{key}.{rule_id}"
        if not isinstance(spec, Mapping):
            problems.add(where, "expected a mapping with severity and/or params")
            continue
        for extra in spec:
            if extra not in ("severity", "params"):
                problems.add(f"{where}.{extra}", "unknown key (expected one of: severity, params)")
        severity = None
        if "severity" in spec:
            try:
                severity = Severity.parse(spec["severity"])
            except ValueError as exc:
                problems.add(f"{where}.severity", str(exc))
        params = spec.get("params", {})
        if not isinstance(params, Mapping):
            problems.add(f"{where}.params", "expected a mapping of parameter -> value")
            params = {}
        result[str(rule_id).strip().upper()] = RuleOverride(severity, dict(params))
    return result


def _profile(value: Any, key: str, problems: _Problems, base: Path) -> str | None:
    from analyzer.profiles import builtin_profiles  # profiles need polars; config stays light

    if not isinstance(value, str) or not value.strip():
        problems.add(key, "expected a profile name or the path of a profile .yaml file")
        return None
    if value in {p.name for p in builtin_profiles()}:
        return value
    path = base / value
    if path.suffix not in (".yaml", ".yml") or not path.is_file():
        names = ", ".join(p.name for p in builtin_profiles())
        problems.add(key, f"unknown profile {value!r} (expected one of: {names}, or the path "
                          f"of a profile .yaml file)")
        return None
    return str(path)
def _maintenance(value: Any, key: str, problems: _Problems, base: Path) -> tuple[Window, ...]:
    return parse_windows(value, key, problems.add)


def _suppressions(value: Any, key: str, problems: _Problems,
                  base: Path) -> tuple[SuppressionEntry, ...]:
    return parse_suppressions(value, key, problems.source, problems.add)


def _known_skus(value: Any, key: str, problems: _Problems, base: Path) -> frozenset[str] | None:
    """A list of part numbers, or a file of them (one per line, # comments), relative to here."""
    if isinstance(value, str):
        path = base / value
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            problems.add(key, f"cannot read the SKU list {path}: "
                              f"{getattr(exc, 'strerror', None) or exc}")
            return None
        value = [line.split("#", 1)[0].strip() for line in lines]
        value = [sku for sku in value if sku]
    if not isinstance(value, list) or not value or not all(
        isinstance(v, str | int) and not isinstance(v, bool) and str(v).strip() for v in value
    ):
        problems.add(key, "expected a non-empty list of part numbers, or the path of a file "
                          "with one part number per line")
        return None
    return frozenset(str(v).strip() for v in value)


def _names(value: Any, key: str, problems: _Problems, base: Path) -> tuple[str, ...] | None:
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not value or not all(
        isinstance(v, str) and v.strip() for v in value
    ):
        problems.add(key, "expected an environment name or a list of them, e.g. [live, prod]")
        return None
    return tuple(v.strip() for v in value)


def _file(value: Any, key: str, problems: _Problems, base: Path) -> Path | None:
    if not isinstance(value, str) or not value.strip():
        problems.add(key, "expected the path of a file, relative to this config file")
        return None
    return base / value


def _tolerance(value: Any, key: str, problems: _Problems, base: Path) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        problems.add(key, f"expected a number of 0 or more (0.5: a finding is worsened when "
                          f"its count grew by more than half), got {value!r}")
        return None
    return float(value)


def _escalation(value: Any, key: str, problems: _Problems, base: Path) -> Escalation | None:
    names = ("restriction_after", "withdrawal_after")
    if not isinstance(value, Mapping):
        problems.add(key, f"expected a mapping with {' and/or '.join(names)}")
        return None
    durations = {}
    for name, raw in value.items():
        if name not in names:
            problems.add(f"{key}.{name}", f"unknown key (expected one of: {', '.join(names)})")
            continue
        try:
            durations[name] = parse_duration(raw)
        except ValueError as exc:
            problems.add(f"{key}.{name}", str(exc))
    if len(durations) != len(value):
        return None
    escalation = Escalation(**durations)
    if escalation.withdrawal_after <= escalation.restriction_after:
        problems.add(f"{key}.withdrawal_after", "must be longer than restriction_after")
        return None
    return escalation


def _redact(value: Any, key: str, problems: _Problems, base: Path) -> Redactor | None:
    """{patterns: [regex, ...], builtin: true}: patterns added to the built-in ones, which
    `builtin: false` turns off."""
    if not isinstance(value, Mapping):
        problems.add(key, "expected a mapping with patterns (a list of regular expressions) "
                          "and/or builtin (true or false)")
        return None
    for extra in value:
        if extra not in ("patterns", "builtin"):
            problems.add(f"{key}.{extra}", "unknown key (expected one of: patterns, builtin)")
    builtin = value.get("builtin", True)
    if not isinstance(builtin, bool):
        problems.add(f"{key}.builtin", f"expected true or false, got {builtin!r}")
    patterns = value.get("patterns", [])
    if not isinstance(patterns, list):
        problems.add(f"{key}.patterns", "expected a list of regular expressions")
        patterns = []
    checked = []
    for index, pattern in enumerate(patterns):
        try:
            checked.append(check_pattern(pattern))
        except ValueError as exc:
            problems.add(f"{key}.patterns[{index}]", str(exc))
    if len(checked) != len(patterns) or not isinstance(builtin, bool):
        return None
    return redactor(checked, builtin)


def _error_meanings(value: Any, key: str, problems: _Problems, base: Path) -> ErrorMeanings | None:
    return parse_error_meanings(value, key, problems.add)


Parser = Callable[[Any, str, _Problems, Path], Any]

# key -> (attribute of Config, parser, doc)
KEYS: dict[str, tuple[str, Parser, str]] = {
    "fields": ("fields", _fields, "your column names for canonical fields, "
                                  "e.g. {client_id: [account_ref]}"),
    "timezone": ("timezone", _timezone, "IANA zone of timestamps written without an offset"),
    "default_client": ("default_client", _text, "client id for rows without one"),
    "fail_on": ("fail_on", _fail_on, f"lowest severity that fails the run: "
                                     f"{', '.join(FAIL_ON_CHOICES)}"),
    "max_evidence": ("max_evidence", _positive, "source locations listed per finding"),
    "rules_dirs": ("rules_dirs", _dirs, "extra directories of rule files, relative to this file"),
    "select": ("select", _ids, "run only these rules"),
    "ignore": ("ignore", _ids, "do not run these rules"),
    "rules": ("rules", _rules, "per rule: {severity: level, params: {name: value}}; "
                               f"levels: {', '.join(LEVELS)}"),
    "profile": ("profile", _profile, "mapping profile for every input (default: detected per "
                                     "file); a name from `trafficlint profiles` or a .yaml path"),
    "maintenance": ("maintenance", _maintenance, "announced maintenance windows: {name, start, "
                                                 "end} or {name, days, from, to, timezone}"),
    "known_skus": ("known_skus", _known_skus, "your agreed price book: a list of part numbers, "
                                              "or a file with one per line"),
    "live_environments": ("live_environments", _names, "environment values that mean the live "
                                                       "platform (default: live, production, "
                                                       "prod)"),
    "suppressions": ("suppressions", _suppressions, "accepted findings: {rule, client, key, "
                                                    "reason, expires, owner}"),
    "baseline": ("baseline", _file, "baseline file from `trafficlint baseline`: fail only on "
                                    "new or worsened findings"),
    "baseline_tolerance": ("baseline_tolerance", _tolerance, "count growth, as a share of the "
                                                             "baseline count, that makes a "
                                                             "finding worsened (default 0.5)"),
    "escalation": ("escalation", _escalation, "{restriction_after, withdrawal_after}: how long "
                                              "critical traffic runs before it resembles those "
                                              "steps (default 24h, 72h)"),
    "redact": ("redact", _redact, "{patterns: [regex, ...], builtin: true}: secrets to hide "
                                  "from every output, added to the built-in ones (Authorization, "
                                  "cookies, API keys, tokens, passwords, WS-Security); "
                                  "builtin: false keeps only yours"),
    "errors": ("errors", _error_meanings, "what the provider's answers mean, for every rule: "
                                          "{not_found_codes, not_found_statuses, "
                                          "not_found_pattern, duplicate_codes, "
                                          "retry_code_pattern, retry_statuses}"),
}


def find_config(explicit: str | None, cwd: Path) -> Path | None:
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{explicit}: config file not found")
        return path
    found = next((name for name in CONFIG_NAMES if (cwd / name).is_file()), None)
    # Named as the user would type it when it is in the working directory.
    return None if found is None else (Path(found) if cwd == Path.cwd() else cwd / found)


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    try:
        data = load_yaml_file(path)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if data is None:
        return Config(source=str(path))
    problems = _Problems(str(path))
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: expected a mapping of settings (keys: {', '.join(KEYS)})")
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in KEYS:
            problems.add(str(key), f"unknown key (expected one of: {', '.join(KEYS)})")
            continue
        attribute, parse, _ = KEYS[key]
        parsed = parse(value, str(key), problems, path.parent)
        if parsed is not None:
            values[attribute] = parsed
    if problems:
        raise ConfigError(list(problems))
    return Config(source=str(path), origin={k: str(path) for k in values}, **values)
