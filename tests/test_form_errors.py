"""A service's message beside a form field names the field as the form does, never by the API
path ("El campo tax_id es obligatorio." reads "El campo «RFC» es obligatorio.")."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField

from portal.errors import PortalError, Problem, ValidationError
from portal.forms import attach_errors


class CustomerForm(FlaskForm):
    tax_id = StringField("RFC")
    legal_name = StringField("Razón social")


def _errors(app, *problems: Problem) -> CustomerForm:
    with app.test_request_context(method="POST"):
        form = CustomerForm(meta={"csrf": False})
        attach_errors(form, PortalError.from_problems(list(problems)))
        return form


def test_the_api_path_in_a_message_becomes_the_fields_label(app):
    form = _errors(
        app,
        Problem("El campo tax_id es obligatorio.", "required", "tax_id"),
        Problem("El campo «legal_name» es muy largo.", "too_long", "customer.legal_name"),
    )
    assert form.tax_id.errors == ["El campo «RFC» es obligatorio."]
    assert form.legal_name.errors == ["El campo «Razón social» es muy largo."]


def test_words_that_merely_contain_the_path_are_left_alone(app):
    form = _errors(app, Problem("El RFC tax_ids no existe; revisa tax_id.", "x", "tax_id"))
    assert form.tax_id.errors == ["El RFC tax_ids no existe; revisa «RFC»."]


def test_a_problem_without_a_field_goes_on_top_unchanged(app):
    form = _errors(app, ValidationError("Algo falló en items[0].price.", path="items[0].price"))
    assert form.form_errors == ["Algo falló en items[0].price."]
