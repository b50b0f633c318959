"""Comercio Exterior 2.0 (cce20): the complement of an export invoice (Exportacion 02).

The API takes it as Facturapi takes complements, ``complements: [{"type": "comercio_exterior",
"data": {...}}]``; ``data`` (documented in docs/comercio-exterior.md):

- ``incoterm`` (c_INCOTERM; required on I and E), ``pedimento_key`` (c_ClavePedimento, "A1"),
  ``origin_certificate`` (bool) and ``origin_certificate_number``, ``reliable_exporter_number``,
  ``transfer_reason`` (c_MotivoTraslado; type T only), ``owners`` (for reason 05), ``notes``;
- ``usd_exchange``: TipoCambioUSD (pesos per dollar); an invoice in USD uses its own exchange;
- ``issuer_address``: the issuer's address; state, municipality and locality default to the
  codes of the issuer's zip in c_CodigoPostal, ``neighborhood`` is a c_Colonia code;
- ``customer_address``: the receiver's foreign address; defaults to the customer's address
  (street, state, country, zip: a US zip like 90210 stays as it is);
- ``goods``: one per SKU of the items (``sku`` = the concept's NoIdentificacion):
  ``tariff_code`` (c_FraccionArancelaria), ``customs_quantity``, ``customs_unit``
  (c_UnidadAduana), ``customs_unit_price`` (USD), ``descriptions`` (brand, model, ...).
  ValorDolares is CantidadAduana × ValorUnitarioAduana, or, without customs figures, the
  concepts' Importe converted to dollars; TotalUSD is their sum.

Input errors are refused here with the path of the field; SAT's rules on the finished XML live
in ``sat_matrix.cce20``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from satcfdi.create.cfd import cce20

from portal.cfdi import catalogs
from portal.cfdi.errors import invalid
from portal.cfdi.reading import Reader
from portal.cfdi.types import Customer

TYPE = "comercio_exterior"
INVALID_FOREIGN_TRADE = "invalid_foreign_trade"
CENT = Decimal("0.01")
US_ZIP = re.compile(r"[0-9]{5}(-[0-9]{4})?")
CA_ZIP = re.compile(r"[A-Z][0-9][A-Z] ?[0-9][A-Z][0-9]")


@dataclass
class TradeAddress:
    """A Domicilio of the complement (issuer's codes are SAT catalog codes)."""

    street: str | None = None
    exterior: str | None = None
    interior: str | None = None
    neighborhood: str | None = None
    locality: str | None = None
    municipality: str | None = None
    state: str | None = None
    country: str | None = None
    zip: str | None = None
    reference: str | None = None


@dataclass
class Goods:
    """One Mercancia: the customs data of the items with this SKU."""

    sku: str
    tariff_code: str | None = None
    customs_quantity: Decimal | None = None
    customs_unit: str | None = None
    customs_unit_price: Decimal | None = None
    descriptions: list[dict[str, str]] = field(default_factory=list)


@dataclass
class ForeignTrade:
    """The Comercio Exterior 2.0 data sent with an export invoice."""

    goods: list[Goods]
    incoterm: str | None = None
    pedimento_key: str = "A1"
    origin_certificate: bool = False
    origin_certificate_number: str | None = None
    reliable_exporter_number: str | None = None
    transfer_reason: str | None = None
    owners: list[tuple[str, str]] = field(default_factory=list)
    usd_exchange: Decimal | None = None
    notes: str | None = None
    issuer_address: TradeAddress = field(default_factory=TradeAddress)
    issuer_curp: str | None = None
    customer_address: TradeAddress | None = None
    path: str = "complements[0].data"


# ---------------------------------------------------------------- reading


def _address(r: Reader) -> TradeAddress:
    return TradeAddress(
        **{
            key: r.text(key)
            for key in (
                "street",
                "exterior",
                "interior",
                "neighborhood",
                "locality",
                "municipality",
                "state",
                "country",
                "zip",
                "reference",
            )
        }
    )


def _description(r: Reader) -> dict[str, str]:
    names = {"brand": "Marca", "model": "Modelo", "submodel": "SubModelo", "serial": "NumeroSerie"}
    found = {sat: r.text(key) for key, sat in names.items()}
    if not found["Marca"]:
        r.required("brand")
    return {k: v for k, v in found.items() if v}


def _goods(r: Reader) -> Goods:
    return Goods(
        sku=r.text("sku", required=True) or "",
        tariff_code=r.text("tariff_code"),
        customs_quantity=r.decimal("customs_quantity"),
        customs_unit=r.text("customs_unit"),
        customs_unit_price=r.decimal("customs_unit_price"),
        descriptions=r.items("descriptions", _description),
    )


def _owner(r: Reader) -> tuple[str, str]:
    return r.text("tax_id", required=True) or "", (r.text("country", required=True) or "").upper()


def read(r: Reader) -> ForeignTrade:
    """The complement's ``data`` object (errors name ``complements[i].data.<field>``)."""
    issuer, customer = r.child("issuer_address"), r.child("customer_address")
    return ForeignTrade(
        goods=r.items("goods", _goods),
        incoterm=(r.text("incoterm") or "").upper() or None,
        pedimento_key=(r.text("pedimento_key") or "A1").upper(),
        origin_certificate=r.boolean("origin_certificate", False),
        origin_certificate_number=r.text("origin_certificate_number"),
        reliable_exporter_number=r.text("reliable_exporter_number"),
        transfer_reason=r.text("transfer_reason"),
        owners=r.items("owners", _owner),
        usd_exchange=r.decimal("usd_exchange"),
        notes=r.text("notes"),
        issuer_address=_address(issuer) if issuer else TradeAddress(),
        issuer_curp=r.text("issuer_curp"),
        customer_address=_address(customer) if customer else None,
        path=r.path,
    )


def from_complements(r: Reader) -> ForeignTrade | None:
    """The comercio_exterior complement of an invoice body, if any (at most one)."""
    message = "Solo se admite un complemento de comercio exterior por factura."
    return r.complement(TYPE, read, message, INVALID_FOREIGN_TRADE)


# ---------------------------------------------------------------- checking and building


def _refuse(message: str, path: str) -> None:
    raise invalid(message, INVALID_FOREIGN_TRADE, path)


def _in(table: str, key: Any) -> Any:
    return catalogs._select(table, key)


def _usd(value: Decimal) -> Decimal:
    # Wide context: customs figures up to the XSD's 14 + 16 digits multiply past 28 digits.
    with localcontext() as context:
        context.prec = 80
        return value.quantize(CENT, ROUND_HALF_UP)


def usd_exchange(trade: ForeignTrade, currency: str, exchange: Decimal) -> Decimal:
    """TipoCambioUSD: the invoice's own exchange when it is in USD, else as sent."""
    if currency == "USD":
        if trade.usd_exchange is not None and trade.usd_exchange != exchange:
            _refuse(
                "En una factura en USD el tipo de cambio del dólar (usd_exchange) debe ser el "
                f"de la factura ({exchange}).",
                f"{trade.path}.usd_exchange",
            )
        return exchange
    value = trade.usd_exchange
    if value is None or value <= 0 or value.quantize(Decimal("0.000001")) != value:
        _refuse(
            "Indica el tipo de cambio del dólar (usd_exchange: pesos por dólar, mayor a cero, "
            "hasta 6 decimales).",
            f"{trade.path}.usd_exchange",
        )
    return value  # type: ignore[return-value]


def _issuer_domicilio(
    trade: ForeignTrade, issuer_zip: str, issuer_street: str | None
) -> dict[str, Any]:
    """Emisor:Domicilio in Mexico; codes the zip implies fill the fields not sent."""
    address, path = trade.issuer_address, f"{trade.path}.issuer_address"
    zip_code = address.zip or issuer_zip
    row = _in("C756_c_CodigoPostal", zip_code)
    if row is None:
        _refuse(f"El código postal {zip_code} no existe en c_CodigoPostal.", f"{path}.zip")
    state = (address.state or row[0]).upper()
    municipality = address.municipality or (row[1] or None)
    locality = address.locality or (row[2] or None)
    if state != row[0]:
        _refuse(f"El estado {state} no corresponde al código postal {zip_code}.", f"{path}.state")
    if municipality and _in("C756_c_Municipio", (municipality, state)) is None:
        _refuse(f"El municipio {municipality} no existe en c_Municipio.", f"{path}.municipality")
    if locality and _in("C756_c_Localidad", (locality, state)) is None:
        _refuse(f"La localidad {locality} no existe en c_Localidad.", f"{path}.locality")
    colonia = address.neighborhood
    if colonia and _in("C756_c_Colonia", (colonia, zip_code)) is None:
        _refuse(
            f"La colonia {colonia} no existe en c_Colonia para el código postal {zip_code} "
            "(usa la clave de 4 dígitos).",
            f"{path}.neighborhood",
        )
    street = address.street or issuer_street
    if not street:
        _refuse("Indica la calle del domicilio del emisor.", f"{path}.street")
    return cce20.Domicilio(
        calle=street,
        estado=state,
        pais="MEX",
        codigo_postal=zip_code,
        numero_exterior=address.exterior,
        numero_interior=address.interior,
        colonia=colonia,
        localidad=locality,
        municipio=municipality,
        referencia=address.reference,
    )


def foreign_address_problem(country: str, state: str | None, zip_code: str | None) -> str | None:
    """Why a foreign Domicilio's state or zip does not fit its country (c_Estado, patterns)."""
    if country in ("USA", "CAN"):
        if not state or _in("C756_c_Estado", state.upper()) is None:
            return "state"
        if _in("C756_c_Estado", state.upper())[0] != country:
            return "state"
    pattern = {"USA": US_ZIP, "CAN": CA_ZIP}.get(country)
    if pattern and not pattern.fullmatch((zip_code or "").upper()):
        return "zip"
    return None


def _receiver_domicilio(trade: ForeignTrade, customer: Customer) -> dict[str, Any] | None:
    sent = trade.customer_address
    path = f"{trade.path}.customer_address" if sent else "customer.address"
    source = sent or TradeAddress(
        street=customer.address.street,
        exterior=customer.address.exterior,
        interior=customer.address.interior,
        neighborhood=customer.address.neighborhood,
        locality=customer.address.city,
        municipality=customer.address.municipality,
        state=customer.address.state,
        country=customer.address.country,
        zip=customer.address.zip,
    )
    country = (source.country or "").upper()
    if not customer.is_foreign and not sent:
        return None
    for name, value in (("street", source.street), ("state", source.state), ("zip", source.zip)):
        if not value:
            _refuse(f"Indica «{name}» del domicilio del receptor extranjero.", f"{path}.{name}")
    if not catalogs.is_valid("country", country):
        _refuse(f"El país «{country}» no existe en c_Pais.", f"{path}.country")
    wrong = foreign_address_problem(country, source.state, source.zip)
    if wrong == "state":
        _refuse(
            f"En {country} el estado debe ser su clave de c_Estado (p. ej. CA, TX, ON).",
            f"{path}.state",
        )
    if wrong == "zip":
        _refuse(f"El código postal no tiene el formato de {country}.", f"{path}.zip")
    state = (source.state or "").upper() if country in ("USA", "CAN") else source.state
    return cce20.Domicilio(
        calle=source.street,
        estado=state,
        pais=country,
        codigo_postal=(source.zip or "").upper(),
        numero_exterior=source.exterior,
        numero_interior=source.interior,
        colonia=source.neighborhood,
        localidad=source.locality,
        municipio=source.municipality,
        referencia=source.reference,
    )


def _customs(goods: Goods, path: str) -> tuple[Decimal | None, str | None, Decimal | None]:
    figures = (goods.customs_quantity, goods.customs_unit, goods.customs_unit_price)
    if any(v is not None for v in figures) and any(v is None for v in figures):
        _refuse(
            "customs_quantity, customs_unit y customs_unit_price van juntos (los tres o ninguno).",
            path,
        )
    quantity, unit, price = figures
    if unit is not None and _in("C5bc_c_UnidadAduana", unit) is None:
        _refuse(f"La unidad aduana «{unit}» no existe en c_UnidadAduana.", f"{path}.customs_unit")
    if quantity is not None and (quantity < Decimal("0.001") or quantity != round(quantity, 3)):
        _refuse("La cantidad aduana debe ser al menos 0.001, hasta 3 decimales.", path)
    if price is not None and (price < 0 or price != round(price, 6)):
        _refuse("El valor unitario aduana (USD) admite hasta 6 decimales.", path)
    return quantity, unit, price


def _mercancia(goods: Goods, path: str, concept_usd: Decimal) -> tuple[cce20.Mercancia, Decimal]:
    quantity, unit, price = _customs(goods, path)
    if unit != "99":
        if not goods.tariff_code:
            _refuse("Indica la fracción arancelaria (tariff_code).", f"{path}.tariff_code")
        description = _in("C5bc_c_FraccionArancelaria", goods.tariff_code)
        if description is None or str(description).startswith("Derogada"):
            _refuse(
                f"La fracción arancelaria {goods.tariff_code} no existe (vigente) en "
                "c_FraccionArancelaria.",
                f"{path}.tariff_code",
            )
    value = _usd(quantity * price) if quantity is not None and price is not None else concept_usd
    node = cce20.Mercancia(
        no_identificacion=goods.sku,
        valor_dolares=value,
        fraccion_arancelaria=goods.tariff_code if unit != "99" else None,
        cantidad_aduana=quantity,
        unidad_aduana=unit,
        valor_unitario_aduana=price,
        descripciones_especificas=goods.descriptions or None,
    )
    return node, value


def _header(trade: ForeignTrade, document_type: str) -> None:
    path = trade.path
    if document_type not in ("I", "E", "T"):
        _refuse("El complemento de comercio exterior va en comprobantes I, E o T.", "type")
    if _in("C5bc_c_ClavePedimento", trade.pedimento_key) is None:
        _refuse("La clave de pedimento debe ser A1.", f"{path}.pedimento_key")
    if document_type in ("I", "E") and not trade.incoterm:
        _refuse("Indica el INCOTERM (incoterm) de la operación.", f"{path}.incoterm")
    if trade.incoterm and _in("C5bc_c_INCOTERM", trade.incoterm) is None:
        _refuse(f"El INCOTERM «{trade.incoterm}» no existe en c_INCOTERM.", f"{path}.incoterm")
    if (document_type == "T") != bool(trade.transfer_reason):
        _refuse(
            "El motivo de traslado (transfer_reason) va solo, y siempre, en comprobantes T.",
            f"{path}.transfer_reason",
        )
    if trade.transfer_reason and _in("C5bc_c_MotivoTraslado", trade.transfer_reason) is None:
        _refuse("El motivo de traslado no existe en c_MotivoTraslado.", f"{path}.transfer_reason")
    if trade.transfer_reason == "05" and not trade.owners:
        _refuse("Con motivo de traslado 05 indica los propietarios (owners).", f"{path}.owners")
    if trade.origin_certificate != bool(trade.origin_certificate_number):
        _refuse(
            "El número de certificado de origen va solo, y siempre, con origin_certificate.",
            f"{path}.origin_certificate_number",
        )
    if not trade.goods:
        _refuse("Indica al menos una mercancía (goods).", f"{path}.goods")


def concept_usd(importe: Decimal, exchange: Decimal, usd: Decimal) -> Decimal:
    """A concept's Importe in dollars: pesos (Importe × TipoCambio) ÷ TipoCambioUSD."""
    return _usd(importe * exchange / usd)


def build(
    trade: ForeignTrade,
    *,
    document_type: str,
    currency: str,
    exchange: Decimal,
    concepts: Sequence[tuple[str | None, Decimal]],
    customer: Customer,
    issuer_zip: str,
    issuer_street: str | None = None,
) -> cce20.ComercioExterior:
    """The cce20:ComercioExterior node; ``concepts`` are (NoIdentificacion, Importe) pairs."""
    _header(trade, document_type)
    usd = usd_exchange(trade, currency, exchange)
    rate = Decimal(1) if currency == "MXN" else exchange
    skus = {g.sku for g in trade.goods}
    by_sku: dict[str, Decimal] = {}
    for index, (sku, importe) in enumerate(concepts):
        if not sku or sku not in skus:
            _refuse(
                "Cada concepto de una exportación necesita su sku (NoIdentificacion) y una "
                "mercancía (goods) con el mismo sku.",
                f"items[{index}].product.sku",
            )
        by_sku[sku] = by_sku.get(sku, Decimal(0)) + concept_usd(importe, rate, usd)  # type: ignore[index]
    mercancias, seen = [], set()
    for index, goods in enumerate(trade.goods):
        path = f"{trade.path}.goods[{index}]"
        if goods.sku not in by_sku:
            _refuse(f"Ningún concepto tiene el sku «{goods.sku}».", f"{path}.sku")
        if (goods.sku, goods.tariff_code) in seen:
            _refuse("Mercancía repetida (mismo sku y fracción arancelaria).", path)
        seen.add((goods.sku, goods.tariff_code))
        mercancias.append(_mercancia(goods, path, by_sku[goods.sku]))
    receiver = _receiver_domicilio(trade, customer)
    return cce20.ComercioExterior(
        clave_de_pedimento=trade.pedimento_key,
        certificado_origen=1 if trade.origin_certificate else 0,
        tipo_cambio_usd=usd,
        total_usd=_usd(sum((value for _, value in mercancias), Decimal(0))),
        mercancias=[node for node, _ in mercancias],
        motivo_traslado=trade.transfer_reason,
        num_certificado_origen=trade.origin_certificate_number,
        numero_exportador_confiable=trade.reliable_exporter_number,
        incoterm=trade.incoterm,
        observaciones=trade.notes,
        emisor=cce20.Emisor(_issuer_domicilio(trade, issuer_zip, issuer_street), trade.issuer_curp),
        propietario=[cce20.Propietario(t, c) for t, c in trade.owners] or None,
        receptor=cce20.Receptor(domicilio=receiver) if receiver else None,
    )
