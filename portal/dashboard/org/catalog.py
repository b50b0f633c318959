"""Customers and products screens of one organization, in the dashboard's environment."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from portal.cfdi import catalogs, rules
from portal.dashboard.catalog_forms import CustomerForm, ProductForm
from portal.dashboard.forms import ConfirmForm
from portal.dashboard.org import bp
from portal.errors import NotFound, PortalError
from portal.extensions import db
from portal.forms import attach_errors
from portal.i18n import language as _lang
from portal.pagination import paginate
from portal.services import customers, products
from portal.tenancy import current_tenant

SEARCHES = {"products": catalogs.search_products, "units": catalogs.search_units}
SUGGESTIONS = 12


def _saved(message: str, endpoint: str, **values: Any) -> Any:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


def _listing(template: str, query: Any) -> str:
    page = paginate(db.session, query, lambda row: row)
    return render_template(template, page=page, q=request.args.get("q", ""), confirm=ConfirmForm())


def _form_page(template: str, form: FlaskForm, **context: Any) -> tuple[str, int]:
    status = 400 if form.errors or form.form_errors else 200
    return render_template(template, form=form, confirm=ConfirmForm(), **context), status


def _submit(form: FlaskForm, save: Any) -> tuple[bool, Any]:
    """Validate the form and run ``save`` with its payload; domain errors go beside the fields."""
    if not form.validate_on_submit():
        return False, None
    try:
        return True, save(form.as_payload())
    except PortalError as error:
        attach_errors(form, error)
        return False, None


# Customers --------------------------------------------------------------------------------


@bp.route("/customers", endpoint="customers")
def customers_list():
    """The environment's customers, with search."""
    query = customers.search(current_tenant(), request.args.get("q"))
    return _listing("dashboard/org/customers.html", query)


@bp.route("/customers/new", methods=["GET", "POST"])
def new_customer():
    """Register a customer."""
    form = CustomerForm(lang=_lang())
    ok, created = _submit(
        form, lambda data: customers.create_customer(db.session, current_tenant(), data)
    )
    if ok:
        return _saved(_("Guardamos el cliente."), "org.edit_customer", customer_id=created[0].id)
    return _form_page("dashboard/org/customer_form.html", form)


@bp.route("/customers/<customer_id>", methods=["GET", "POST"])
def edit_customer(customer_id: str):
    """Edit a customer; from here also send it an edit link or delete it."""
    tenant = current_tenant()
    customer = customers.get_customer(db.session, tenant, customer_id)
    form = CustomerForm(lang=_lang())
    if request.method == "GET":
        form.fill(customer)
    elif _submit(form, lambda data: customers.update_customer(db.session, tenant, customer, data))[
        0
    ]:
        return _saved(_("Guardamos el cliente."), "org.edit_customer", customer_id=customer.id)
    return _form_page("dashboard/org/customer_form.html", form, customer=customer)


@bp.post("/customers/<customer_id>/edit-link")
def email_customer_edit_link(customer_id: str):
    """Email the customer a new link to fill in its tax data."""
    tenant = current_tenant()
    customer = customers.get_customer(db.session, tenant, customer_id)
    if ConfirmForm().validate_on_submit():
        try:
            base_url = current_app.config["PUBLIC_BASE_URL"]
            customers.email_edit_link(db.session, tenant, customer, None, base_url)
        except PortalError as error:
            flash(error.message, "error")
        else:
            return _saved(
                _("Enviamos el enlace a %(email)s.", email=customer.email),
                "org.edit_customer",
                customer_id=customer.id,
            )
    return redirect(url_for("org.edit_customer", customer_id=customer.id))


@bp.post("/customers/<customer_id>/delete")
def delete_customer(customer_id: str):
    """Delete a customer (its invoices are kept)."""
    customer = customers.get_customer(db.session, current_tenant(), customer_id)
    if ConfirmForm().validate_on_submit():
        customers.delete_customer(customer)
        return _saved(_("Eliminamos el cliente."), "org.customers")
    return redirect(url_for("org.edit_customer", customer_id=customer.id))


@bp.get("/customers/check-rfc")
def check_rfc():
    """Live RFC check for the customer form: {"ok", "message"}."""
    problem = rules.rfc_problem(request.args.get("tax_id", ""))
    return jsonify({"ok": problem is None, "message": problem.message if problem else ""})


# Products ---------------------------------------------------------------------------------


@bp.route("/products", endpoint="products")
def products_list():
    """The environment's products, with search."""
    query = products.search(current_tenant(), request.args.get("q"))
    return _listing("dashboard/org/products.html", query)


@bp.route("/products/new", methods=["GET", "POST"])
def new_product():
    """Register a product."""
    form = ProductForm()
    if request.method == "POST" and form.pick_key(request.form):
        return _product_page(form)
    if _submit(form, lambda data: products.create_product(db.session, current_tenant(), data))[0]:
        return _saved(_("Guardamos el producto."), "org.products")
    return _product_page(form)


def _product_page(form: ProductForm, **context: Any) -> tuple[str, int]:
    """The product form, with SAT keys suggested for words typed in its key fields."""
    template = "dashboard/org/product_form.html"
    return _form_page(template, form, suggestions=form.key_suggestions(), **context)


@bp.route("/products/<product_id>", methods=["GET", "POST"])
def edit_product(product_id: str):
    """Edit a product; from here also delete it."""
    product = products.get_product(db.session, current_tenant(), product_id)
    form = ProductForm(editing=True)
    if request.method == "GET":
        form.fill(product)
    elif form.pick_key(request.form):
        return _product_page(form, product=product)
    elif _submit(form, lambda data: products.update_product(db.session, product, data))[0]:
        return _saved(_("Guardamos el producto."), "org.products")
    return _product_page(form, product=product)


@bp.post("/products/<product_id>/delete")
def delete_product(product_id: str):
    """Delete a product (invoices that use it are kept)."""
    product = products.get_product(db.session, current_tenant(), product_id)
    if ConfirmForm().validate_on_submit():
        products.delete_product(product)
        return _saved(_("Eliminamos el producto."), "org.products")
    return redirect(url_for("org.edit_product", product_id=product.id))


@bp.get("/catalogs/<kind>")
def catalog_search(kind: str):
    """SAT key suggestions for the product form's search-as-you-type."""
    search = SEARCHES.get(kind)
    if search is None:
        raise NotFound()
    return jsonify(search(request.args.get("q", ""), SUGGESTIONS))
