"""Views of one organization: overview, environment switch, settings, API keys, deletion."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from portal.cfdi.errors import CSDError
from portal.dashboard.forms import ConfirmForm
from portal.dashboard.org import bp, set_live
from portal.dashboard.org.custom_host import page_context as custom_host_context
from portal.dashboard.org.forms import (
    ADDRESS_KEYS,
    BrandingForm,
    CertificateForm,
    ConfirmNameForm,
    DomainForm,
    LegalForm,
    LogoForm,
    NextFoliosForm,
    ReceiptSettingsForm,
    SeriesForm,
)
from portal.dashboard.roles import requires
from portal.downloads import set_disposition
from portal.errors import PortalError, ValidationError
from portal.extensions import db
from portal.forms import attach_errors
from portal.i18n import language as _lang
from portal.impersonation import refuse_if_impersonating, refused_while_impersonating
from portal.redirects import safe_next
from portal.schemas import parse
from portal.schemas.public_links import ApiKeyRequest
from portal.scopes import SCOPES
from portal.services import api_keys, previews
from portal.services import organizations as orgs

FILE_MAX = 64 * 1024
LOGO_READ_MAX = 2 * orgs.LOGO_MAX_BYTES  # larger logos get the service's own message


def _done(message: str, endpoint: str = "org.overview"):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint))


@bp.route("/env", methods=["POST"])
@requires("read")
def switch_env():
    """Switch between the test and live environments."""
    if ConfirmForm().validate_on_submit():
        set_live(g.organization.id, request.form.get("live") == "1")
    target = safe_next(request.form.get("next"), prefix="/dashboard/")
    return redirect(target or url_for("org.overview"))


@bp.route("/settings")
@requires("admin", read="configuration")
def settings():
    """The settings index."""
    return redirect(url_for("org.legal"))


@bp.route("/settings/legal", methods=["GET", "POST"])
@requires("admin", read="configuration")
def legal():
    """Legal data and fiscal address."""
    organization = g.organization
    form = LegalForm(lang=_lang())
    if request.method == "GET":
        _fill_legal(form, organization)
    elif form.validate_on_submit():
        try:
            orgs.update_legal(organization, form.as_payload())
        except PortalError as error:
            attach_errors(form, error)
        else:
            return _done(_("Guardamos los datos fiscales."), "org.legal")
    return render_template("dashboard/org/legal.html", form=form), 400 if form.errors else 200


def _fill_legal(form: LegalForm, organization) -> None:
    form.name.data = organization.name
    form.legal_name.data = organization.legal_name
    form.tax_system.data = organization.tax_system or ""
    for key in ADDRESS_KEYS:
        getattr(form, key).data = (organization.address or {}).get(key)
    form.website.data, form.phone.data = organization.website, organization.phone
    form.support_email.data = organization.support_email


@bp.route("/settings/certificate", methods=["GET", "POST"])
@requires("admin", read="configuration")
def certificate():
    """Upload (or replace) the CSD; support may look but not replace it."""
    form = CertificateForm()
    if request.method == "POST":
        refuse_if_impersonating()
    if form.validate_on_submit():
        try:
            orgs.upload_certificate(
                g.organization, _file(form.cer, "cer"), _file(form.key, "key"), form.password.data
            )
        except (CSDError, PortalError) as error:
            attach_errors(form, error, "cer")
        else:
            return _done(
                _(
                    "Certificado guardado. El RFC de la organización es %(rfc)s.",
                    rfc=g.organization.tax_id,
                ),
                "org.certificate",
            )
    return render_template(
        "dashboard/org/certificate.html",
        form=form,
        delete_form=ConfirmForm(),
        expires_soon=orgs.certificate_expires_soon(g.organization),
    ), (400 if form.errors else 200)


def _file(field, name: str, max_bytes: int = FILE_MAX) -> bytes:
    storage = field.data
    data = storage.read(max_bytes + 1) if storage else b""
    if not data:
        raise ValidationError(_("Elige el archivo."), "required", path=name)
    if len(data) > max_bytes:
        raise ValidationError(_("El archivo es demasiado grande."), "file_too_large", path=name)
    return data


@bp.route("/settings/certificate/delete", methods=["POST"])
@requires("admin", read="configuration")
@refused_while_impersonating
def delete_certificate():
    """Remove the CSD."""
    if ConfirmForm().validate_on_submit():
        orgs.delete_certificate(db.session, g.organization)
        return _done(_("Eliminamos el certificado."), "org.certificate")
    abort(400)


@bp.route("/settings/branding", methods=["GET", "POST"])
@requires("admin", read="configuration")
def branding():
    """Colour, folios, optional PDF fields; the logo has its own form."""
    organization = g.organization
    form = BrandingForm()
    if request.method == "GET":
        form.color.data = organization.color
        for key in BrandingForm.PDF_EXTRA:
            getattr(form, key).data = organization.pdf_extra.get(key, False)
    elif form.validate_on_submit():
        try:
            orgs.update_customization(db.session, organization, form.as_payload())
        except PortalError as error:
            attach_errors(form, error)
        else:
            return _done(_("Guardamos la personalización."), "org.branding")
    return render_template("dashboard/org/branding.html", form=form, logo_form=LogoForm()), (
        400 if form.errors else 200
    )


@bp.route("/settings/logo", methods=["POST"])
@requires("admin", read="configuration")
def upload_logo():
    """Upload or replace the logo."""
    form = LogoForm()
    if form.validate_on_submit():
        try:
            orgs.upload_logo(g.organization, _file(form.file, "file", LOGO_READ_MAX))
        except PortalError as error:
            attach_errors(form, error, "file")
        else:
            return _done(_("Guardamos el logo."), "org.branding")
    branding_form = BrandingForm(formdata=None, obj=None)
    return render_template("dashboard/org/branding.html", form=branding_form, logo_form=form), 400


@bp.route("/settings/branding/preview.pdf")
@requires("admin", read="configuration")
def preview_pdf():
    """A sample invoice in the organization's brand."""
    response = Response(previews.preview_pdf(g.organization), mimetype="application/pdf")
    return set_disposition(response, "vista-previa.pdf", inline=True)


