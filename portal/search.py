"""Word search over a column of space-separated tokens (``index_text``).

Every word typed must be one of the row's tokens; the last may be the start of one, so results
follow as the user types ("universidad rob", "ure180", the first block of a UUID). PostgreSQL
answers from a GIN index over the tokens (``array_to_tsvector``, no parser or dictionary in
between, so its tokens are exactly ours); SQLite runs the same rule in Python. Substring search
(a trigram index) was measured first: with a million invoices, a word that every row shares
made it read megabytes of posting lists per query.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Boolean, ColumnElement, String, bindparam, func, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

TOKEN = re.compile(r"[^\W_]+")
MAX_WORDS = 8


def tokens(text: str) -> list[str]:
    """The lower-case words and numbers of a text."""
    return TOKEN.findall(text.lower())


def index_text(*parts: Any) -> str:
    """The tokens of ``parts`` (None skipped), each once, for a search column."""
    seen: dict[str, None] = {}
    for part in parts:
        if part is not None:
            seen.update(dict.fromkeys(tokens(str(part))))
    return " ".join(seen)


def query_of(q: str) -> str | None:
    """The search a typed text asks for, as a tsquery (None when it has no words)."""
    words = tokens(q)[:MAX_WORDS]
    if not words:
        return None
    return " & ".join([*words[:-1], f"{words[-1]}:*"])


def matches_query(text: str | None, query: str) -> bool:
    """Python's side of the rule (SQLite): every word a token, the last as a prefix."""
    have = set((text or "").split(" "))
    *whole, last = query.split(" & ")
    prefix = last.removesuffix(":*")
    return all(word in have for word in whole) and any(t.startswith(prefix) for t in have)


class Matches(ColumnElement[bool]):
    """``column`` has the tokens of ``query`` (built with ``query_of``)."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("query", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[str], query: str) -> None:
        self.column = column
        # Written into the SQL when it runs (the statement stays cached): a prepared statement
        # with a parameter here gets a generic plan that cannot see how rare the words are,
        # and PostgreSQL then reads the whole organization instead of the index.
        self.query = bindparam(None, query, type_=String, unique=True, literal_execute=True)


def matches(column: Any, q: str) -> Matches | None:
    """The condition for a typed search, or None when it has no words."""
    query = query_of(q)
    return None if query is None else Matches(column, query)


def index_expression(column: Any) -> Any:
    """What the PostgreSQL GIN index is built on (the same expression ``Matches`` uses)."""
    return func.array_to_tsvector(func.string_to_array(column, literal_column("' '")))


@compiles(Matches, "postgresql")
def _matches_postgresql(element: Matches, compiler: Any, **kw: Any) -> str:
    vector = compiler.process(index_expression(element.column), **kw)
    return f"{vector} @@ CAST({compiler.process(element.query, **kw)} AS tsquery)"


@compiles(Matches)
def _matches_other(element: Matches, compiler: Any, **kw: Any) -> str:
    column, query = compiler.process(element.column, **kw), compiler.process(element.query, **kw)
    return f"portal_matches({column}, {query})"


def install_sqlite(dbapi_connection: Any) -> None:
    """Give a SQLite connection the function ``Matches`` compiles to."""
    dbapi_connection.create_function("portal_matches", 2, matches_query, deterministic=True)
