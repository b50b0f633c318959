"""The domain page: choose a custom host, see the TXT record, «Comprobar ahora» against a real
DNS server on 127.0.0.1, then the page answers on that host; removing it stops that."""

from __future__ import annotations

import pytest

HOST = "factura.kemper.mx"


pytestmark = pytest.mark.usefixtures("fresh_host_cache")


def test_choose_check_and_remove_a_custom_host(
    client, make_account, make_organization, login_as, dns_zone
):
    account, _ = make_account()
    organization, _ = make_organization(account, domain="kemper")
    login_as(account)
    base = f"/dashboard/o/{organization.id}/settings/domain"
    saved = client.post(base + "/host", data={"host": "Factura.Kemper.MX"}, follow_redirects=True)
    html = saved.get_data(as_text=True)
    assert "Pendiente de verificación" in html and f"_portal-verify.{HOST}" in html
    value = html.split('id="txt-value">', 1)[1].split("<", 1)[0]
    assert value.startswith("portal-verify=") and len(value) > 20
    assert "Escuela Kemper" not in client.get("/", headers={"Host": HOST}).get_data(True)
    failed = client.post(base + "/host/check", follow_redirects=True).get_data(as_text=True)
    assert "Aún no" in failed and "No existe el registro TXT" in failed
    dns_zone.txt[f"_portal-verify.{HOST}"] = [value]
    done = client.post(base + "/host/check", follow_redirects=True).get_data(as_text=True)
    assert "Verificamos tu dominio" in done and "Verificado" in done
    page = client.get("/", headers={"Host": HOST})
    assert page.status_code == 200 and "Escuela Kemper" in page.get_data(as_text=True)
    client.post(base + "/host/delete", follow_redirects=True)
    assert "Escuela Kemper" not in client.get("/", headers={"Host": HOST}).get_data(True)


def test_a_host_taken_by_another_tenant_or_the_platform_is_refused(
    client, make_account, make_organization, login_as
):
    owner, other = make_account()[0], make_account(email="otra@example.com")[0]
    first, _ = make_organization(owner, domain="kemper")
    second, _ = make_organization(other, name="Otra", domain="otra")
    login_as(owner)
    client.post(f"/dashboard/o/{first.id}/settings/domain/host", data={"host": HOST})
    login_as(other)
    base = f"/dashboard/o/{second.id}/settings/domain"
    taken = client.post(base + "/host", data={"host": HOST}, follow_redirects=True)
    assert "ya lo usa otra organización" in taken.get_data(as_text=True)
    platform = client.post(base + "/host", data={"host": "x.localhost"}, follow_redirects=True)
    assert "es de la plataforma" in platform.get_data(as_text=True)
