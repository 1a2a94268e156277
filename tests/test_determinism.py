"""Determinism: logs of every input format, given in any order (named one by one in any order,
or as their directory), give byte-identical output in every format; rows in any order within
their files give the same findings, fingerprints and measurements (only the line numbers the
evidence points at move with the rows).

Calls with the same timestamp are ordered by file and line: a log is written as calls happen,
so its line order is the best record of which came first. Shuffling such rows changes what
the log says, so the row-order test shuffles logs whose timestamps are distinct."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from conftest import CASES, REPO, every_output

FORMATS = REPO / "tests" / "fixtures" / "formats"
# One log of each input format, and a rule case with findings of several kinds.
LOGS = {
    "nuv001.csv": CASES / "NUV-001" / "fail.csv",
    "access.log": FORMATS / "nginx" / "access.log",
    "access.json.log": FORMATS / "nginx" / "access.json.log",
    "capture.har": FORMATS / "har" / "quirks.har",
    "spans.jsonl": FORMATS / "otel" / "spans.jsonl",
    "otlp.json": FORMATS / "otel" / "otlp.json",
    "exchanges.log": FORMATS / "raw-xml" / "exchanges.log",
    "zeep.log": FORMATS / "zeep" / "zeep-debug.log",
}


def _copy(directory: Path) -> Path:
    logs = directory / "logs"
    logs.mkdir()
    for name, source in LOGS.items():
        shutil.copy(source, logs / name)
    (logs / "calls.tsv").write_text((CASES / "NUV-003" / "fail.csv").read_text()
                                    .replace(",", "\t"))
    _parquet(CASES / "NUV-002" / "fail.csv", logs / "calls.parquet")
    return logs


def _parquet(csv: Path, target: Path) -> None:
    import polars as pl

    pl.read_csv(csv, infer_schema=False).write_parquet(target)


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> Path:
    return _copy(tmp_path_factory.mktemp("determinism"))


def _orders(logs: Path) -> list[list[str]]:
    names = sorted(f"logs/{p.name}" for p in logs.iterdir())
    shuffled = names[:]
    random.Random(6).shuffle(shuffled)
    return [["logs"], names, names[::-1], shuffled]


def test_any_file_order_gives_byte_identical_outputs(logs):
    runs = [every_output(logs.parent, order) for order in _orders(logs)]
    first = runs[0]
    assert json.loads(first["json"])["summary"]["files"] == len(LOGS) + 2
    assert json.loads(first["json"])["findings"], "the logs must have findings to compare"
    for other in runs[1:]:
        for name in first:
            assert other[name] == first[name], f"{name} differs with another file order"


def _shuffle_rows(path: Path, seed: int) -> None:
    """The file's records in another order (line formats; a header stays first)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    head = lines[:1] if path.suffix in (".csv", ".tsv") else []
    body = lines[len(head):]
    random.Random(seed).shuffle(body)
    path.write_text("".join(head + body), encoding="utf-8")


def _without_lines(report: dict) -> dict:
    """The report with what points at line numbers taken out."""
    for finding in report["findings"]:
        finding.pop("evidence")
    for stats in report["inputs"]["files"]:
        stats.pop("reject_examples")
    return report


def test_rows_in_any_order_give_the_same_findings(tmp_path, logs):
    shuffled = tmp_path / "logs"
    shutil.copytree(logs, shuffled)
    for seed, name in enumerate(["nuv001.csv", "calls.tsv", "spans.jsonl"]):
        _shuffle_rows(shuffled / name, seed)
    before = json.loads(every_output(logs.parent, ["logs"])["json"])
    after = json.loads(every_output(tmp_path, ["logs"])["json"])
    assert _without_lines(after) == _without_lines(before)
