"""Heavy renderings (an invoice's PDF) done once: stored in ``rendered_files`` under a digest
of what they depend on, served from there while the digest matches.

In one process, parallel requests for the same file wait for the first one's rendering instead
of rendering it again, and a few recent files stay in memory. Where the file is stored depends
on the caller's transaction: a writing one (a POST, a job) stores it with its own changes; a
read-only one (a download) stores it in a short transaction of its own, so a GET never turns its
read snapshot into a writer (on SQLite that can fail when another writer committed meanwhile).
Storing is best effort: if it fails, the next download renders again. On SQLite, storing apart
ends the read-only transaction afterwards (its snapshot is older than our commit).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from portal.database import transaction_writes, writing
from portal.models.files import RenderedFile

log = logging.getLogger(__name__)
MEMORY_BYTES = 64 * 1024 * 1024  # recent files kept per process

_flights: dict[tuple[str, str], list[Any]] = {}  # (invoice, kind) -> [lock, users]
_flights_lock = threading.Lock()
_memory: OrderedDict[tuple[str, str, str], bytes] = OrderedDict()
_memory_lock = threading.Lock()


def digest(parts: dict[str, Any]) -> str:
    """A stable key for what a rendering depends on."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def source_digest(*paths: Path) -> str:
    """A digest of the files (code and templates) a rendering comes from: a deploy that
    changes how documents look makes every stored rendering stale."""
    hasher = hashlib.sha256()
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            hasher.update(file.name.encode() + file.read_bytes())
    return hasher.hexdigest()


@contextmanager
def _single_flight(name: tuple[str, str]) -> Iterator[None]:
    with _flights_lock:
        flight = _flights.setdefault(name, [threading.Lock(), 0])
        flight[1] += 1
    try:
        with flight[0]:
            yield
    finally:
        with _flights_lock:
            flight[1] -= 1
            if flight[1] == 0:
                _flights.pop(name, None)


def _remembered(name: tuple[str, str, str]) -> bytes | None:
    with _memory_lock:
        content = _memory.get(name)
        if content is not None:
            _memory.move_to_end(name)
        return content


def _remember(name: tuple[str, str, str], content: bytes) -> None:
    with _memory_lock:
        _memory[name] = content
        while sum(len(v) for v in _memory.values()) > MEMORY_BYTES and len(_memory) > 1:
            _memory.popitem(last=False)


def forget_all() -> None:
    """Empty this process's memory of recent files (tests; the database copy stays)."""
    with _memory_lock:
        _memory.clear()


def _stored(session: Session, invoice_id: str, kind: str, key: str) -> bytes | None:
    return session.scalar(
        select(RenderedFile.content).where(
            RenderedFile.invoice_id == invoice_id,
            RenderedFile.kind == kind,
            RenderedFile.cache_key == key,
        )
    )


def _store_with(session: Session, invoice_id: str, kind: str, key: str, content: bytes) -> None:
    row = session.get(RenderedFile, (invoice_id, kind))
    if row is not None:
        row.cache_key, row.content = key, content
    else:
        try:
            with session.begin_nested():
                session.add(
                    RenderedFile(invoice_id=invoice_id, kind=kind, cache_key=key, content=content)
                )
        except IntegrityError:
            return  # another process stored it first
    session.flush()


def _store_apart(session: Session, invoice_id: str, kind: str, key: str, content: bytes) -> None:
    table = RenderedFile.__table__
    where = (table.c.invoice_id == invoice_id) & (table.c.kind == kind)
    values = {"cache_key": key, "content": content}
    try:
        with writing(), session.get_bind().connect() as connection:
            if connection.execute(update(table).where(where).values(values)).rowcount == 0:
                row = {"invoice_id": invoice_id, "kind": kind, **values}
                connection.execute(insert(table).values(row))
            connection.commit()
    except SQLAlchemyError:  # a race or a busy database: the next download renders again
        log.warning("could not store the %s of invoice %s", kind, invoice_id, exc_info=True)
        return
    if session.get_bind().dialect.name == "sqlite":
        # Our own commit made the read-only transaction's snapshot stale: a later write in
        # that session would fail to upgrade it. It read only (our writer got the lock), so
        # ending it loses nothing; loaded objects reload on their next use.
        session.rollback()


def rendered(
    session: Session, invoice_id: str, kind: str, key: str, render: Callable[[], bytes]
) -> bytes:
    """The stored rendering when ``key`` matches; otherwise ``render()`` once and store it."""
    name = (invoice_id, kind, key)
    if (content := _remembered(name)) is not None:
        return content
    with _single_flight((invoice_id, kind)):
        content = _remembered(name) or _stored(session, invoice_id, kind, key)
        if content is None:
            content = render()
            store = _store_with if transaction_writes(session) else _store_apart
            store(session, invoice_id, kind, key, content)
        _remember(name, content)
    return content
