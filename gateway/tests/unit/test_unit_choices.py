"""The unit type-ahead's matching: name or code, any case, ranked, each with its path, within a subtree."""

import pytest

from gateway.web.pages.ticket_form import unit_choices


def unit(uid: str, code: str, name: str, *path: str) -> dict[str, object]:
    return {"id": uid, "code": code, "name": name, "path": [*path, uid]}


TREE = [
    unit("bj", "BJ", "市局"),
    unit("cy", "BJ-CY", "朝阳分局", "bj"),
    unit("wj", "BJ-CY-WJ", "望京派出所", "bj", "cy"),
    unit("wjl", "BJ-CY-WJLG", "望京流管站", "bj", "cy"),
    unit("hd", "BJ-HD", "海淀分局", "bj"),
    unit("zgc", "BJ-HD-ZGC", "中关村派出所", "bj", "hd"),
] + [unit(f"s{i}", f"BJ-HD-S{i:03d}", f"海淀第{i}派出所", "bj", "hd") for i in range(300)]


@pytest.mark.parametrize(
    ("query", "within", "expected"),
    [
        ("望京", None, ["望京派出所", "望京流管站"]),
        ("bj-cy-wj", None, ["望京派出所", "望京流管站"]),  # the exact code first, any case
        ("中关村", None, ["中关村派出所"]),
        ("朝阳", None, ["朝阳分局"]),
        ("望京", "wj", ["望京派出所"]),  # a requester's own subtree only
        ("海淀", "cy", []),
        ("不存在", None, []),
    ],
)
def test_matches_by_name_or_code(query: str, within: str | None, expected: list[str]) -> None:
    found, total = unit_choices(TREE, query, within=within)
    assert [u["name"] for u in found] == expected and total == len(expected)


def test_each_match_carries_its_path_and_label() -> None:
    [wangjing] = [u for u in unit_choices(TREE, "BJ-CY-WJ")[0] if u["id"] == "wj"]
    assert wangjing["path_names"] == "市局 › 朝阳分局 › 望京派出所"
    assert wangjing["label"] == "望京派出所 · BJ-CY-WJ"


def test_hundreds_of_matches_are_cut_to_a_page_with_the_count() -> None:
    found, total = unit_choices(TREE, "派出所")
    assert len(found) == 20 and total == 302
    assert found[0]["name"] == "望京派出所"  # in path order: 市局 › 朝阳分局 › … before 市局 › 海淀分局 › …
