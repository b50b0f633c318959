"""Retention screens of one organization: the list and a form that creates (stamps) one.
The form fills the same body as ``POST /v2/retentions``; the API's problems are shown under the
field they name."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from satcfdi.catalogs import select_all
from wtforms import DecimalField, EmailField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional

from portal.dashboard.org import bp
from portal.downloads import set_disposition
from portal.errors import PortalError
from portal.extensions import db
from portal.forms import max_length, strip
from portal.models.retentions import Retention
from portal.pagination import paginate
from portal.services import retentions
from portal.tenancy import current_tenant, scoped_get

REQUIRED = InputRequired(_l("Este campo es obligatorio."))
AMOUNT = [REQUIRED, NumberRange(min=0, message=_l("Debe ser cero o mayor."))]
MONTH = [REQUIRED, NumberRange(1, 12, _l("Un mes del 1 al 12."))]
KEYS = sorted(select_all("Ccb0_c_CveRetenc").items())
PAYMENT_TYPES = [
    ("02", _l("02 · Pago definitivo")),
    ("03", _l("03 · Pago provisional")),
    ("01", _l("01 · Pago definitivo IVA")),
    ("04", _l("04 · Pago definitivo IEPS")),
]
# API path → form field, so that a refusal shows under what the user typed.
FIELDS = {
    "customer.legal_name": "legal_name",
    "customer.tax_id": "tax_id",
    "customer.address.zip": "zip",
    "customer.email": "email",
    "cve_retenc": "cve_retenc",
    "desc_retenc": "desc_retenc",
    "folio_int": "folio_int",
    "periodo.mes_ini": "mes_ini",
    "periodo.mes_fin": "mes_fin",
    "periodo.ejerc": "ejerc",
    "totales.monto_tot_operacion": "monto_tot_operacion",
    "totales.monto_tot_grav": "monto_tot_grav",
    "totales.monto_tot_exent": "monto_tot_exent",
    "totales.monto_tot_ret": "monto_ret",
    "totales.imp_retenidos[0].base_ret": "base_ret",
    "totales.imp_retenidos[0].monto_ret": "monto_ret",
    "Totales/@MontoTotOperacion": "monto_tot_operacion",
    "Totales/@MontoTotRet": "monto_ret",
    "Totales/ImpRetenidos[1]/@MontoRet": "monto_ret",
    "Periodo/@MesIni": "mes_ini",
    "Periodo/@Ejercicio": "ejerc",
    "@DescRetenc": "desc_retenc",
}


class RetentionForm(FlaskForm):
    """One retention with one withheld tax (the API takes several)."""

    legal_name = StringField(
        _l("Nombre o razón social"), [REQUIRED, max_length(300)], filters=[strip]
    )
    tax_id = StringField(_l("RFC"), [REQUIRED, max_length(13)], filters=[strip])
    zip = StringField(_l("Código postal fiscal"), [REQUIRED, max_length(5)], filters=[strip])
    email = EmailField(_l("Correo (opcional)"), [Optional(), max_length(254)], filters=[strip])
    cve_retenc = SelectField(
        _l("Clave de retención"), choices=[(k, f"{k} · {v}") for k, v in KEYS], default="14"
    )
    desc_retenc = StringField(
        _l("Descripción (clave 25)"), [Optional(), max_length(100)], filters=[strip]
    )
    folio_int = StringField(_l("Folio interno"), [Optional(), max_length(20)], filters=[strip])
    mes_ini = IntegerField(_l("Mes inicial"), MONTH)
    mes_fin = IntegerField(_l("Mes final"), MONTH)
    ejerc = IntegerField(_l("Ejercicio"), [REQUIRED, NumberRange(2019, 2100, _l("Un año válido."))])
    monto_tot_operacion = DecimalField(_l("Monto de la operación"), AMOUNT)
    monto_tot_grav = DecimalField(_l("Monto gravado"), AMOUNT)
    monto_tot_exent = DecimalField(_l("Monto exento"), AMOUNT)
    impuesto = SelectField(
        _l("Impuesto retenido"), choices=[("ISR", "ISR"), ("IVA", "IVA"), ("IEPS", "IEPS")]
    )
    base_ret = DecimalField(_l("Base de la retención"), AMOUNT)
    monto_ret = DecimalField(_l("Monto retenido"), AMOUNT)
    tipo_pago_ret = SelectField(_l("Tipo de pago"), choices=PAYMENT_TYPES)

    def body(self) -> dict[str, Any]:
        """The ``POST /v2/retentions`` body of the form."""
        withheld = self.monto_ret.data
        return {
            "customer": {
                "legal_name": self.legal_name.data,
                "tax_id": (self.tax_id.data or "").upper(),
                "email": self.email.data or None,
                "address": {"zip": self.zip.data},
            },
            "cve_retenc": self.cve_retenc.data,
            "desc_retenc": self.desc_retenc.data or None,
            "folio_int": self.folio_int.data or None,
            "periodo": {
                "mes_ini": self.mes_ini.data,
                "mes_fin": self.mes_fin.data,
                "ejerc": self.ejerc.data,
            },
            "totales": {
                "monto_tot_operacion": str(self.monto_tot_operacion.data),
                "monto_tot_grav": str(self.monto_tot_grav.data),
                "monto_tot_exent": str(self.monto_tot_exent.data),
                "monto_tot_ret": str(withheld),
                "imp_retenidos": [
                    {
                        "base_ret": str(self.base_ret.data),
                        "impuesto": self.impuesto.data,
                        "monto_ret": str(withheld),
                        "tipo_pago_ret": self.tipo_pago_ret.data,
                    }
                ],
            },
        }

    def show(self, error: PortalError) -> None:
        """Put each problem under its field (the rest above the form)."""
        for problem in error.problems:
            name = FIELDS.get(problem.path or "")
            if name is None:
                self.form_errors.append(problem.message)
            else:
                self[name].errors = [*self[name].errors, problem.message]


def _load(retention_id: str) -> Retention:
    return scoped_get(Retention, retention_id, message=_("La retención no existe."))


@bp.route("/retentions", endpoint="retentions")
def retentions_list():
    """The environment's retentions, newest first, with a text search."""
    args = {"q": request.args["q"]} if request.args.get("q") else {}
    page = paginate(db.session, retentions.search(current_tenant(), args), retentions.to_dict)
    return render_template("dashboard/org/retentions.html", page=page, q=args.get("q", ""))


@bp.route("/retentions/new", methods=["GET", "POST"])
def new_retention():
    """The form; a valid one is stamped and its PDF offered."""
    form = RetentionForm()
    if request.method == "GET":
        now = datetime.now(ZoneInfo("America/Mexico_City"))
        form.mes_ini.data = form.mes_fin.data = now.month
        form.ejerc.data = now.year
    if form.validate_on_submit():
        try:
            retention = retentions.create(
                db.session, current_tenant(), form.body(), None, db.session.commit
            )
            db.session.commit()
            return redirect(url_for("org.retentions", created=retention.id))
        except PortalError as error:
            db.session.rollback()
            form.show(error)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("dashboard/org/retention_form.html", form=form), status


@bp.get("/retentions/<retention_id>/<any(pdf, xml):kind>")
def retention_file(retention_id: str, kind: str):
    """The retention's PDF or XML."""
    retention = _load(retention_id)
    if kind == "pdf":
        data = retentions.pdf_of(retention, current_tenant().organization)
        response = Response(data, mimetype="application/pdf")
    else:
        response = Response(retention.xml or b"", mimetype="application/xml")
    return set_disposition(response, retentions.filename(retention, kind))
