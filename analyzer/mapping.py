"""Map a file's own column names onto canonical fields: exact names first, then the user's
aliases from the config file, then the built-in aliases, all compared after folding case and
punctuation (so `purchaseOrderID` is `purchase_order_id`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from analyzer.schema import FIELDS, normalise_name


def resolve_columns(found: Iterable[str], user_aliases: Mapping[str, list[str]],
                    builtin: bool = True) -> dict[str, str]:
    """canonical field -> the file's column that holds it (only fields the file has);
    without `builtin`, only columns named exactly or by the user's aliases."""
    by_folded: dict[str, str] = {}
    for column in found:
        by_folded.setdefault(normalise_name(column), column)
    mapping: dict[str, str] = {}
    # Exact names win over any alias, user aliases over built-in ones.
    passes = (
        lambda f: [f.name],
        lambda f: user_aliases.get(f.name, []),
        lambda f: f.aliases if builtin else (),
    )
    for candidates_of in passes:
        for field in FIELDS:
            if field.name in mapping:
                continue
            for candidate in candidates_of(field):
                column = by_folded.get(normalise_name(candidate))
                if column is not None and column not in mapping.values():
                    mapping[field.name] = column
                    break
    return mapping
