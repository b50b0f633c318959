"""CFDI 4.0 rules of SAT's matrix (CFDI40xxx); see the package docstring."""

from __future__ import annotations

from portal.cfdi.sat_matrix import NOT_IMPLEMENTED, rule  # noqa: F401
