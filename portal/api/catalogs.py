"""SAT catalog search and tools (RFC check against SAT's 69-B list)."""

from __future__ import annotations

from flask import jsonify, request

from portal.api import bp
from portal.api.auth import any_key_required
from portal.cfdi import catalogs
from portal.extensions import db
from portal.pagination import MAX_LIMIT, paginate_list
from portal.schemas import operation
from portal.schemas.catalogs import CatalogEntry, CatalogQuery, TaxIdQuery, TaxIdValidation
from portal.schemas.common import Page
from portal.services import efos


@bp.get("/catalogs/products")
@any_key_required
@operation(query=CatalogQuery, response=Page[CatalogEntry], summary="Buscar claves de producto")
def search_product_keys():
    """Search c_ClaveProdServ by words or code."""
    return paginate_list(catalogs.search_products(request.args.get("q", ""), MAX_LIMIT))


@bp.get("/catalogs/units")
@any_key_required
@operation(query=CatalogQuery, response=Page[CatalogEntry], summary="Buscar claves de unidad")
def search_unit_keys():
    """Search c_ClaveUnidad by words or code."""
    return paginate_list(catalogs.search_units(request.args.get("q", ""), MAX_LIMIT))


@bp.get("/tools/tax_id_validation")
@any_key_required
@operation(query=TaxIdQuery, response=TaxIdValidation, summary="¿Está el RFC en la lista 69-B?")
def tax_id_validation():
    """Whether an RFC appears on SAT's 69-B list (EFOS)."""
    return jsonify(efos.validate_tax_id(db.session, request.args.get("tax_id")))
