"""The derived fields (`schema.DERIVED`): columns the engine adds to every row from the log and
the config file before any rule runs, so rules can say "inside a maintenance window", "on the
live platform", "not in our price book" or "the provider said: not found" as plain
conditions, and every rule that says it means the same."""

from __future__ import annotations

import polars as pl

from analyzer.config import Config
from analyzer.maintenance import window_name
from analyzer.schema import ORDER_API_OPERATIONS


def add_derived(frame: pl.DataFrame, config: Config) -> pl.DataFrame:
    live = [name.lower() for name in config.live_environments]
    return frame.with_columns(
        pl.coalesce("purchase_order_id", "order_id", "part_number").alias("subject"),
        window_name(config.maintenance).alias("maintenance_window"),
        pl.col("environment").str.to_lowercase().is_in(live).alias("is_live"),
        _listed(config.known_skus).alias("part_listed"),
        pl.col("operation").is_in(ORDER_API_OPERATIONS).fill_null(False).alias("order_api"),
        *[expr.alias(name) for name, expr in config.errors.derived().items()],
    )


def _listed(known: frozenset[str] | None) -> pl.Expr:
    if known is None:
        return pl.lit(None, dtype=pl.Boolean)
    return pl.col("part_number").is_in(sorted(known))
