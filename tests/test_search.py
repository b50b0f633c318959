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
