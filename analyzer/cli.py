"""The command line: `trafficlint check | baseline | rules | explain | inspect | profiles`. Thin
on purpose: parse flags, call `check`, render, write, and turn the outcome into the exit code a
CI gate can trust: 0 no finding fails the run, 1 findings do, 2 usage/config/rule/input error,
3 a bug.

`check`'s options are declared in groups, one per concern (inputs, rules, the gate, outputs);
each group has the function that reads its own flags, so adding a flag touches one group only,
and `baseline` takes the groups it uses (inputs and rules) and no others.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import wraps
from pathlib import Path
from typing import Any

import click
from polars.exceptions import PanicException

from analyzer import __version__
from analyzer.baseline import baseline_text
from analyzer.check import check, load_options, rule_directories
from analyzer.config import Config, check_timezone, find_config, load_config
from analyzer.dryrun import inspect_json, inspect_paths, inspect_text
from analyzer.errors import TrafficlintError
from analyzer.explain import explain_text, rules_table
from analyzer.formats import BY_NAME, FILE_FORMATS
from analyzer.formats import FORMATS as OUTPUT_FORMATS
from analyzer.model import Report
from analyzer.output import write_all, write_atomic
from analyzer.profiles import builtin_profiles, find_profile
from analyzer.progress import SILENT, Progress, TerminalProgress
from analyzer.redact import DEFAULT as DEFAULT_REDACTOR
from analyzer.render import render_text, terminal_safe
from analyzer.rulepack import load_rules
from analyzer.severity import FAIL_ON_CHOICES
from analyzer.sources import FORMATS

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_BUG = 0, 1, 2, 3


def _guarded(command: Callable) -> Callable:
    """Turn known errors into exit 2 with their messages, and anything else into exit 3."""
    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            with _signals_exit():
                return command(*args, **kwargs)
        except TrafficlintError as exc:
            for message in exc.messages:
                click.echo(f"trafficlint: error: {_safe_message(message)}", err=True)
            sys.exit(EXIT_ERROR)
        except click.exceptions.Exit:
            raise
        except (Exception, PanicException) as exc:  # noqa: BLE001 - the last line of defence
            if os.environ.get("TRAFFICLINT_DEBUG"):
                traceback.print_exc()
            click.echo(f"trafficlint: internal error: {type(exc).__name__}: {exc}\n"
                       "This is a bug in trafficlint; rerun with TRAFFICLINT_DEBUG=1 for a "
                       "traceback and report it.", err=True)
            sys.exit(EXIT_BUG)
    return wrapper


# Ctrl-C, `timeout`, `docker stop` and a cancelled CI job end a run by a signal. Turned into an
# exit, it unwinds like any other: the spilled rows (log values, unredacted) are removed, no
# half-written report is left, and the code says "interrupted" (128 + the signal), not "findings".
_STOPPING_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                          if hasattr(signal, name))


@contextmanager
def _signals_exit() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers (a test runner's worker, say)
        return
    # A signal the caller chose to ignore (nohup ignores SIGHUP) stays ignored.
    previous = {sig: signal.signal(sig, _exit_on_signal) for sig in _STOPPING_SIGNALS
                if signal.getsignal(sig) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _safe_message(message: str) -> str:
    """An error message can quote a file name or a log value: no secret or control character
    of it reaches the terminal."""
    return _visible_lines(DEFAULT_REDACTOR.text(message))


def _visible_lines(text: str) -> str:
    return "\n".join(terminal_safe(line) for line in text.split("\n"))


def _apply(options: list[Callable]) -> Callable:
    def decorate(command: Callable) -> Callable:
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


def _ids(values: tuple[str, ...]) -> tuple[str, ...] | None:
    """--select A,B --select C -> (A, B, C), in capitals as rule ids are (explain takes
    nuv-001 too); None when the flag was not given."""
    ids = tuple(part.strip().upper() for value in values for part in value.split(",")
                if part.strip())
    return ids or None


def _config(config_path: str | None, **cli) -> Config:
    return load_config(find_config(config_path, Path.cwd())).with_cli(**cli)


# --- check: inputs ------------------------------------------------------------------------

INPUT_OPTIONS = [
    click.argument("paths", nargs=-1, required=True),
    click.option("--config", "config_path", metavar="PATH",
                 help="Config file (default: trafficlint.yaml in the working directory)."),
    click.option("--input-format", type=click.Choice(FORMATS), help="Read every file as this format."),
    click.option("--timezone", metavar="ZONE",
                 help="IANA zone of timestamps written without an offset."),
    click.option("--profile", metavar="NAME|PATH",
                 help="Mapping profile for every file (default: detected per file; see "
                      "`trafficlint profiles`)."),
]


def _input_settings(config: Config, timezone: str | None, profile: str | None = None,
                    **_: Any) -> Config:
    if timezone is not None:
        config = config.with_cli(timezone=check_timezone(timezone, "--timezone"))
    if profile is not None:
        find_profile(profile, "--profile")  # a bad name is exit 2 before any file is read
        config = config.with_cli(profile=profile)
    return config


# --- check: rules and the gate ------------------------------------------------------------

RULE_OPTIONS = [
    click.option("--rules", "rules_dirs", multiple=True, metavar="DIR",
                 type=click.Path(file_okay=False), help="Extra directory of rule files (repeatable)."),
    click.option("--select", multiple=True, metavar="IDS", help="Run only these rules (A,B or repeat)."),
    click.option("--ignore", multiple=True, metavar="IDS", help="Do not run these rules."),
]


def _rule_settings(config: Config, rules_dirs, select, ignore, **_: Any) -> Config:
    config = config.with_cli(select=_ids(select), ignore=_ids(ignore))
    if rules_dirs:
        config = config.with_cli(rules_dirs=(*config.rules_dirs, *(Path(d) for d in rules_dirs)))
    return config


# --- check: the gate's memory ----------------------------------------------------------------

GATE_OPTIONS = [
    click.option("--fail-on", type=click.Choice(FAIL_ON_CHOICES),
                 help="Lowest severity that makes the exit code 1 (default: warning)."),
    click.option("--baseline", "baseline_path", metavar="FILE", type=click.Path(dir_okay=False),
                 help="Fail only on findings that are new or worse than this baseline "
                      "(written by `trafficlint baseline`); report the fixed ones."),
]


def _gate_settings(config: Config, fail_on: str | None, baseline_path: str | None,
                   **_: Any) -> Config:
    return config.with_cli(fail_on=fail_on,
                           baseline=Path(baseline_path) if baseline_path else None)


# --- check: outputs -----------------------------------------------------------------------

OUTPUT_OPTIONS = [
    click.option("--format", "stdout_format", type=click.Choice([f.name for f in OUTPUT_FORMATS]),
                 help="What to print on standard output (default: text, or github when "
                      "GITHUB_ACTIONS=true: annotations, then the text summary)."),
    *[click.option(f"--{f.flag}", f"{f.name}_path", metavar="PATH",
                   type=click.Path(dir_okay=False, allow_dash=True),
                   help=f"Write {f.doc} to PATH (- for standard output).")
      for f in FILE_FORMATS],
    click.option("--max-evidence", type=click.IntRange(min=1),
                 help="Source locations per finding (default 5)."),
    click.option("--color/--no-color", default=None,
                 help="Colour the terminal summary (default: when a terminal)."),
    click.option("--progress/--no-progress", default=True, show_default=True,
                 help="Show a progress bar on standard error during long runs (only ever "
                      "on a terminal)."),
]


def _output_settings(config: Config, max_evidence: int | None, **_: Any) -> Config:
    return config.with_cli(max_evidence=max_evidence)


def _output_paths(**options: Any) -> dict[str, Path]:
    """The files to write, by format (`-`: standard output, instead of the summary); two
    outputs to one file is a usage error, found before the logs are read."""
    paths = {f.name: Path(options[f"{f.name}_path"]) for f in FILE_FORMATS
             if options.get(f"{f.name}_path")}
    _one_on_stdout([f"--{BY_NAME[name].flag} -" for name, path in paths.items()
                    if path == STDOUT], options.get("stdout_format"))
    seen: dict[Path, str] = {}
    for name, path in paths.items():
        other = seen.setdefault(path.resolve(), name)
        if other != name:
            raise TrafficlintError(f"{path}: given for both --{BY_NAME[other].flag} and "
                                   f"--{BY_NAME[name].flag}; name a file for each output")
    return paths


STDOUT = Path("-")


def _one_on_stdout(dashes: list[str], stdout_format: str | None) -> None:
    claims = dashes + ([f"--format {stdout_format}"] if stdout_format and dashes else [])
    if len(claims) > 1:
        raise TrafficlintError(f"standard output is given for both {claims[0]} and "
                               f"{claims[1]}; write one of them to a file")


def _progress(progress: bool, **_: Any) -> Progress:
    return TerminalProgress(sys.stderr) if progress else SILENT


def _write_outputs(report: Report, paths: dict[str, Path], stdout_format: str | None, color,
                   **_: Any) -> None:
    # Render everything before writing anything: a failure leaves no partial set of reports.
    rendered = {path: BY_NAME[name].render(report) for name, path in paths.items()}
    write_all({path: text for path, text in rendered.items() if path != STDOUT})  # all or none
    if STDOUT in rendered:
        click.echo(rendered[STDOUT], nl=False)
        return
    chosen = stdout_format or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    if chosen == "text":
        colour = color if color is not None else (sys.stdout.isatty() and "NO_COLOR" not in os.environ)
        click.echo(render_text(report, colour), nl=False, color=colour)
    else:
        click.echo(BY_NAME[chosen].render(report), nl=False)


# --- commands -----------------------------------------------------------------------------

@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="trafficlint")
def main() -> None:
    """Find the API traffic anti-patterns a distributor blacklists for, in your own logs."""


@main.command("check")
@_apply(INPUT_OPTIONS + RULE_OPTIONS + GATE_OPTIONS + OUTPUT_OPTIONS)
@_guarded
def check_command(paths: tuple[str, ...], config_path: str | None, input_format: str | None,
                  **options: Any) -> None:
    """Lint API request logs (files, directories or globs) for the provider's anti-patterns."""
    config = _config(config_path)
    config = _input_settings(config, **options)
    config = _rule_settings(config, **options)
    config = _gate_settings(config, **options)
    config = _output_settings(config, **options)
    outputs = _output_paths(**options)
    progress = _progress(**options)
    try:
        report = check(list(paths), config, input_format, progress=progress)
    finally:
        progress.close()
    _write_outputs(report, outputs, **options)
    sys.exit(EXIT_FINDINGS if report.failed else EXIT_OK)


