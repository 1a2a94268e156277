"""The derived fields (`schema.DERIVED`): columns the engine adds to every row from the log and
the config file before any rule runs, so rules can say "inside a maintenance window", "on the
live platform", "not in our price book" or "the provider said: not found" as plain
conditions, and every rule that says it means the same."""

from __future__ import annotations

from collections.abc import Collection

import polars as pl

from analyzer.config import Config
from analyzer.maintenance import window_name
from analyzer.schema import ORDER_API_OPERATIONS


def add_derived(frame: pl.DataFrame, config: Config,
                names: Collection[str] | None = None) -> pl.DataFrame:
    """The frame with the derived fields (those in `names`, by default all of them)."""
    exprs = derived_fields(config)
    return frame.with_columns([expr.alias(name) for name, expr in exprs.items()
                               if names is None or name in names])


def derived_fields(config: Config) -> dict[str, pl.Expr]:
    """Each derived field's expression over the canonical fields."""
    live = [name.lower() for name in config.live_environments]
    return {
        "subject": pl.coalesce("purchase_order_id", "order_id", "part_number"),
        "maintenance_window": window_name(config.maintenance),
        "is_live": pl.col("environment").str.to_lowercase().is_in(live),
        "part_listed": _listed(config.known_skus),
        "order_api": pl.col("operation").is_in(ORDER_API_OPERATIONS).fill_null(False),
        **config.errors.derived(),
    }


def _listed(known: frozenset[str] | None) -> pl.Expr:
    if known is None:
        return pl.lit(None, dtype=pl.Boolean)
    return pl.col("part_number").is_in(sorted(known))
