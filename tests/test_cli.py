"""The ``portal`` command line."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from portal.cli import DEMO_EMAIL
from portal.models.accounts import Account
from portal.models.organizations import Organization


def test_create_reseller_prints_json_with_a_working_user_key(app, db, api):
    result = app.test_cli_runner().invoke(
        args=[
            "create-reseller",
            "--email",
            "r@example.com",
            "--password",
            "una frase secreta",
            "--name",
            "R",
        ]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["email"] == "r@example.com" and data["user_key"].startswith("sk_user_")
    assert api(data["user_key"]).get("/organizations").status_code == 200


def test_create_staff_has_the_staff_role(app, db):
    result = app.test_cli_runner().invoke(
        args=["create-staff", "--email", "s@example.com", "--password", "una frase secreta"]
    )
    assert result.exit_code == 0, result.output
    account = db.scalar(select(Account).where(Account.email == "s@example.com"))
    assert account.is_staff


def test_create_reseller_refuses_a_weak_password(app, db):
    result = app.test_cli_runner().invoke(
        args=["create-reseller", "--email", "r@example.com", "--password", "short"]
    )
    assert result.exit_code != 0
    assert "password_too_short" in result.output


def test_seed_demo_is_idempotent(app, db):
    runner = app.test_cli_runner()
    first, second = runner.invoke(args=["seed-demo"]), runner.invoke(args=["seed-demo"])
    assert first.exit_code == second.exit_code == 0
    assert DEMO_EMAIL in second.output
    assert len(db.scalars(select(Account).where(Account.email == DEMO_EMAIL)).all()) == 1
    url = re.search(r"http://\S+/demo/(\w+)", second.output)
    assert url and url.group(0) in first.output  # the same receipt both times
    assert len(db.scalars(select(Organization)).all()) == 1
    page = app.test_client().get(f"/demo/{url.group(1)}")
    assert page.status_code == 200 and "Cafetería Demo" in page.get_data(as_text=True)


def test_make_test_csd_writes_a_loadable_csd(app, tmp_path):
    from portal.cfdi.csd import load_csd
    from portal.cfdi.errors import CSDError

    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "make-test-csd",
            "--rfc",
            "eku9003173c9",
            "--name",
            "ESCUELA KEMPER URGATE",
            "--password",
            "secreto123",
            "--out",
            str(tmp_path),
        ]
    )
    assert result.exit_code == 0, result.output
    files = json.loads(result.output)
    csd = load_csd(open(files["cer"], "rb").read(), open(files["key"], "rb").read(), "secreto123")
    assert csd.rfc == "EKU9003173C9"
    fiel = runner.invoke(
        args=[
            "make-test-csd",
            "--rfc",
            "EKU9003173C9",
            "--name",
            "X",
            "--password",
            "secreto123",
            "--out",
            str(tmp_path),
            "--fiel",
        ]
    )
    made = json.loads(fiel.output)
    try:
        load_csd(open(made["cer"], "rb").read(), open(made["key"], "rb").read(), "secreto123")
    except CSDError as error:
        assert error.code == "csd_is_fiel"
    else:
        raise AssertionError("a FIEL was accepted as a CSD")
