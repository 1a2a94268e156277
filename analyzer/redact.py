"""Keep credentials that logs carry out of every output.

Logs hold what clients sent: Authorization and Cookie headers, API keys in query strings,
`client_secret` in form bodies, WS-Security passwords, tokens and signatures in SOAP envelopes.
A report is an artefact that travels to people who never had those credentials, so log text is
redacted once, at the boundary every output is rendered from (the finished `Report`, and the
inspections of `trafficlint inspect`), rather than in each renderer.

A pattern is a regular expression run by Polars' linear-time engine (no catastrophic
backtracking on hostile text). Its whole match becomes `[REDACTED]`, except its first capture
group, which is kept in front (the header or parameter name, so a reader sees *what* was
hidden), and its second, kept after. Config adds patterns with `redact: {patterns: [...]}`,
and `builtin: false` leaves only those.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl

REDACTED = "[REDACTED]"
# Patterns run one after another; while they run, a hidden value is one private-use character,
# which a later pattern that matches it again only replaces with itself.
_MARK = "\ue000"
_REPLACEMENT = "${1}" + _MARK + "${2}"

# Names under which a credential travels: header, query, form, JSON and XML element names
# (Authorization and Cookie have patterns of their own, which take the whole header value).
_SECRET_NAMES = (
    r"x-api-key|x-auth-token|x-amz-security-token"
    r"|x-amz-signature|api[_-]?key|apikey|api[_-]?secret|client[_-]?secret|app[_-]?secret"
    r"|access[_-]?token|refresh[_-]?token|id[_-]?token|auth[_-]?token|session[_-]?(?:id|token)"
    r"|password|passwd|pwd|passphrase|secret|private[_-]?key|token|signature|sig"
)
# The separator between a name and its value: `name: v`, `name=v`, `"name": "v"`, and the
# same with the quotes escaped, as in JSON embedded in JSON.
_SEP = r"""(?:\\?["'])?\s*[:=]\s*(?:\\?["'])?"""

# (what it finds, pattern); the order matters only where matches overlap.
BUILTIN: tuple[tuple[str, str], ...] = (
    ("private key blocks",
     r"(?s)(-----BEGIN [A-Z ]*PRIVATE KEY-----).*?(-----END [A-Z ]*PRIVATE KEY-----)"),
    ("HTTP authentication headers, to the end of the value",
     r"""(?i)(\b(?:proxy-)?authorization(?:\\?["'])?\s*[:=]\s*(?:\\?["'])?"""
     r"""(?:(?:bearer|basic|digest|negotiate|ntlm|token|hmac|aws4-hmac-sha256)\s+)?)"""
     r"""[^"'\\\r\n]+"""),
    ("cookies, to the end of the header",
     r"""(?i)(\b(?:set-)?cookie(?:\\?["'])?\s*[:=]\s*(?:\\?["'])?)[^"'\\\r\n]+"""),
    ("HAR and OpenTelemetry headers: {name: Authorization, value: ...}",
     r"""(?i)(["']name["']\s*:\s*["'](?:(?:proxy-)?authorization|(?:set-)?cookie|"""
     + _SECRET_NAMES + r""")["']\s*,\s*["']value["']\s*:\s*["'])(?:[^"'\\]|\\.)*"""),
    ("credentials as name=value, name: value or JSON members",
     r"(?i)(\b(?:" + _SECRET_NAMES + r")" + _SEP + r""")[^"'\\\s&;,<>]+"""),
    ("WS-Security and other XML elements holding credentials",
     r"(?i)(<(?:[\w.-]+:)?(?:Password|PasswordDigest|BinarySecurityToken|SignatureValue"
     r"|DigestValue|Nonce|CipherValue|SecurityContextToken|" + _SECRET_NAMES + r")\b[^>]*>)"
     r"[^<]+"),
    ("passwords in URLs (scheme://user:password@host)",
     r"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@\"'<>]+:)[^/\s@\"'<>]+(@)"),
    ("bearer tokens anywhere", r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    ("JSON Web Tokens", r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
    ("AWS access key ids", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    ("GitHub tokens", r"\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{30,}\b"),
    ("Slack tokens", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    ("Stripe keys", r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}"),
    ("Google API keys", r"\bAIza[0-9A-Za-z_-]{35}"),
)


@dataclass(frozen=True)
class Redactor:
    patterns: tuple[str, ...]

    def texts(self, values: Iterable[str]) -> dict[str, str]:
        """The values that change, each to its redacted text: one vectorised pass a pattern."""
        unique = list(dict.fromkeys(values))
        if not unique or not self.patterns:
            return {}
        series = pl.Series(unique, dtype=pl.String)
        for pattern in self.patterns:
            series = series.str.replace_all(pattern, _REPLACEMENT)
        series = series.str.replace_all(_MARK, REDACTED, literal=True)
        changed = {old: new for old, new in zip(unique, series.to_list(), strict=True)
                   if new != old}
        return _distinct(unique, changed)

    def text(self, value: str) -> str:
        return self.texts([value]).get(value, value)

    def apply(self, value: Any) -> Any:
        """The value (a dataclass, or tuples, lists and dicts of them) with every string in
        it redacted; the same object when nothing needed it."""
        strings: list[str] = []
        _collect(value, strings)
        changed = self.texts(strings)
        return _rebuild(value, changed) if changed else value


def _distinct(values: list[str], changed: dict[str, str]) -> dict[str, str]:
    """Different values stay different: two clients whose ids differ only in a secret are two
    clients in the report, not one. The second value that would read the same as another
    gets [REDACTED-2], the third [REDACTED-3], in the order the report holds them (so the
    numbers are as deterministic as the report, and tell nothing about the secrets)."""
    taken = {value for value in values if value not in changed}
    seen: dict[str, int] = {}
    result = {}
    for old in values:
        new = changed.get(old)
        if new is None:
            continue
        candidate = new
        while candidate in taken:
            seen[new] = seen.get(new, 1) + 1
            marker = f"[REDACTED-{seen[new]}]"
            candidate = new.replace(REDACTED, marker, 1) if REDACTED in new else new + marker
        taken.add(candidate)
        result[old] = candidate
    return result


DEFAULT = Redactor(tuple(pattern for _, pattern in BUILTIN))


def redactor(extra: Iterable[str] = (), builtin: bool = True) -> Redactor:
    return Redactor((*(DEFAULT.patterns if builtin else ()), *extra))


def _collect(value: Any, into: list[str]) -> None:
    if isinstance(value, str):
        into.append(value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            _collect(getattr(value, f.name), into)
    elif isinstance(value, tuple | list):
        for item in value:
            _collect(item, into)
    elif isinstance(value, dict):
        for key, item in value.items():
            _collect(key, into)
            _collect(item, into)


def _rebuild(value: Any, changed: dict[str, str]) -> Any:
    if isinstance(value, str):
        return changed.get(value, value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [f.name for f in dataclasses.fields(value) if f.init]
        updates = {name: _rebuild(getattr(value, name), changed) for name in fields}
        if all(updates[name] is getattr(value, name) for name in fields):
            return value  # most of a report has nothing to hide: keep it, do not copy it
        return dataclasses.replace(value, **updates)
    if isinstance(value, tuple):
        items = tuple(_rebuild(item, changed) for item in value)
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if isinstance(value, list):
        return [_rebuild(item, changed) for item in value]
    if isinstance(value, dict):
        return {_rebuild(k, changed): _rebuild(v, changed) for k, v in value.items()}
    return value


def check_pattern(pattern: Any) -> str:
    """A redaction pattern as the config gives it; ValueError when Polars' engine cannot run
    it, or when it matches empty text (it would write [REDACTED] between every character)."""
    from analyzer.conditions import check_regex

    checked = check_regex(pattern)
    if pl.select(pl.lit("").str.contains(checked)).item():
        raise ValueError(f"regular expression {pattern!r} matches empty text; it must match "
                         f"the secret itself")
    return checked


def redact_report(report: Any, redactor: Redactor) -> Any:
    """A Report with every log-derived string redacted. The rules' own documentation is left
    as its authors wrote it: it is not log text, and prose such as `token: reuse it` must not
    be mangled."""
    rules = report.rules
    return dataclasses.replace(redactor.apply(dataclasses.replace(report, rules=())),
                               rules=rules)