@bp.route("/logo")
def logo():
    """The organization's logo image."""
    organization = g.organization
    if not organization.logo_mime:
        abort(404)
    response = Response(organization.logo, mimetype=organization.logo_mime)
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


@bp.route("/settings/receipts", methods=["GET", "POST"])
@requires("admin", read="configuration")
def receipt_settings():
    """Receipts and the self-invoice page."""
    organization = g.organization
    form = ReceiptSettingsForm(lang=_lang())
    if request.method == "GET":
        form.periodicity.data = organization.receipts_periodicity
        form.duration_days.data = organization.receipts_duration_days
        form.allowed_cfdi_uses.data = organization.self_invoice_uses
        form.support_email.data = organization.self_invoice_support_email
    elif form.validate_on_submit():
        try:
            orgs.update_receipt_settings(
                organization,
                {
                    "periodicity": form.periodicity.data,
                    "duration_days": form.duration_days.data,
                },
            )
            orgs.update_self_invoice_settings(
                organization,
                {
                    "allowed_cfdi_uses": form.allowed_cfdi_uses.data,
                    "support_email": form.support_email.data or None,
                },
            )
        except PortalError as error:
            attach_errors(form, error)
        else:
            return _done(_("Guardamos la configuración de recibos."), "org.receipt_settings")
    return render_template("dashboard/org/receipts.html", form=form), (400 if form.errors else 200)


@bp.route("/settings/domain", methods=["GET", "POST"])
@requires("admin", read="configuration")
def domain():
    """Choose the self-invoice domain, with a live availability check."""
    form = DomainForm(data={"domain": g.organization.domain})
    if form.validate_on_submit():
        try:
            orgs.set_domain(db.session, g.organization, form.domain.data)
        except PortalError as error:
            attach_errors(form, error)
        else:
            return _done(
                _("Tu página de autofactura quedó en /%(domain)s.", domain=g.organization.domain),
                "org.domain",
            )
    context = custom_host_context()
    return render_template("dashboard/org/domain.html", form=form, **context), (
        400 if form.errors else 200
    )


@bp.route("/settings/domain/check")
@requires("admin", read="configuration")
def check_domain():
    """Availability of a domain, for the form's live check."""
    problem = orgs.domain_problem(db.session, request.args.get("domain", ""), g.organization)
    return jsonify(available=problem is None, message=problem)


@bp.route("/settings/series", methods=["GET", "POST"])
@requires("admin", read="configuration")
def series():
    """Folio series: list and create."""
    form = SeriesForm()
    if form.validate_on_submit():
        try:
            orgs.create_series(db.session, g.organization, form.data, form.default_for.data)
        except PortalError as error:
            attach_errors(form, error)
        else:
            return _done(_("Creamos la serie."), "org.series")
    return render_template(
        "dashboard/org/series.html",
        form=form,
        series_list=orgs.list_series(db.session, g.organization),
        confirm_form=ConfirmForm(),
    ), 400 if form.errors else 200


@bp.route("/settings/series/folios/<any(invoices, receipts):kind>", methods=["POST"])
@requires("admin", read="configuration")
def update_next_folios(kind: str):
    """The next folios of invoices without a series, or of receipts."""
    form = NextFoliosForm()
    if not form.validate_on_submit():
        abort(400)
    payload = {"next_folio_number": form.next_folio.data}
    payload["next_folio_number_test"] = form.next_folio_test.data
    try:
        if kind == "invoices":
            orgs.update_customization(db.session, g.organization, payload)
        else:
            orgs.update_receipt_settings(g.organization, payload)
    except PortalError as error:
        flash(error.message, "error")
        return redirect(url_for("org.series"))
    return _done(_("Guardamos los siguientes folios."), "org.series")


