"""Forms of the customers and products screens; the services check the values."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField

from portal.cfdi import catalogs, rules
from portal.dashboard.org.forms import ADDRESS_KEYS as ORG_ADDRESS_KEYS
from portal.forms import max_length, strip

ADDRESS_KEYS = (*ORG_ADDRESS_KEYS, "country")
SEARCH_TEXT = 200  # what a SAT key field takes: the key, or words to find it
KEY_SUGGESTIONS = 8
# Tax presets of the product form; "keep" leaves other combinations (IEPS, withholdings) alone.
TAX_PRESETS: dict[str, list[dict[str, Any]] | None] = {
    "iva16": None,
    "iva8": [{"type": "IVA", "rate": 0.08}],
    "iva0": [{"type": "IVA", "rate": 0}],
    "exempt": [{"type": "IVA", "factor": "Exento"}],
    "none": [],
}


def _text(label: Any, limit: int) -> StringField:
    return StringField(label, [max_length(limit)], filters=[strip])


class CustomerForm(FlaskForm):
    """A customer's tax data, contact and fiscal address."""

    legal_name = _text(_l("Nombre o razón social (sin régimen societario)"), 300)
    tax_id = _text(_l("RFC (o número fiscal si es extranjero)"), 40)
    tax_system = SelectField(_l("Régimen fiscal"), choices=[])
    default_invoice_use = SelectField(_l("Uso de CFDI predeterminado"), choices=[])
    email = EmailField(_l("Correo"), [max_length(254)], filters=[strip])
    phone = _text(_l("Teléfono"), 40)
    external_id = _text(_l("ID en tu sistema"), 255)
    zip = _text(_l("Código postal (el de su país si es extranjero)"), 12)
    country = StringField(
        _l("País (clave de 3 letras)"), [max_length(3)], filters=[strip], default="MEX"
    )
    street = _text(_l("Calle"), 100)
    exterior = _text(_l("Número exterior"), 55)
    interior = _text(_l("Número interior"), 55)
    neighborhood = _text(_l("Colonia"), 100)
    city = _text(_l("Ciudad"), 100)
    municipality = _text(_l("Municipio o alcaldía"), 100)
    state = _text(_l("Estado"), 100)

    def __init__(self, *args: Any, lang: str = "es", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tax_system.choices = [("", _l("Elige un régimen"))] + [
            (code, f"{code} · {label}") for code, label in catalogs.options("tax_system", lang)
        ]
        self.default_invoice_use.choices = [("", _l("Sin uso predeterminado"))] + [
            (code, f"{code} · {label}") for code, label, _ in rules.type_use_options("I", lang)
        ]

    def fill(self, customer: Any) -> None:
        """Show a stored customer."""
        for key in ("legal_name", "tax_id", "tax_system", "default_invoice_use", "email"):
            getattr(self, key).data = getattr(customer, key) or ""
        self.phone.data, self.external_id.data = customer.phone, customer.external_id
        for key in ADDRESS_KEYS:
            getattr(self, key).data = (customer.address or {}).get(key)
        self.country.data = self.country.data or "MEX"

    def as_payload(self) -> dict[str, Any]:
        """The fields as the API would receive them (empty ones as null)."""
        keys = ("legal_name", "tax_id", "tax_system", "default_invoice_use", "email", "phone")
        payload: dict[str, Any] = {key: getattr(self, key).data or None for key in keys}
        payload["external_id"] = self.external_id.data or None
        payload["address"] = {key: getattr(self, key).data or None for key in ADDRESS_KEYS}
        return payload


class ProductForm(FlaskForm):
    """A product or service with its SAT keys, price and taxes."""

    description = _text(_l("Descripción"), 1000)
    # The SAT key fields take words too (a search): the key itself is checked on saving.
    product_key = _text(_l("Clave de producto o servicio (SAT)"), SEARCH_TEXT)
    price = _text(_l("Precio unitario"), 30)
    tax_included = BooleanField(_l("El precio incluye impuestos"), default=True)
    tax_preset = SelectField(
        _l("Impuestos"),
        choices=[
            ("iva16", _l("IVA 16 % trasladado")),
            ("iva8", _l("IVA 8 % (región fronteriza)")),
            ("iva0", _l("IVA tasa 0 %")),
            ("exempt", _l("IVA exento")),
            ("none", _l("Sin impuestos (no objeto)")),
        ],
    )
    unit_key = _text(_l("Clave de unidad (SAT)"), SEARCH_TEXT)
    unit_name = _text(_l("Nombre de la unidad"), 100)
    sku = _text(_l("SKU"), 100)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            keep = ("keep", _l("Conservar los impuestos actuales"))
            self.tax_preset.choices = [keep, *self.tax_preset.choices]

    def fill(self, product: Any) -> None:
        """Show a stored product."""
        for key in ("description", "product_key", "tax_included", "unit_key", "unit_name", "sku"):
            getattr(self, key).data = getattr(product, key)
        self.price.data = f"{product.price.normalize():f}"
        self.tax_preset.data = "keep"

    def key_suggestions(self) -> dict[str, list[dict[str, Any]]]:
        """SAT keys like the words typed in a key field that does not hold a key."""
        searches = {
            "product_key": ("product_key", catalogs.search_products),
            "unit_key": ("unit", catalogs.search_units),
        }
        found = {}
        for name, (catalog, search) in searches.items():
            text = getattr(self, name).data or ""
            if text and not catalogs.is_valid(catalog, text.upper()):
                found[name] = search(text, KEY_SUGGESTIONS)
        return found

    def pick_key(self, picks: Any) -> bool:
        """A suggestion's button (``pick_product_key`` = key) fills its field in."""
        picked = False
        for name in ("product_key", "unit_key"):
            value = picks.get(f"pick_{name}")
            if value:
                getattr(self, name).data, picked = value, True
        return picked

    def as_payload(self) -> dict[str, Any]:
        """The fields as the API would receive them."""
        keys = ("description", "product_key", "price", "unit_key", "unit_name", "sku")
        payload: dict[str, Any] = {key: getattr(self, key).data or None for key in keys}
        payload["tax_included"] = bool(self.tax_included.data)
        if self.tax_preset.data in TAX_PRESETS:
            payload["taxes"] = TAX_PRESETS[self.tax_preset.data]
        return payload
