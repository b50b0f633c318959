"""Word search: tokens, the typed query, and the rule SQLite runs in Python."""

from __future__ import annotations

from portal import search


def test_index_text_keeps_each_word_once_in_lower_case():
    text = search.index_text("Universidad Robótica Española", "URE180429TM6", None, 42, "A-42")
    assert text == "universidad robótica española ure180429tm6 42 a"


def test_query_takes_the_last_word_as_a_prefix():
    assert search.query_of("  Dunder   mif ") == "dunder & mif:*"
    assert search.query_of("¿?! --") is None
    assert search.query_of(" ".join(str(n) for n in range(20))).count("&") == search.MAX_WORDS - 1


def test_python_rule_matches_whole_words_and_a_prefix():
    row = "universidad robótica española ure180429tm6"
    assert search.matches_query(row, "robótica & ure18:*")
    assert not search.matches_query(row, "robot & ure18:*")  # only the last word is a prefix
    assert not search.matches_query(row, "niversidad:*")  # no infix matches
    assert not search.matches_query("", "a:*")


def test_q_finds_invoices_by_their_items(make_organization, api, invoice_body) -> None:
    _org, key = make_organization()
    client = api(key)
    items = [
        {"product": {"description": "Aspiradora Robot X9", "product_key": "60131324",
                     "price": 100, "sku": "ASP-77"}},
        {"product": {"description": "Ukelele soprano", "product_key": "60131324", "price": 50}},
    ]  # fmt: skip
    wanted = client.post("/invoices", json=invoice_body(items=items)).get_json()
    other = client.post("/invoices", json=invoice_body()).get_json()
    assert wanted["status"] == other["status"] == "valid"

    def found(q: str) -> list[str]:
        return [i["id"] for i in client.get("/invoices", query_string={"q": q}).get_json()["data"]]

    assert found("aspiradora robot") == [wanted["id"]]
    assert found("soprano") == [wanted["id"]]
    assert found("asp 77") == [wanted["id"]]  # the SKU
    assert found("aspi") == [wanted["id"]]  # the last word as a prefix
    assert set(found("ukelele")) == {wanted["id"], other["id"]}
    assert found("aspiradora guitarra") == []
