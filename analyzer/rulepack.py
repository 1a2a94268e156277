"""Find, load and check the rule pack: the built-in `rules/` plus any directories the user adds."""

from __future__ import annotations

from pathlib import Path

from analyzer.binding import bind
from analyzer.config import Config
from analyzer.errors import ConfigError, RuleError
from analyzer.rules import BoundRule, Rule, check_param_value, parse_rule, rule_files


def builtin_rules_dir() -> Path:
    """`rules/` of a source checkout, or the copy a wheel carries inside the package."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "_rules", package.parent / "rules"):
        if candidate.is_dir():
            return candidate
    raise RuleError(f"the built-in rule pack is missing (looked in {package / '_rules'} and "
                    f"{package.parent / 'rules'}); reinstall trafficlint")


def load_rules(directories: list[Path]) -> list[Rule]:
    """Load every `*.yaml` rule in the directories, each bound once with its defaults so a
    rule that loads is a rule that runs; raise RuleError listing every problem in every file."""
    rules: list[Rule] = []
    problems: list[str] = []
    for directory in directories:
        if not directory.is_dir():
            problems.append(f"{directory}: not a directory of rule files")
            continue
        files = rule_files(directory)
        if not files:
            problems.append(f"{directory}: no rule files (*.yaml, *.yml) found")
        for path in files:
            rule, found = _check(path)
            problems.extend(found)
            if rule is not None and not found:
                rules.append(rule)
    problems.extend(_duplicate_ids(rules))
    if problems:
        raise RuleError(problems)
    return sorted(rules, key=lambda r: r.id)


def _check(path: Path) -> tuple[Rule | None, list[str]]:
    """Parse and bind one rule, reporting problems from both steps together."""
    rule, problems = parse_rule(path)
    if rule is None:
        return None, problems
    try:
        bind(rule, {}, None)
    except RuleError as exc:
        # A parameter whose declaration was already reported as bad shows up again as
        # "unknown parameter"; one message per mistake is enough.
        declared_bad = {line.split("params.")[1].split(".")[0] for line in problems
                        if ": params." in line}
        problems += [m for m in exc.messages
                     if not any(f"'${name}'" in m for name in declared_bad)]
    return rule, problems


def _duplicate_ids(rules: list[Rule]) -> list[str]:
    seen: dict[str, str] = {}
    problems = []
    for rule in rules:
        if rule.id in seen:
            problems.append(f"{rule.path}: id: {rule.id} is also defined in {seen[rule.id]}")
        seen.setdefault(rule.id, rule.path)
    return problems


def bind_for_run(rules: list[Rule], config: Config) -> list[BoundRule]:
    """The rules this run uses: selected, ignored and overridden as the config says."""
    by_id = {rule.id: rule for rule in rules}
    problems = _unknown_ids(rules, config) + _suppression_keys(by_id, config)
    params: dict[str, dict] = {}
    for rule_id, override in config.rules.items():
        if rule_id in by_id:
            params[rule_id] = _checked_params(by_id[rule_id], override.params, config, problems)
    if problems:
        raise ConfigError(problems)
    chosen = [r for r in rules if (config.select is None or r.id in config.select)
              and r.id not in config.ignore]
    if not chosen:
        raise ConfigError(f"{config.where('select')}: select/ignore leave no rule to run")
    return [bind(rule, params.get(rule.id, {}), _severity(config, rule.id)) for rule in chosen]


def _severity(config: Config, rule_id: str):
    override = config.rules.get(rule_id)
    return override.severity if override else None


def _unknown_ids(rules: list[Rule], config: Config) -> list[str]:
    known = sorted(rule.id for rule in rules)
    problems = []
    named = [("select", "select", rule_id) for rule_id in config.select or ()]
    named += [("ignore", "ignore", rule_id) for rule_id in config.ignore]
    named += [("rules", f"rules.{rule_id}", rule_id) for rule_id in config.rules]
    for setting, key, rule_id in named:
        if rule_id not in known:
            problems.append(f"{config.where(setting)}: {key}: unknown rule {rule_id!r} "
                            f"(known: {', '.join(known)})")
    for entry in config.suppressions:
        if entry.rule not in known:
            problems.append(f"{entry.where}.rule: unknown rule {entry.rule!r} "
                            f"(known: {', '.join(known)})")
    return problems


def _suppression_keys(by_id: dict[str, Rule], config: Config) -> list[str]:
    """A suppression's key must be one its rule's findings can have: a field the rule does not
    key on would never match, and the entry would only ever be reported as unused."""
    problems = []
    for entry in config.suppressions:
        rule = by_id.get(entry.rule)
        fields = {name for name, _ in entry.key}
        if rule is None or not fields:
            continue
        keys = rule.finding_keys()
        if not any(fields <= set(key) for key in keys):
            shown = ", or by ".join(" and ".join(key) or "the client alone" for key in keys)
            problems.append(f"{entry.where}.key: {rule.id} findings are keyed by {shown}; a key "
                            f"of {' and '.join(sorted(fields))} matches none of them")
    return problems


def _checked_params(rule: Rule, given: dict, config: Config, problems: list[str]) -> dict:
    declared = {p.name: p for p in rule.params}
    checked = {}
    for name, value in given.items():
        key = f"rules.{rule.id}.params.{name}"
        if name not in declared:
            problems.append(f"{config.where('rules')}: {key}: unknown parameter (expected one "
                            f"of: {', '.join(declared) or 'none'})")
            continue
        try:
            checked[name] = check_param_value(declared[name].type, value)
        except ValueError as exc:
            problems.append(f"{config.where('rules')}: {key}: {exc}")
    return checked
