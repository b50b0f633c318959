"""SAT catalog search and the RFC check against SAT's 69-B list (EFOS)."""

from __future__ import annotations

from typing import Any

import pytest

from portal.cli import import_efos
from portal.models.efos import EfosEntry
from portal.services import efos

HEADER = (
    '"No","RFC","Nombre del Contribuyente","Situación del contribuyente",'
    '"Número y fecha de oficio global de presunción SAT","Publicación página SAT presuntos",'
    '"Número y fecha de oficio global de presunción DOF","Publicación DOF presuntos",'
    '"Número y fecha de oficio global de definitivos SAT","Publicación página SAT definitivos",'
    '"Número y fecha de oficio global de definitivos DOF","Publicación DOF definitivos"\n'
)
ROWS = (
    '1,"NOR170627727","NORMANDIA FERRE, S.A. DE C.V.","Definitivo",'
    '"500-05-2020-23758 de fecha 03 de noviembre de 2020","03/11/2020",'
    '"500-05-2020-23758 de fecha 03 de noviembre de 2020","18/11/2020",'
    '"500-05-2021-151","25/05/2021","500-05-2021-152","25/05/2021"\n'
    '2,"CACX7605101P8","JOSÉ NIÑO","Desvirtuado","","","","","","","",""\n'
)
TITLE = "Listado completo de contribuyentes (Artículo 69-B del Código Fiscal de la Federación)\n"


def sat_csv(encoding: str = "latin-1") -> bytes:
    """A small file shaped like SAT's: title lines, then the column row, then data."""
    return (TITLE + "Información actualizada al 17 de septiembre de 2023\n" + HEADER + ROWS).encode(
        encoding
    )


@pytest.fixture
def key(make_organization: Any) -> str:
    return make_organization()[1]


def test_product_key_search(api: Any, key: str) -> None:
    body = api(key).get("/catalogs/products?q=ukelele").json
    assert body["page"] == 1 and body["total_results"] >= 1
    assert body["data"][0] == {"key": "60131324", "description": "Ukelele", "score": 0.99}


def test_unit_search_paginates(api: Any, key: str) -> None:
    first = api(key).get("/catalogs/units?q=pulgada&limit=1").json
    assert first["data"][0]["key"] == "INH" and first["total_pages"] == first["total_results"] > 1
    second = api(key).get("/catalogs/units?q=pulgada&limit=1&page=2").json
    assert second["data"][0]["key"] != "INH"
    assert api(key).get("/catalogs/units?q=x&limit=0").status_code == 400


def test_catalogs_need_a_key(api: Any) -> None:
    assert api(None).get("/catalogs/products?q=ukelele").status_code == 401


@pytest.mark.parametrize("encoding", ["latin-1", "utf-8"])
def test_import_reads_sats_csv(db: Any, encoding: str) -> None:
    assert efos.import_list(db, sat_csv(encoding)) == 2
    entry = db.query(EfosEntry).filter_by(rfc="NOR170627727").one()
    assert entry.situation == "Definitivo" and entry.name == "NORMANDIA FERRE, S.A. DE C.V."
    assert entry.details["pubDofPresuntos"] == "18/11/2020"
    assert entry.details["pubSatDefinitivos"] == "25/05/2021"
    assert db.query(EfosEntry).filter_by(rfc="CACX7605101P8").one().name == "JOSÉ NIÑO"
    assert efos.import_list(db, sat_csv()) == 2  # a new import replaces the list
    assert db.query(EfosEntry).count() == 2


def test_import_refuses_another_file(db: Any) -> None:
    with pytest.raises(efos.ValidationError):
        efos.import_list(db, b"a,b,c\n1,2,3\n")


def test_cli_command(app: Any, db: Any, tmp_path: Any) -> None:
    path = tmp_path / "69b.csv"
    path.write_bytes(sat_csv())
    result = app.test_cli_runner().invoke(import_efos, [str(path)])
    assert result.exit_code == 0 and "2 RFC" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"x\n")
    assert app.test_cli_runner().invoke(import_efos, [str(bad)]).exit_code != 0


def test_tax_id_validation(api: Any, key: str, db: Any) -> None:
    efos.import_list(db, sat_csv())
    db.commit()
    listed = api(key).get("/tools/tax_id_validation?tax_id=nor170627727").json["efos"]
    assert listed["is_valid"] is False
    assert listed["data"]["fechaLista"].startswith("Información actualizada al")
    detail = listed["data"]["detalles"][0]
    assert detail["rfc"] == "NOR170627727" and detail["situacionContribuyente"] == "Definitivo"
    assert detail["razonSocial"] == "NORMANDIA FERRE, S.A. DE C.V."
    cleared = api(key).get("/tools/tax_id_validation?tax_id=CACX7605101P8").json["efos"]
    assert cleared["is_valid"] is True and len(cleared["data"]["detalles"]) == 1
    clean = api(key).get("/tools/tax_id_validation?tax_id=XIA190128J61").json["efos"]
    assert clean["is_valid"] is True and clean["data"]["detalles"] == []


@pytest.mark.parametrize("query", ["", "?tax_id=", "?tax_id=ABC"])
def test_tax_id_validation_refuses_bad_input(api: Any, key: str, query: str) -> None:
    response = api(key).get("/tools/tax_id_validation" + query)
    assert response.status_code == 400 and response.json["path"] == "tax_id"


def test_without_a_loaded_list_the_answer_says_so(api: Any, key: str) -> None:
    answer = api(key).get("/tools/tax_id_validation?tax_id=XIA190128J61").json["efos"]
    assert answer["is_valid"] is None and answer["list_loaded"] is False  # never "clean"
    assert "no está cargado" in answer["data"]["mensaje"]
    assert answer["data"]["detalles"] == []


def test_the_daily_job_refreshes_the_list_from_a_file(app: Any, db: Any, tmp_path, monkeypatch):
    from portal.jobs import efos as efos_job

    assert efos_job.refresh() is None  # no source configured: nothing to do
    path = tmp_path / "Listado_Completo_69-B.csv"
    path.write_bytes(sat_csv())
    monkeypatch.setitem(app.config, "EFOS_SOURCE", str(path))
    assert efos_job.refresh() == 2
    assert db.query(EfosEntry).count() == 2
    monkeypatch.setitem(app.config, "EFOS_SOURCE", str(tmp_path / "missing.csv"))
    with pytest.raises(efos.ValidationError) as refused:
        efos_job.refresh()
    assert refused.value.code == "efos_source_unreadable"
    assert db.query(EfosEntry).count() == 2  # the stored list stays


def test_the_daily_job_downloads_the_list_outside_any_transaction(app: Any, db: Any, monkeypatch):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from portal.jobs import efos as efos_job

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = sat_csv() if self.path == "/69b.csv" else b""
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        db.query(EfosEntry).count()  # a transaction is open: the job must end it first
        monkeypatch.setitem(app.config, "EFOS_SOURCE", f"{base}/69b.csv")
        assert efos_job.refresh() == 2  # the io guard fails it if a transaction were open
        monkeypatch.setitem(app.config, "EFOS_SOURCE", f"{base}/missing.csv")
        with pytest.raises(efos.ValidationError) as refused:
            efos_job.refresh()
        assert refused.value.code == "efos_source_unreadable"
    finally:
        server.shutdown()
        server.server_close()
    listed = efos.validate_tax_id(db, "NOR170627727")["efos"]
    assert listed["is_valid"] is False and listed["list_loaded"] is True
