"""The user key authenticates against /v2."""

from __future__ import annotations

import base64


def test_user_key_authenticates(api, make_account):
    _account, key = make_account()
    response = api(key).get("/organizations")
    assert response.status_code == 200
    assert response.json == {"page": 1, "total_pages": 1, "total_results": 0, "data": []}


def test_user_key_works_as_basic_auth_user_name(client, make_account):
    _account, key = make_account()
    token = base64.b64encode(f"{key}:".encode()).decode()
    response = client.get("/v2/organizations", headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 200


def test_missing_or_wrong_key_is_401_with_the_json_error_body(api, make_account):
    make_account()
    for key in (None, "sk_user_wrong", "garbage"):
        response = api(key).get("/organizations")
        assert response.status_code == 401
        body = response.json
        assert body["ok"] is False and body["status"] == 401 and body["code"] == "unauthorized"
        assert body["message"] and body["errors"][0]["code"] == "unauthorized"


def test_a_renewed_key_stops_working_at_once(api, make_account, login_as, client):
    account, key = make_account()
    login_as(account)
    client.post("/dashboard/account/user-key")
    assert api(key).get("/organizations").status_code == 401


def test_key_in_query_string_is_not_accepted(client, make_account):
    _account, key = make_account()
    assert client.get(f"/v2/organizations?api_key={key}").status_code == 401


def test_bad_pagination_is_a_400_with_the_parameter_path(api, make_account):
    _account, key = make_account()
    response = api(key).get("/organizations?limit=500")
    assert response.status_code == 400
    assert response.json["path"] == "limit"


def test_staff_user_keys_do_not_open_the_api(app, db, api):
    import json

    result = app.test_cli_runner().invoke(
        args=["create-staff", "--email", "s@example.com", "--password", "una frase secreta"]
    )
    key = json.loads(result.output)["user_key"]
    assert api(key).get("/organizations").status_code == 401
