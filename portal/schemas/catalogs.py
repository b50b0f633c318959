"""SAT catalog search and tools (``/v2/catalogs``, ``/v2/tools``)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from portal.schemas import ApiModel
from portal.schemas.common import Answer, JsonObject, SearchQuery


class CatalogQuery(SearchQuery):
    """Búsqueda en un catálogo del SAT."""


class CatalogEntry(Answer):
    """Una clave del catálogo."""

    key: str
    description: str
    score: float


class TaxIdQuery(ApiModel):
    """El RFC a consultar."""

    tax_id: str | None = Field(None, description="RFC.")


class EfosData(Answer):
    """Lo que dice la lista 69-B del RFC."""

    mensaje: str
    fechaLista: str | None
    detalles: list[JsonObject]


class Efos(Answer):
    """El RFC en la lista 69-B."""

    is_valid: bool | None = Field(description="null: el listado no está cargado, no se revisó.")
    list_loaded: bool
    data: EfosData


class TaxIdValidation(Answer):
    """¿Está el RFC en la lista 69-B (EFOS)?"""

    model_config = ConfigDict(extra="forbid")

    efos: Efos
