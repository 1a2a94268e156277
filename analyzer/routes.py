"""Route templates: `GET /orders/{order_id}` matched against a request's method and path gives
the template, an operation name and the path parameters. For requests no declared route
matches, a template can be inferred by replacing id-like path segments with `{id}`, so that
`/orders/1042` and `/orders/1043` are one route of any REST API.

Everything is a Polars expression: one regex per route, evaluated over the whole column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_METHOD = re.compile(r"^[A-Z]+$")
# A path segment is an id when it is a number, a UUID, a long hex string, or has three or more
# digits (SO52315, ord_8f3k2d9, 2200-46162-025); `v1`, `oauth2` and words are not.
ID_SEGMENT = (r"^(?:\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
              r"[0-9a-fA-F]{12}|[0-9a-fA-F]{16,}|(?:\D*\d){3}.*)$")
INFERRED_PARAM = "{id}"


@dataclass(frozen=True)
class Route:
    method: str | None  # None matches any method
    template: str
    operation: str
    params: tuple[str, ...]
    pattern: str  # anchored regex; group i+1 captures params[i]


def parse_route(spec: str, operation: str | None = None, base_path: str = "") -> Route:
    """`GET /orders/{order_id}` (or `/orders/{order_id}` for any method); ValueError if bad."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"expected 'METHOD /path/{{param}}', got {spec!r}")
    parts = spec.split()
    method, template = (None, parts[0]) if len(parts) == 1 else (parts[0], parts[1])
    if len(parts) > 2 or (method is not None and not _METHOD.match(method)):
        raise ValueError(f"expected 'METHOD /path/{{param}}' with an upper-case method, "
                         f"got {spec!r}")
    if not template.startswith("/"):
        raise ValueError(f"the path must start with '/', got {template!r}")
    params = tuple(_PARAM.findall(template))
    if len(set(params)) != len(params):
        raise ValueError(f"a parameter appears twice in {template!r}")
    base = _regex(base_path, capture=False) if base_path else ""
    pattern = f"^(?:{base})?{_regex(template, capture=True)}/?$" if base else \
        f"^{_regex(template, capture=True)}/?$"
    name = operation or (f"{method} {template}" if method else template)
    return Route(method, template, name, params, pattern)


def _regex(template: str, capture: bool) -> str:
    """A template as a regex: literal text escaped, each `{name}` one path segment."""
    pieces, last = [], 0
    for match in _PARAM.finditer(template):
        pieces.append(re.escape(template[last:match.start()]))
        pieces.append("([^/]+)" if capture else "[^/]+")
        last = match.end()
    pieces.append(re.escape(template[last:].rstrip("/")))
    return "".join(pieces)


def url_path(url: pl.Expr) -> pl.Expr:
    """The path of a request target or absolute URL: no scheme, host, query or fragment."""
    path = (url.str.replace(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*", "")
            .str.replace(r"[?#].*$", ""))
    return pl.when(path == "").then(pl.lit("/")).otherwise(path)


def query_param(url: pl.Expr, name: str) -> pl.Expr:
    """The first value of a query-string parameter, `+` and `%20` read as spaces."""
    raw = url.str.extract(rf"[?&]{re.escape(name)}=([^&#]*)", 1)
    return raw.str.replace_all(r"\+|%20", " ").str.replace_all("%2F", "/", literal=True)


@dataclass(frozen=True)
class Matched:
    """Expressions for the route a request matched: template, operation and parameters."""

    template: pl.Expr
    operation: pl.Expr
    params: dict[str, pl.Expr]
    declared: pl.Expr  # true where a declared route (not an inferred template) matched


def match(routes: tuple[Route, ...], method: pl.Expr, path: pl.Expr, infer: bool) -> Matched:
    """The first declared route that matches each row; else, with `infer`, a template made
    from the path itself; else null."""
    template = operation = pl.lit(None, dtype=pl.String)
    params: dict[str, pl.Expr] = {}
    declared = pl.lit(False)
    for route in reversed(routes):  # built inside out, so the first route wins
        hit = path.str.contains(route.pattern).fill_null(False)
        if route.method is not None:
            hit = hit & (method.str.to_uppercase() == route.method).fill_null(False)
        declared = declared | hit
        template = pl.when(hit).then(pl.lit(route.template)).otherwise(template)
        operation = pl.when(hit).then(pl.lit(route.operation)).otherwise(operation)
        for index, name in enumerate(route.params, start=1):
            value = path.str.extract(route.pattern, index)
            params[name] = pl.when(hit).then(value).otherwise(params.get(name, pl.lit(None)))
    if infer:
        inferred = infer_template(path)
        template = pl.coalesce(template, inferred)
        named = pl.when(method.is_not_null()).then(
            pl.concat_str(method.str.to_uppercase(), pl.lit(" "), inferred)
        ).otherwise(inferred)
        operation = pl.coalesce(operation, named)
    return Matched(template, operation, params, declared)


def infer_template(path: pl.Expr) -> pl.Expr:
    """`/orders/1042/items/7` -> `/orders/{id}/items/{id}`."""
    trimmed = pl.when(path == "/").then(path).otherwise(path.str.replace(r"/+$", ""))
    segments = trimmed.str.split("/").list.eval(
        pl.when(pl.element().str.contains(ID_SEGMENT)).then(pl.lit(INFERRED_PARAM))
        .otherwise(pl.element())
    )
    return segments.list.join("/")
