"""Apply a mapping profile: turn a file's records (raw columns as a reader found them) into
canonical fields. For each field the first source that has a value wins, in this order:

1. a column named as the field, or by one of your aliases from `fields:`;
2. the profile's own sources for the field (`header: x-client-id`, `soap: partNumber`, ...);
3. a column named by one of the field's built-in aliases;
4. what any HTTP log gives: `method` from the method column or the request line, `path` from
   the URL, `route` and `operation` from the profile's route templates (or, with
   `infer_routes`, the path with its ids replaced by `{id}`), a route parameter named as a
   field (`{order_id}`), and, when nothing names the client, the authenticated user or else
   the client's address as `client_id`.

Everything but SOAP bodies is a vectorised Polars expression; SOAP bodies are parsed once per
distinct body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from analyzer.conditions import regex_groups
from analyzer.mapping import resolve_columns
from analyzer.routes import Matched, match, query_param, url_path
from analyzer.schema import FIELDS, REQUIRED, SOURCE_LINE, normalise_name
from analyzer.soapxml import parse_envelope

if TYPE_CHECKING:
    from analyzer.profiles import FieldSource, Profile

# Names readers and log formats use for the parts of an HTTP request, folded as column names
# are. A reader of a known format writes the first name; JSON and CSV logs use any of them.
RECORD_COLUMNS: dict[str, tuple[str, ...]] = {
    "method": ("method", "request_method", "http_method", "verb", "http.request.method",
               "http.method"),
    "url": ("url", "request_uri", "uri", "request_url", "target", "request_target", "url.full",
            "http.url", "http.target"),
    "request_line": ("request_line", "request"),
    "request_body": ("request_body", "request_payload", "body"),
    "response_body": ("response_body", "response_payload"),
}
REQUEST_LINE = r"^([A-Z]+)\s+(\S+)"


class Columns:
    """Find a file's column by any of several names, compared after folding."""

    def __init__(self, names: list[str]):
        self.names = names
        self._folded: dict[str, str] = {}
        for name in names:
            self._folded.setdefault(normalise_name(name), name)

    def find(self, *candidates: str) -> str | None:
        for candidate in candidates:
            found = self._folded.get(normalise_name(candidate))
            if found is not None:
                return found
        return None

    def record(self, name: str) -> str | None:
        return self.find(*RECORD_COLUMNS[name])


@dataclass
class _Context:
    frame: pl.DataFrame
    columns: Columns
    matched: Matched
    extra: dict[str, pl.Series]  # parsed body values, added to the frame under these names
    routed: bool = False  # the request's method and path were matched against routes

    def text(self, column: str) -> pl.Expr:
        return pl.col(column).cast(pl.String)

    def url(self) -> pl.Expr | None:
        column = self.columns.record("url")
        if column is not None:
            return self.text(column)
        line = self.columns.record("request_line")
        return None if line is None else self.text(line).str.extract(REQUEST_LINE, 2)

    def method(self) -> pl.Expr | None:
        column = self.columns.record("method")
        if column is not None:
            return self.text(column)
        line = self.columns.record("request_line")
        return None if line is None else self.text(line).str.extract(REQUEST_LINE, 1)


def _column(ctx: _Context, name: str) -> pl.Expr | None:
    column = ctx.columns.find(name)
    return None if column is None else ctx.text(column)


def _header(prefix: str, variable: str) -> Callable[[_Context, str], pl.Expr | None]:
    """A header column as readers write it (`request_header.x-client-id`), as nginx and
    Apache name the variable (`http_x_client_id`, `sent_http_retry_after`), or by the
    header's own name (`content_type`, nginx's `$content_type`)."""
    def build(ctx: _Context, name: str) -> pl.Expr | None:
        lower = name.lower()
        column = ctx.columns.find(f"{prefix}.{lower}", f"{variable}{lower.replace('-', '_')}",
                                  lower)
        return None if column is None else ctx.text(column)
    return build


def _query(ctx: _Context, name: str) -> pl.Expr | None:
    url = ctx.url()
    return None if url is None else query_param(url, name)


def _path_param(ctx: _Context, name: str) -> pl.Expr | None:
    return ctx.matched.params.get(name)


def _soap(body: str) -> Callable[[_Context, str], pl.Expr | None]:
    def build(ctx: _Context, name: str) -> pl.Expr | None:
        column = ctx.columns.record(body)
        if column is None:
            return None
        key = f"_{body}_{name}"
        if key not in ctx.extra:
            ctx.extra[key] = _envelope_values(ctx.frame[column], name).alias(key)
        return pl.col(key)
    return build


def _envelope_values(bodies: pl.Series, name: str) -> pl.Series:
    parsed: dict[str, object] = {}
    values = []
    for body in bodies.cast(pl.String).to_list():
        if body not in parsed:
            parsed[body] = parse_envelope(body)
        envelope = parsed[body]
        values.append(envelope.get(name) if envelope is not None else None)  # type: ignore[attr-defined]
    return pl.Series(values, dtype=pl.String)


def _json(body: str) -> Callable[[_Context, str], pl.Expr | None]:
    def build(ctx: _Context, path: str) -> pl.Expr | None:
        column = ctx.columns.record(body)
        if column is None:
            return None
        return ctx.text(column).str.json_path_match("$." + path.removeprefix("$."))
    return build


@dataclass(frozen=True)
class SourceKind:
    build: Callable[[_Context, str], pl.Expr | None]
    doc: str


