"""The local time zone of a Mexican zip code, derived from SAT's c_CodigoPostal.

SAT's catalogue names a "huso horario" for every zip (and its state, municipality and
border-zone flag); this module turns that into an IANA zone that follows the 2022 reform of the
Ley de los Husos Horarios: no daylight saving time in most of the country, the US calendar on
the northern border. satcfdi's own mapping sends "Tiempo del Noroeste" (Baja California) to
America/Matamoros, which is Central time: Tijuana's 22000 would be two hours off.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo

from portal.cfdi import catalogs
from portal.cfdi import errors as E
from portal.cfdi.errors import invalid

# SAT's "Descripción del huso horario" -> IANA zone.
BY_HUSO = {
    "Tiempo del Centro": "America/Mexico_City",  # UTC-6 all year since the 2022 reform
    "Tiempo del Centro en Frontera": "America/Matamoros",  # UTC-6, US daylight saving
    "Tiempo del Noroeste": "America/Tijuana",  # Baja California: UTC-8, US daylight saving
    "Tiempo del Pacífico": "America/Mazatlan",  # UTC-7 all year
    "Tiempo del Sureste": "America/Cancun",  # Quintana Roo: UTC-5 all year
}
# Chihuahua's border: the "Centro en Frontera" municipalities of SAT's catalogue (Ascensión 005,
# Guadalupe 028, Janos 035, Juárez 037, Praxedis G. Guerrero 053) keep Mountain time with the US
# calendar since the decree of 30 Nov 2022; Coyame del Sotol 015, Manuel Benavides 042 and
# Ojinaga 052 (listed as "Tiempo del Centro" by SAT) follow Central time with the US calendar.
CHIHUAHUA_MOUNTAIN_BORDER = "America/Ciudad_Juarez"
CHIHUAHUA_CENTRAL_BORDER = ("015", "042", "052")
SONORA = "America/Hermosillo"  # UTC-7 all year, as Sinaloa; the zone tzdata names for it


def zone_name(zip_code: str) -> str:
    """The IANA zone name of a zip of SAT's c_CodigoPostal; a 400 naming the field otherwise."""
    record = catalogs.zip_record(zip_code)
    if record is None or record[3] not in BY_HUSO:
        raise invalid(
            f"El código postal «{zip_code}» no existe en el catálogo c_CodigoPostal.",
            E.INVALID_INPUT,
            "address.zip",
        )
    state, municipality, _, huso = record
    if state == "CHH" and huso == "Tiempo del Centro en Frontera":
        return CHIHUAHUA_MOUNTAIN_BORDER
    if state == "CHH" and municipality in CHIHUAHUA_CENTRAL_BORDER:
        return "America/Ojinaga"
    if state == "SON":
        return SONORA
    return BY_HUSO[huso]


@cache
def zone_of(zip_code: str) -> ZoneInfo:
    """The ``ZoneInfo`` of a Mexican zip code (see ``zone_name``)."""
    return ZoneInfo(zone_name(zip_code))
