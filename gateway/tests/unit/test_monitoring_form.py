"""The monitoring console's form reading: condition lines as Alertmanager writes them, and the desk's wall
clock (Asia/Shanghai) as an instant."""

import pytest

from gateway.web.pages.monitoring import instant, matchers_text, parse_matchers


@pytest.mark.parametrize(
    ("text", "matchers", "bad"),
    [
        ("severity=critical", [{"label": "severity", "op": "=", "value": "critical"}], []),
        ('instance=~"10\\.1\\..*"', [{"label": "instance", "op": "=~", "value": "10\\.1\\..*"}], []),
        (
            "job != opsdesk-api\n\n team!~ops|dev ",
            [
                {"label": "job", "op": "!=", "value": "opsdesk-api"},
                {"label": "team", "op": "!~", "value": "ops|dev"},
            ],
            [],
        ),
        ("severity\n9lives=1", [], ["severity", "9lives=1"]),
        ("", [], []),
    ],
)
def test_condition_lines(text: str, matchers: list[dict[str, str]], bad: list[str]) -> None:
    assert parse_matchers(text) == (matchers, bad)


def test_conditions_read_back_as_typed() -> None:
    written = "severity=critical\ninstance=~10.*"
    assert matchers_text(parse_matchers(written)[0]) == "severity=critical, instance=~10.*"


@pytest.mark.parametrize(
    ("local", "expected"),
    [("2026-12-08T22:00", "2026-12-08T22:00:00+08:00"), ("tomorrow", "tomorrow"), ("", "")],
)
def test_the_desks_wall_clock_is_shanghai(local: str, expected: str) -> None:
    assert instant(local) == expected
