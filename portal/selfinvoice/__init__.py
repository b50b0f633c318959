"""Public branded pages: /<domain> (type a key), /<domain>/<key> (invoice a purchase) and
/tax-info/<secret> (a customer completes their tax data). Registered last, so that
``/<domain>`` never shadows another route."""

from flask import Blueprint

bp = Blueprint("selfinvoice", __name__)

from portal.selfinvoice import views  # noqa: E402,F401
