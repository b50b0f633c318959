"""Fixtures of the support console tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.admin.helpers import make_staff, sign_in_staff


@pytest.fixture
def staff(make_account: Any) -> Any:
    """A staff account, not signed in."""
    return make_staff(make_account)


@pytest.fixture
def staff_client(client: Any, db: Any, staff: Any) -> Any:
    """The test client signed in to the console (both factors)."""
    sign_in_staff(client, db, staff)
    return client


@pytest.fixture
def reseller(make_account: Any) -> Any:
    """A reseller account."""
    account, _key = make_account(email="ana@example.com", name="Ana Distribuidora")
    return account