@bp.route("/settings/series/<name>", methods=["POST"])
@requires("admin", read="configuration")
def update_series(name: str):
    """Change a series' next folios."""
    form = SeriesForm()
    series = orgs.get_series(db.session, g.organization, name)
    if form.validate_on_submit():
        try:
            orgs.update_series(series, form.data)
        except PortalError as error:
            flash(error.message, "error")
            return redirect(url_for("org.series"))
        return _done(_("Guardamos la serie %(name)s.", name=name), "org.series")
    abort(400)


@bp.route("/settings/series/<name>/delete", methods=["POST"])
@requires("admin", read="configuration")
def delete_series(name: str):
    """Delete a series."""
    series = orgs.get_series(db.session, g.organization, name)
    if ConfirmForm().validate_on_submit():
        orgs.delete_series(db.session, g.organization, series)
        return _done(_("Eliminamos la serie %(name)s.", name=name), "org.series")
    abort(400)


@bp.route("/settings/series/defaults", methods=["POST"])
@requires("admin", read="configuration")
def default_series():
    """Which series each document type uses."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    chosen = {kind: request.form.get(kind) or None for kind in ("I", "E", "P")}
    try:
        orgs.update_customization(db.session, g.organization, {"default_series": chosen})
    except PortalError as error:
        flash(error.message, "error")
        return redirect(url_for("org.series"))
    return _done(_("Guardamos las series predeterminadas."), "org.series")


@bp.route("/keys")
@requires("admin")
def keys():
    """API keys: the test key on request, live keys by their first characters."""
    return _keys_page(commit=False)


def _keys_page(commit: bool = True, **shown: str):
    if commit:
        db.session.commit()
    return render_template(
        "dashboard/org/keys.html",
        confirm_form=ConfirmForm(),
        live_keys=api_keys.live_keys(db.session, g.organization),
        test_key_row=api_keys.current_test_key(db.session, g.organization),
        all_scopes=SCOPES,
        **{"revealed": None, "new_live_key": None, **shown},
    )


def _chosen_scopes() -> list[str] | None:
    """The scopes ticked on the keys page (none: full access); ``None`` (and a message) when
    one is unknown."""
    try:
        chosen = parse(ApiKeyRequest, {"scopes": request.form.getlist("scopes")}).scopes
    except PortalError as error:
        flash(error.message, "error")
        return None
    return sorted(set(chosen))


@bp.route("/keys/test/reveal", methods=["POST"])
@requires("admin")
@refused_while_impersonating
def reveal_test_key():
    """Show the test key (a POST, so that it never sits in a cached page or a log)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _keys_page(revealed=api_keys.test_key(db.session, g.organization))


@bp.route("/keys/test/renew", methods=["POST"])
@requires("owner")
@refused_while_impersonating
def renew_test_key():
    """Replace the test key; the old one stops at once."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    scopes = _chosen_scopes()
    if scopes is None:
        return redirect(url_for("org.keys"))
    flash(_("Generamos una nueva llave de pruebas. La anterior ya no funciona."), "success")
    return _keys_page(revealed=api_keys.renew_test_key(db.session, g.organization, scopes))


@bp.route("/keys/live", methods=["POST"])
@requires("admin")
@refused_while_impersonating
def create_live_key():
    """A new live key, shown this once."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    scopes = _chosen_scopes()
    if scopes is None:
        return redirect(url_for("org.keys"))
    return _keys_page(new_live_key=api_keys.create_live_key(db.session, g.organization, scopes))


@bp.route("/keys/live/<key_id>/revoke", methods=["POST"])
@requires("owner")
def revoke_live_key(key_id: str):
    """Revoke one live key."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    api_keys.revoke_live_key(db.session, g.organization, key_id)
    return _done(_("Revocamos la llave. Dejó de funcionar de inmediato."), "org.keys")


@bp.route("/delete", methods=["GET", "POST"])
@requires("owner")
@refused_while_impersonating
def delete():
    """Delete the organization after typing its name."""
    form = ConfirmNameForm()
    if form.validate_on_submit():
        if form.confirm_name.data != g.organization.name:
            form.confirm_name.errors = [_("El nombre no coincide.")]
        else:
            orgs.delete_organization(db.session, g.organization)
            db.session.commit()
            flash(_("Eliminamos la organización %(name)s.", name=g.organization.name), "info")
            return redirect(url_for("dashboard.home"))
    return render_template("dashboard/org/delete.html", form=form), 400 if form.errors else 200
