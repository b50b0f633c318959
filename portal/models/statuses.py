"""The status columns: text in the database, members of the ``portal.statuses`` enums when
read."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import String, TypeDecorator


class StatusType(TypeDecorator[StrEnum]):
    """A status column: text in the database, a member of ``enum`` when read."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int) -> None:
        super().__init__(length)
        self.enum = enum
        self.members = {member.value: member for member in enum}  # a dict: read per row

    def process_bind_param(self, value: Any, dialect: object) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: object) -> StrEnum | str | None:
        if value is None:
            return None
        # A value from a newer release is shown as stored, never a 500.
        return self.members.get(value, value)
