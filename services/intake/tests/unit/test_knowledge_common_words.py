"""Which of a query's words select articles: the common ones (in more than a third of the base, by PostgreSQL's
statistics) rank but do not select while rarer ones are there; a query of common words alone still finds."""

import pytest

from intake.knowledge.service import COMMON_WORD_SHARE, selecting_words

SHARES = {"居住证": 0.87, "系统": 0.89, "打印": 0.87, "模糊": 0.05, "登录": 0.12, "派出所": COMMON_WORD_SHARE}


@pytest.mark.unit
@pytest.mark.parametrize(
    ("words", "selecting"),
    [
        (["打印", "模糊"], ["模糊"]),  # the rare word selects, the common one ranks
        (["居住证", "系统", "登录"], ["登录"]),
        (["居住证"], None),  # common words alone: all of them select
        (["居住证", "系统"], None),
        (["模糊", "登录"], None),  # none common: all select
        (["派出所", "居住证"], ["派出所"]),  # at the share exactly: not common
        (["高拍仪", "打印"], ["高拍仪"]),  # a word the statistics do not list is rare
        ([], None),
    ],
)
def test_common_words_rank_but_do_not_select(words: list[str], selecting: list[str] | None) -> None:
    assert selecting_words(words, SHARES) == selecting


@pytest.mark.unit
def test_without_statistics_every_word_selects() -> None:
    assert selecting_words(["打印", "模糊"], {}) is None
