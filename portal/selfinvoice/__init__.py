"""Public branded pages: /<domain> (type a key), /<domain>/<key> (invoice a purchase) and
/tax-info/<secret> (a customer completes their tax data). Registered last, so that
``/<domain>`` never shadows another route; a domain is never ``v2`` (``DomainConverter``), so
that an unknown ``/v2/…`` path is the API's 404, for every method."""

from flask import Blueprint
from werkzeug.routing import BaseConverter

bp = Blueprint("selfinvoice", __name__)


class DomainConverter(BaseConverter):
    """One path segment that is not the API's prefix."""

    regex = r"(?!v2$)[^/]+"
    part_isolating = True  # one segment (Werkzeug guesses otherwise from the "/" in regex)


bp.record_once(lambda state: state.app.url_map.converters.setdefault("domain", DomainConverter))

from portal.selfinvoice import views  # noqa: E402,F401
