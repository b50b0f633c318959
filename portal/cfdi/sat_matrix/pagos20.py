"""Pagos 2.0 rules of SAT's matrix (CRP2xxxx); see the package docstring."""

from __future__ import annotations

from portal.cfdi.sat_matrix import NOT_IMPLEMENTED, rule  # noqa: F401