@main.command("baseline")
@_apply(INPUT_OPTIONS + RULE_OPTIONS + [
    click.option("-o", "--output", required=True, metavar="FILE",
                 type=click.Path(dir_okay=False, allow_dash=True),
                 help="Where to write the baseline (JSON; - for standard output)."),
])
@_guarded
def baseline_command(paths: tuple[str, ...], config_path: str | None, input_format: str | None,
                     output: str, **options: Any) -> None:
    """Record today's findings, so that `check --baseline FILE` fails only on new or worsened
    ones. Suppressed findings are not recorded: their suppression covers them until it
    expires."""
    config = _config(config_path)
    config = _input_settings(config, **options)
    config = _rule_settings(config, **options)
    report = check(list(paths), replace(config, baseline=None), input_format)
    text = baseline_text(report.findings)
    if output == "-":
        click.echo(text, nl=False)
        return
    write_atomic(Path(output), text)
    recorded = sum(f.suppressed is None for f in report.findings)
    skipped = len(report.findings) - recorded
    click.echo(f"baseline: {recorded} finding{'s' if recorded != 1 else ''} recorded in {output}"
               + (f" ({skipped} suppressed, not recorded)" if skipped else ""), err=True)


@main.command("rules")
@click.option("--config", "config_path", metavar="PATH", help="Config file with extra rule directories.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_guarded
def rules_command(config_path, fmt) -> None:
    """List the rules: id, name, default severity and title."""
    rules = load_rules(rule_directories(_config(config_path)))
    click.echo(rules_table(rules, fmt), nl=False)


@main.command("explain")
@click.argument("rule_id")
@click.option("--config", "config_path", metavar="PATH", help="Show thresholds as this config sets them.")
@_guarded
def explain_command(rule_id, config_path) -> None:
    """Show one rule's documentation: what, why, example, fix, thresholds (by id or name)."""
    config = _config(config_path)
    text = explain_text(load_rules(rule_directories(config)), rule_id, config)
    click.echo(_visible_lines(text), nl=False)  # a rule from --rules is someone else's text


@main.command("inspect")
@_apply(INPUT_OPTIONS)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@_guarded
def inspect_command(paths: tuple[str, ...], config_path: str | None, input_format: str | None,
                    fmt: str, **options: Any) -> None:
    """Dry run: how each file would be read (format, profile, fields and where from, rows,
    time span, rejects with examples), without running any rule. Exit 2 if a file cannot be
    read or nothing can be analysed."""
    config = _input_settings(_config(config_path), **options)
    inspected = inspect_paths(list(paths), load_options(config, input_format))
    found, ignored = config.redact.apply(inspected)  # inspect shows log text too
    click.echo((inspect_json if fmt == "json" else inspect_text)(found, ignored), nl=False)
    if not sum(item.stats.rows for item in found):
        click.echo("trafficlint: error: no rows to analyse", err=True)
        sys.exit(EXIT_ERROR)


@main.command("profiles")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def profiles_command(fmt: str) -> None:
    """List the mapping profiles, in the order automatic detection tries them."""
    profiles = builtin_profiles()
    if fmt == "json":
        rows = [{"name": p.name, "title": p.title, "summary": p.summary,
                 "routes": [r.operation for r in p.routes]} for p in profiles]
        click.echo(json.dumps(rows, indent=2))
        return
    width = max(len(p.name) for p in profiles)
    for p in profiles:
        click.echo(f"{p.name:<{width}}  {p.title}")
