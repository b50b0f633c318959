"""SAT catalog search and tools (RFC check against SAT's 69-B list)."""

from __future__ import annotations

from flask import jsonify, request

from portal.api import bp
from portal.api.auth import any_key_required
from portal.cfdi import catalogs
from portal.extensions import db
from portal.pagination import MAX_LIMIT, paginate_list
from portal.services import efos


@bp.get("/catalogs/products")
@any_key_required
def search_product_keys():
    """Search c_ClaveProdServ by words or code."""
    return paginate_list(catalogs.search_products(request.args.get("q", ""), MAX_LIMIT))


@bp.get("/catalogs/units")
@any_key_required
def search_unit_keys():
    """Search c_ClaveUnidad by words or code."""
    return paginate_list(catalogs.search_units(request.args.get("q", ""), MAX_LIMIT))


@bp.get("/tools/tax_id_validation")
@any_key_required
def tax_id_validation():
    """Whether an RFC appears on SAT's 69-B list (EFOS)."""
    return jsonify(efos.validate_tax_id(db.session, request.args.get("tax_id")))
