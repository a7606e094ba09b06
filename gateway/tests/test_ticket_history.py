"""The ticket page's history: one line per step (intake writes a work-order step that moves the ticket twice:
the status change and the step), comments in their place."""

from gateway.web.pages.tickets import history

AT = "2026-12-07T09:00:00+00:00"
LATER = "2026-12-07T09:05:00+00:00"
ORDER = "6f1c1d7e-0000-4000-8000-000000000001"


def line(kind: str, actor: str | None, at: str = AT, **detail: object) -> dict[str, object]:
    return {"kind": kind, "actor_name": actor, "detail": detail, "at": at}


def test_a_work_order_step_is_one_line_naming_the_engineer_and_who_did_it() -> None:
    ticket = {
        "timeline": [
            line("created", "李强", at="2026-12-07T08:00:00+00:00", to="new"),
            line("assign", "张伟", source="engineer_assigned", engineer="刘洋", work_order_id=ORDER, to="assigned"),
            line("engineer_assigned", "刘洋", engineer="刘洋", work_order_id=ORDER),
            line("start", "刘洋", at=LATER, source="engineer_accepted", work_order_id=ORDER, to="in_progress"),
            line("engineer_accepted", "刘洋", at=LATER, work_order_id=ORDER),
        ],
        "comments": [],
    }
    shown = history(ticket)
    assert [(e["kind"], e["actor_name"], e["by"]) for e in shown] == [
        ("created", "李强", None),
        ("engineer_assigned", "刘洋", "张伟"),  # the dispatcher assigned it
        ("engineer_accepted", "刘洋", None),  # the engineer did it themselves
    ]


def test_a_status_change_without_its_step_line_keeps_its_own_and_only_ambiguous_ones_name_the_status() -> None:
    ticket = {
        "timeline": [
            line("assign", "张伟", source="engineer_assigned", work_order_id=ORDER, to="assigned"),
            line("pend", "张伟", at=LATER, to="pending", reason="等备件"),
            line("resume", "张伟", at="2026-12-07T10:00:00+00:00", to="assigned"),
        ],
        "comments": [{"body": "已联系", "public": False, "author_name": "王芳", "at": "2026-12-07T09:30:00+00:00"}],
    }
    shown = history(ticket)
    kinds = [e["comment"]["body"] if e["comment"] else e["kind"] for e in shown]
    assert kinds == ["assign", "pend", "已联系", "resume"]
    assert [e["status_shown"] for e in shown if not e["comment"]] == [False, False, True]
