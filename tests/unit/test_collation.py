"""One German order for names: accents sort with their base letter, special letters as their
Latin base (Đ as D, ß as ss), case ignored, ties broken by the original text."""

from wirlearn.core.collation import sort_key, sorted_by_name


def test_names_sort_as_a_german_reader_expects():
    names = [
        "Zoë Zimmer",
        "Đorđe Petrović",
        "Ayşe Yılmaz",
        "Özlem Öztürk",
        "ömer Ünal",
        "Dana Dorn",
        "Łukasz Nowak",
        "Ahmed Aziz",
    ]
    assert sorted(names, key=sort_key) == [
        "Ahmed Aziz",
        "Ayşe Yılmaz",
        "Dana Dorn",
        "Đorđe Petrović",
        "Łukasz Nowak",
        "ömer Ünal",
        "Özlem Öztürk",
        "Zoë Zimmer",
    ]


def test_sharp_s_and_ties():
    assert sort_key("Strauß") < sort_key("Strausz")  # "ss" < "sz"
    assert sort_key("Müller") != sort_key("Muller")  # the original breaks the tie: a total order
    assert sorted(["Muller", "Müller", "muller"], key=sort_key) == sorted(["muller", "Müller", "Muller"], key=sort_key)


def test_missing_names_sort_first_and_helper_keeps_items():
    rows = [("b", "Ben"), ("n", None), ("d", "Đorđe")]
    assert [key for key, _ in sorted_by_name(rows, lambda row: row[1])] == ["n", "b", "d"]
