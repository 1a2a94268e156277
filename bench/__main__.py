"""The benchmark command (run from the repository root; it is not part of the installed package).

    python -m bench generate --rows 10M [--formats csv,ndjson,parquet]
    python -m bench run --rows 10M --formats csv,ndjson,parquet --repeat 5
    python -m bench profile --rows 1M --format csv

`run` generates the data first when bench/data/<rows>/ does not hold what the generator writes,
prints the table, and writes it as JSON and Markdown under bench/data/results/. It exits 1 when a
run fails or trafficlint and the reference disagree, with the reason.
"""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from bench.columns import FORMATS
from bench.generate import DATA, Dataset, generate
from bench.harness import BenchError, benchmark
from bench.table import document, markdown, text

_ROWS = re.compile(r"^(\d+(?:\.\d+)?)([kKmM]?)$")
_SCALE = {"": 1, "k": 1_000, "m": 1_000_000}


def parse_rows(value: str) -> int:
    """`10k`, `1M`, `2.5M` or `1000000` -> a number of rows."""
    match = _ROWS.match(value.strip().replace("_", ""))
    rows = round(float(match[1]) * _SCALE[match[2].lower()]) if match else 0
    if rows < 1:
        raise click.BadParameter(f"expected a number of rows such as 10k, 1M or 50M, got {value!r}")
    return rows


def label(rows: int) -> str:
    for suffix, size in (("M", 1_000_000), ("k", 1_000)):
        if rows % size == 0:
            return f"{rows // size}{suffix}"
    return str(rows)


def parse_formats(value: str) -> list[str]:
    formats = [f.strip().lower() for f in value.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise click.BadParameter(f"expected some of {', '.join(FORMATS)}, got {value!r}")
    return list(dict.fromkeys(formats))


ROWS = click.option("--rows", "rows_text", default="1M", show_default=True,
                    help="Rows of traffic: 10k, 1M, 10M, 50M, ...")
FORMATS_OPTION = click.option("--formats", "formats_text", default=",".join(FORMATS),
                              show_default=True, help="Comma-separated input formats.")
ONE_FORMAT = click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv",
                          show_default=True)
DATA_OPTION = click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
                           default=DATA, show_default=True,
                           help="Where the generated data lives (one folder per row count).")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
def main() -> None:
    """Benchmark trafficlint against two floors and a DuckDB SQL reference of the policy rules."""


@main.command("generate")
@ROWS
@FORMATS_OPTION
@DATA_OPTION
def generate_command(rows_text: str, formats_text: str, data_dir: Path) -> None:
    """Write N rows of seeded Order API traffic in each format."""
    rows, formats = parse_rows(rows_text), parse_formats(formats_text)
    dataset = generate(rows, data_dir / label(rows), tuple(formats))
    for fmt in formats:
        click.echo(f"{dataset.path(fmt)}  {dataset.path(fmt).stat().st_size:,} bytes")


@main.command("run")
@ROWS
@FORMATS_OPTION
@click.option("--repeat", type=click.IntRange(min=1), default=5, show_default=True,
              help="Timed runs of each contestant on each format.")
@DATA_OPTION
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where to write the results (default: <data>/results).")
def run_command(rows_text: str, formats_text: str, repeat: int, data_dir: Path,
                out_dir: Path | None) -> None:
    """Time trafficlint, the floors and the reference in alternating runs; print the table."""
    rows, formats = parse_rows(rows_text), parse_formats(formats_text)
    dataset = Dataset(data_dir / label(rows), rows)
    if not dataset.has(tuple(formats)):
        click.echo(f"generating {rows:,} rows in {dataset.directory} ...", err=True)
        dataset = generate(rows, dataset.directory, tuple(formats))
    load_before = os.getloadavg()
    try:
        results = benchmark(dataset, formats, repeat, lambda line: click.echo(line, err=True))
    except BenchError as exc:
        click.echo(f"bench: FAILED: {exc}", err=True)
        sys.exit(1)
    doc = document(results, rows, repeat, (load_before, os.getloadavg()))
    click.echo(text(doc, results))
    _save(doc, markdown(doc, results), out_dir or data_dir / "results", label(rows))


@main.command("profile")
@ROWS
@ONE_FORMAT
@DATA_OPTION
def profile_command(rows_text: str, fmt: str, data_dir: Path) -> None:
    """Time trafficlint's stages on one file: loading, each detector, the whole report."""
    from bench.profile import profile, report

    path = _one_file(rows_text, fmt, data_dir)
    click.echo(report(path, *profile(path)), nl=False)


@main.command("stages")
@ROWS
@ONE_FORMAT
@DATA_OPTION
def stages_command(rows_text: str, fmt: str, data_dir: Path) -> None:
    """Time a whole check by phase (wall, CPU, peak memory) and by step, as check runs it."""
    from bench.stages import report, stages

    path = _one_file(rows_text, fmt, data_dir)
    click.echo(report(path, *stages(path)), nl=False)


def _one_file(rows_text: str, fmt: str, data_dir: Path) -> Path:
    """The generated file of that many rows in that format, generated first if need be."""
    rows = parse_rows(rows_text)
    dataset = Dataset(data_dir / label(rows), rows)
    if not dataset.has((fmt,)):
        click.echo(f"generating {rows:,} rows in {dataset.directory} ...", err=True)
        dataset = generate(rows, dataset.directory, (fmt,))
    return dataset.path(fmt)


def _save(doc: dict, table: str, out_dir: Path, name: str) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    json_path, md_path = out_dir / f"{name}-{stamp}.json", out_dir / f"{name}-{stamp}.md"
    json_path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    md_path.write_text(table, encoding="utf-8")
    click.echo(f"written: {json_path} and {md_path}")


if __name__ == "__main__":
    main()