# The sources a profile may name, declared once: validation, docs and derivation read this.
SOURCES: dict[str, SourceKind] = {
    "column": SourceKind(_column, "a column of the log, matched after folding case and "
                                  "punctuation (`remote_user`, `service.name`)"),
    "header": SourceKind(_header("request_header", "http_"), "a request header "
                         "(`x-client-id`; nginx's `$http_x_client_id` in a JSON log too)"),
    "response_header": SourceKind(_header("response_header", "sent_http_"),
                                  "a response header (`retry-after`)"),
    "query": SourceKind(_query, "a query-string parameter of the request URL"),
    "path_param": SourceKind(_path_param, "a `{param}` of the route template the path matched"),
    "soap": SourceKind(_soap("request_body"), "from the SOAP request body: `operation` (the "
                       "first element in the Body) or the text of the first element with this "
                       "local name (`partNumber`)"),
    "soap_response": SourceKind(_soap("response_body"), "from the SOAP response body: "
                                "`fault_code`, `fault_text`, or an element's text (`orderID`)"),
    "json_body": SourceKind(_json("request_body"), "a dotted key of the JSON request body"),
    "json_response": SourceKind(_json("response_body"), "a dotted key of the JSON response body"),
    "value": SourceKind(lambda ctx, text: pl.lit(text), "this text, for every row"),
}


@dataclass(frozen=True)
class Derived:
    frame: pl.DataFrame  # canonical fields found (raw values) and source_line
    columns: dict[str, str]  # canonical field -> where its values come from, in words


def derive(raw: pl.DataFrame, profile: Profile, aliases: Mapping[str, list[str]],
           infer: bool | None = None) -> Derived:
    """The profile's canonical fields over `raw`; `infer` overrides the profile's
    `infer_routes` (detection first tries profiles without guessing routes)."""
    columns = Columns([c for c in raw.columns if c != SOURCE_LINE])
    ctx = _Context(raw, columns, Matched(pl.lit(None), pl.lit(None), {}, pl.lit(False)), {})
    method, url = ctx.method(), ctx.url()
    path = url_path(url) if url is not None else None
    if path is not None and method is not None:
        infer_routes = profile.infer_routes if infer is None else infer
        ctx.matched = match(profile.routes, method, path, infer_routes)
        ctx.routed = bool(profile.routes) or infer_routes
    named = resolve_columns(columns.names, aliases, builtin=False)
    by_alias = resolve_columns(columns.names, aliases)
    exprs: dict[str, pl.Expr] = {}
    where: dict[str, str] = {}
    for field in FIELDS:
        # A column named as the field, or by your own alias, says what it holds: it comes
        # first; the built-in aliases come after the profile's own sources.
        explicit = named.get(field.name)
        candidates = [(explicit, pl.col(explicit))] if explicit else []
        candidates += [(source.describe(), _apply(source, ctx)) for source in
                       profile.sources(field.name)]
        if field.name in by_alias and by_alias[field.name] != explicit:
            candidates.append((by_alias[field.name], pl.col(by_alias[field.name])))
        candidates += _builtin(field.name, ctx, method, path, by_alias)
        found = [(text, expr) for text, expr in candidates if expr is not None]
        if found:
            exprs[field.name] = _first(found)
            where[field.name] = " or ".join(dict.fromkeys(text for text, _ in found))
    frame = raw.with_columns(list(ctx.extra.values())) if ctx.extra else raw
    selected = frame.select([expr.alias(name) for name, expr in exprs.items()]
                            + [pl.col(SOURCE_LINE)])
    return Derived(selected, where)


def _apply(source: FieldSource, ctx: _Context) -> pl.Expr | None:
    expr = SOURCES[source.kind].build(ctx, source.argument)
    if expr is None or source.regex is None:
        return expr
    group = 1 if regex_groups(source.regex) else 0
    return expr.cast(pl.String).str.extract(source.regex, group)


def _builtin(name: str, ctx: _Context, method, path, by_alias) -> list[tuple[str, pl.Expr | None]]:
    """What every HTTP request gives, after the profile's sources and the log's own columns."""
    if name in ctx.matched.params:  # a route's {order_id} is the order id
        return [(f"path param {name}", ctx.matched.params[name])]
    if name == "client_id":
        found = [ctx.text(c) for c in (ctx.columns.find("remote_user"),
                                       ctx.columns.find("remote_addr")) if c is not None]
        return [("remote_user or remote_addr", pl.coalesce(found))] if found else []
    if name == "method" and method is not None:
        return [("request method", method.str.to_uppercase())]
    if name == "path" and path is not None:
        return [("request URL", path)]
    if ctx.routed and name == "route":
        return [("route template", ctx.matched.template)]
    if ctx.routed and name == "operation":
        operation = ctx.matched.operation
        if "route" in by_alias and method is not None:
            # A log that names its routes (OpenTelemetry's http.route) needs no guessing.
            logged = pl.concat_str(method.str.to_uppercase(), pl.lit(" "),
                                   pl.col(by_alias["route"]))
            declared = pl.when(ctx.matched.declared).then(operation)
            operation = pl.coalesce(declared, logged, operation)
        return [("route template", operation)]
    return []


def _first(found: list[tuple[str, pl.Expr]]) -> pl.Expr:
    """The first non-empty value. A lone column keeps its type (Parquet timestamps, numbers);
    several are compared as text."""
    if len(found) == 1:
        return found[0][1]
    texts = [expr.cast(pl.String).str.strip_chars() for _, expr in found]
    return pl.coalesce([pl.when(text != "").then(text) for text in texts])


def coverage(derived: Derived) -> float:
    """The share of rows that have every required field: how well a profile fits a file."""
    frame = derived.frame
    if frame.height == 0 or any(name not in frame.columns for name in REQUIRED):
        return 0.0
    present = pl.all_horizontal([pl.col(n).cast(pl.String).str.strip_chars().ne("")
                                 .fill_null(False) for n in REQUIRED])
    return frame.select(present.mean()).item() or 0.0
