"""Fecha is the local time at LugarExpedicion: a table of representative zips written by hand
from SAT's c_CodigoPostal (state, municipality, huso horario) and the 2022 reform of the Ley de
los Husos Horarios, checked against the engine's zone table and against built documents.
Fecha also stays within the CSD's validity (Anexo 20's PAC validation 305)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from portal.cfdi import zones
from portal.cfdi.catalogs import zip_record
from portal.cfdi.csd import load_csd
from portal.cfdi.documents import build_invoice
from portal.cfdi.testcsd import make_test_credentials
from portal.cfdi.types import Address
from portal.errors import ValidationError

# zip: (state, huso in SAT's catalogue, winter UTC offset, follows the US DST calendar, place)
ZIPS = {
    "22000": ("BCN", "Tiempo del Noroeste", -8, True, "Tijuana"),
    "21100": ("BCN", "Tiempo del Noroeste", -8, True, "Mexicali"),
    "84000": ("SON", "Tiempo del Pacífico", -7, False, "Nogales"),
    "83000": ("SON", "Tiempo del Pacífico", -7, False, "Hermosillo"),
    "80000": ("SIN", "Tiempo del Pacífico", -7, False, "Culiacán"),
    "23000": ("BCS", "Tiempo del Pacífico", -7, False, "La Paz"),
    "63000": ("NAY", "Tiempo del Pacífico", -7, False, "Tepic"),
    "63732": ("NAY", "Tiempo del Centro", -6, False, "Bahía de Banderas"),
    "77500": ("ROO", "Tiempo del Sureste", -5, False, "Cancún"),
    "77000": ("ROO", "Tiempo del Sureste", -5, False, "Chetumal"),
    "06600": ("CMX", "Tiempo del Centro", -6, False, "Ciudad de México"),
    "64000": ("NLE", "Tiempo del Centro", -6, False, "Monterrey"),
    "97000": ("YUC", "Tiempo del Centro", -6, False, "Mérida"),
    "31000": ("CHH", "Tiempo del Centro", -6, False, "Chihuahua"),
    "32000": ("CHH", "Tiempo del Centro en Frontera", -7, True, "Ciudad Juárez"),
    "32880": ("CHH", "Tiempo del Centro", -6, True, "Ojinaga"),
    "88500": ("TAM", "Tiempo del Centro en Frontera", -6, True, "Reynosa"),
    "87300": ("TAM", "Tiempo del Centro en Frontera", -6, True, "Matamoros"),
    "88000": ("TAM", "Tiempo del Centro en Frontera", -6, True, "Nuevo Laredo"),
    "26000": ("COA", "Tiempo del Centro en Frontera", -6, True, "Piedras Negras"),
    "25000": ("COA", "Tiempo del Centro", -6, False, "Saltillo"),
}


def _us_dst(moment: datetime) -> bool:
    """The US calendar: from the second Sunday of March to the first Sunday of November."""
    march = datetime(moment.year, 3, 8, tzinfo=UTC)
    november = datetime(moment.year, 11, 1, tzinfo=UTC)
    start = march + timedelta(days=(6 - march.weekday()) % 7)
    end = november + timedelta(days=(6 - november.weekday()) % 7)
    return start + timedelta(hours=10) <= moment < end + timedelta(hours=8)


def _expected_offset(zip_code: str, moment: datetime) -> timedelta:
    _, _, winter, us_calendar, _ = ZIPS[zip_code]
    return timedelta(hours=winter + (1 if us_calendar and _us_dst(moment) else 0))


@pytest.mark.parametrize("zip_code", list(ZIPS))
def test_hand_table_matches_sats_catalogue(zip_code: str) -> None:
    state, huso, *_ = ZIPS[zip_code]
    record = zip_record(zip_code)
    assert record is not None and (record[0], record[3]) == (state, huso)


@pytest.mark.parametrize("zip_code", list(ZIPS))
@pytest.mark.parametrize("day", ["2026-01-15T18:00", "2026-07-15T18:00", "2027-03-20T18:00"])
def test_zone_offsets_follow_the_2022_reform(zip_code: str, day: str) -> None:
    moment = datetime.fromisoformat(day).replace(tzinfo=UTC)
    assert moment.astimezone(zones.zone_of(zip_code)).utcoffset() == _expected_offset(
        zip_code, moment
    ), ZIPS[zip_code][4]


def test_satcfdi_table_is_wrong_for_tijuana() -> None:
    """Why the engine keeps its own table: satcfdi puts Baja California in Central time."""
    from satcfdi.transform import get_timezone

    winter = datetime(2026, 1, 15, 18, tzinfo=UTC)
    assert winter.astimezone(get_timezone("22000")).utcoffset() == timedelta(hours=-6)
    assert winter.astimezone(zones.zone_of("22000")).utcoffset() == timedelta(hours=-8)


def test_unknown_zip_is_a_400() -> None:
    with pytest.raises(ValidationError) as caught:
        zones.zone_of("00001")
    assert caught.value.status == 400 and caught.value.path == "address.zip"


@pytest.mark.parametrize("zip_code", ["22000", "77500", "32000", "06600", "88500"])
def test_fecha_is_local_time_at_the_place_of_issue(
    issuer_csd, issuer, sample_invoice, zip_code: str
) -> None:
    sample_invoice.address = Address(zip=zip_code)
    before = datetime.now(UTC).replace(microsecond=0)
    root = etree.fromstring(build_invoice(issuer_csd, issuer, sample_invoice).xml)
    after = datetime.now(UTC)
    assert root.get("LugarExpedicion") == zip_code
    fecha = datetime.fromisoformat(root.get("Fecha"))
    utc = fecha - _expected_offset(zip_code, before)
    assert before.replace(tzinfo=None) <= utc <= after.replace(tzinfo=None), (fecha, before)


def test_fecha_before_the_csd_starts_is_refused(issuer, sample_invoice) -> None:
    now = datetime.now(UTC)
    credentials = make_test_credentials(issuer.rfc, issuer.legal_name, valid_from=now)
    csd = load_csd(credentials.cer_der, credentials.key_der, credentials.password)
    sample_invoice.date = now - timedelta(hours=2)  # within 72 h, before the CSD existed
    with pytest.raises(ValidationError) as caught:
        build_invoice(csd, issuer, sample_invoice)
    assert (caught.value.code, caught.value.path) == ("invalid_date", "date")
    assert "vigencia del CSD" in caught.value.message
    sample_invoice.date = None  # now: inside the validity
    assert build_invoice(csd, issuer, sample_invoice).xml


def test_fecha_after_the_csd_ends_is_refused(issuer, sample_invoice) -> None:
    now = datetime.now(UTC)
    credentials = make_test_credentials(
        issuer.rfc,
        issuer.legal_name,
        valid_from=now - timedelta(days=400),
        valid_to=now - timedelta(minutes=2),
    )
    csd = load_csd(
        credentials.cer_der, credentials.key_der, credentials.password, at=now - timedelta(hours=1)
    )
    with pytest.raises(ValidationError) as caught:
        build_invoice(csd, issuer, sample_invoice)  # Fecha = now, after the end
    assert caught.value.code == "invalid_date" and "vigencia del CSD" in caught.value.message
    sample_invoice.date = now - timedelta(hours=3)
    assert build_invoice(csd, issuer, sample_invoice).xml
