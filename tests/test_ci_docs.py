"""The CI examples in docs/ci/ parse, do what they promise (lint, upload the HTML report and
SARIF, fail on new findings), and call only options trafficlint has."""

from __future__ import annotations

import shlex

import click
import pytest
import yaml
from conftest import REPO

from analyzer.cli import main

CI = REPO / "docs" / "ci"


def load(name: str) -> dict:
    return yaml.safe_load((CI / name).read_text())


def trafficlint_commands(scripts: list[str]) -> list[list[str]]:
    words = [shlex.split(line.replace("\\\n", " ")) for line in scripts]
    return [w[1:] for w in words if w and w[0] == "trafficlint"]


def github_scripts() -> list[str]:
    steps = [step for job in load("github-actions.yml")["jobs"].values() for step in job["steps"]]
    return [step["run"] for step in steps if "run" in step]


def gitlab_scripts() -> list[str]:
    return load("gitlab-ci.yml")["trafficlint"]["script"]


def known_options(command: click.Command) -> set[str]:
    return {opt for param in command.params if isinstance(param, click.Option)
            for opt in (*param.opts, *param.secondary_opts)}


@pytest.mark.parametrize("scripts", [github_scripts, gitlab_scripts], ids=["github", "gitlab"])
def test_every_trafficlint_option_exists(scripts):
    commands = trafficlint_commands(scripts())
    assert commands, "the example must run trafficlint"
    for argv in commands:
        command = main.commands.get(argv[0])
        assert command is not None, f"no such command: trafficlint {argv[0]}"
        for word in argv[1:]:
            option = word.split("=")[0]
            if not option.startswith("--"):
                continue
            assert option in known_options(command), \
                f"trafficlint {argv[0]} has no option {option}"
        # And the whole command line parses: values, choices, arguments.
        command.make_context(argv[0], argv[1:])


@pytest.mark.parametrize("scripts", [github_scripts, gitlab_scripts], ids=["github", "gitlab"])
def test_the_lint_writes_html_and_sarif_and_gates_on_new_findings(scripts):
    (argv,) = [c for c in trafficlint_commands(scripts()) if c[0] == "check"]
    for flag in ("--html", "--sarif", "--junit", "--baseline"):
        assert flag in argv


def test_github_workflow_uploads_the_report_and_sarif():
    workflow = load("github-actions.yml")
    assert workflow["permissions"]["security-events"] == "write"
    steps = workflow["jobs"]["traffic"]["steps"]
    uses = {step.get("uses", "").split("@")[0]: step for step in steps}
    assert uses["actions/upload-artifact"]["with"]["path"] == "reports/"
    assert uses["github/codeql-action/upload-sarif"]["with"]["sarif_file"] == \
        "reports/trafficlint.sarif"
    for name in ("actions/upload-artifact", "github/codeql-action/upload-sarif"):
        assert uses[name]["if"].startswith("always()")  # the reports matter most on failure


def test_gitlab_job_keeps_the_reports_and_the_junit_view():
    artifacts = load("gitlab-ci.yml")["trafficlint"]["artifacts"]
    assert artifacts["when"] == "always"
    assert artifacts["paths"] == ["reports/"]
    assert artifacts["reports"]["junit"] == "reports/trafficlint.xml"

