"""What a reader must know before trusting a clean result: input the run could not use, fields
the rules read that no file has, and rules left out. A run with these can pass the gate while
having judged little; the reports show them above the findings."""

from __future__ import annotations

from collections.abc import Sequence

from analyzer.analysis import fields_needed
from analyzer.config import Config
from analyzer.model import FileStats, Inputs
from analyzer.rules import BoundRule

# A file with at least this share of its records rejected is named. Ours: one in ten is more
# than stray noise; it is a format or time zone the run did not understand.
REJECTED_SHARE = 0.1
MAX_RULES_NAMED = 8
# The fields the Order API rules find their anti-patterns by: a log of the Order API without
# one of them is worth a word. (REST logs, and fields such as payload_hash that only sharpen
# a rule, are often absent for good reason.)
ORDER_API_FIELDS = ("part_number", "order_id", "purchase_order_id", "http_status", "error_code",
                    "error_message")
ORDER_API_PROFILES = ("canonical", "order-api-soap")


def notices(inputs: Inputs, rules: Sequence[BoundRule], config: Config) -> tuple[str, ...]:
    return (*_file_notices(inputs.files), *_field_notices(inputs.files, rules, config),
            *_selection_notices(rules, config))


def _file_notices(files: Sequence[FileStats]) -> list[str]:
    found = []
    for stats in files:
        judged = stats.rows + stats.rejected_total  # blank and header lines are no calls
        if stats.rows == 0:
            found.append(_nothing_analysed(stats))
        elif stats.rejected_total >= REJECTED_SHARE * judged:
            reason, count = max(stats.rejected, key=lambda item: (item[1], item[0]))
            found.append(f"{stats.file}: {stats.rejected_total:,} of its {judged:,} records "
                         f"rejected, most for: {reason} ({count:,})")
    return found


def _nothing_analysed(stats: FileStats) -> str:
    reasons = stats.rejected or stats.skipped
    if not reasons:
        return f"{stats.file}: the file is empty"
    reason, count = max(reasons, key=lambda item: (item[1], item[0]))
    lines = f"{stats.lines:,} line{'' if stats.lines == 1 else 's'}"
    return f"{stats.file}: none of its {lines} analysed; most for: {reason} ({count:,})"


def _field_notices(files: Sequence[FileStats], rules: Sequence[BoundRule],
                   config: Config) -> list[str]:
    present = {field for stats in files for field, _ in stats.columns}
    found = []
    if "client_id" not in present:
        found.append(f"no file has a client_id column: every call counts as one client, "
                     f"{config.default_client!r} (map yours under `fields:`)")
    if not any(stats.profile in ORDER_API_PROFILES for stats in files):
        return found
    readers = fields_needed(rules, config)
    missing = [name for name in ORDER_API_FIELDS if name not in present and readers.get(name)]
    if missing:
        ids = sorted({rule_id for name in missing for rule_id in readers[name]})
        named = ", ".join(ids[:MAX_RULES_NAMED]) + (
            f" and {len(ids) - MAX_RULES_NAMED} more" if len(ids) > MAX_RULES_NAMED else "")
        found.append(f"no file has the column{'s' if len(missing) > 1 else ''} "
                     f"{', '.join(missing)}: the rules that read "
                     f"{'them' if len(missing) > 1 else 'it'} ({named}) cannot see what "
                     f"{'they' if len(missing) > 1 else 'it'} would show (map yours under "
                     f"`fields:`)")
    return found


def _selection_notices(rules: Sequence[BoundRule], config: Config) -> list[str]:
    if config.select is None and not config.ignore:
        return []
    ran = ", ".join(bound.rule.id for bound in rules)
    return [f"only the selected rules ran ({ran}): a client without findings is clean of "
            f"these rules only"]
