"""The demo morning's inspection (巡检) for `make run`: the machine room's daily morning round over its two
precision air conditioners, walked by an engineer; one reads 28.5 °C, above its 18–27 °C range, which raises a
finding that intake makes a ticket of; and the improvement measure (改进措施) the engineer proposes from that
finding, left for the project manager's review."""

from typing import Any

from devstack.demo_spares import DeskCalls

AIRCON = ("KT-SJ-001", "KT-SJ-002")  # the ledger's machine-room air conditioners (demo_ledger.py)
CHECKLIST = {
    "name": "机房精密空调巡检",
    "asset_class": "air_conditioner",
    "items": [
        {"key": "room_temperature", "label": "机房温度", "kind": "reading", "unit": "°C", "low": 18, "high": 27},
        {"key": "humidity", "label": "相对湿度", "kind": "reading", "unit": "%", "low": 40, "high": 60},
        {"key": "no_alarm", "label": "无告警", "kind": "check"},
    ],
}
PLAN = {"name": "主机房每日巡检", "frequency": "daily", "post_name": "机房值班"}
# What the engineer reads, per asset: in range but for the first unit's temperature.
READINGS = {
    "KT-SJ-001": ({"room_temperature": 28.5, "humidity": 52, "no_alarm": True}, "出风口温度偏高，滤网积灰明显"),
    "KT-SJ-002": ({"room_temperature": 23.5, "humidity": 48, "no_alarm": True}, None),
}
MEASURE = {
    "title": "机房精密空调滤网每月清洗",
    "problem": "今晨巡检精密空调1读数 28.5°C，超出 18–27°C；市局机房夏季午后温度也多次接近上限，空调滤网积灰明显。",
    "proposal": "每月第一个工作日清洗精密空调滤网，并在巡检清单中增加“滤网清洁”检查项。",
}


def _results(stop: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """Every item of the stop's checklist answered: the reading planned for it, else a normal one."""
    answers = {}
    for item in stop["items"]:
        if item["key"] in wanted:
            answers[item["key"]] = wanted[item["key"]]
        elif item["kind"] == "check":
            answers[item["key"]] = True
        else:
            low, high = item.get("low"), item.get("high")
            answers[item["key"]] = (low + high) / 2 if low is not None and high is not None else low or high or 0
    return answers


def walk_the_morning_round(desk: DeskCalls, wait: Any) -> dict[str, Any]:
    """The finding the round raised (the plan and checklist made if they were not); `wait(what, probe)` polls."""
    templates = desk("dispatcher", "GET", "/api/inspections/templates?asset_class=air_conditioner")
    if not any(t["name"] == CHECKLIST["name"] for t in templates):
        desk("dispatcher", "POST", "/api/inspections/templates", CHECKLIST)
    assets = {tag: desk("dispatcher", "GET", f"/api/assets/by-tag/{tag}")["id"] for tag in AIRCON}
    plan = next((p for p in desk("dispatcher", "GET", "/api/inspections/plans") if p["name"] == PLAN["name"]), None)
    if plan is None:
        plan = desk("dispatcher", "POST", "/api/inspections/plans", {**PLAN, "asset_ids": list(assets.values())})
    # The assets worker makes the day's round at its next tick.
    [round_] = wait(
        "the assets worker to make the morning round",
        lambda: desk("engineer", "GET", f"/api/inspections/rounds?plan_id={plan['id']}")[:1],
    )
    detail = desk("engineer", "GET", f"/api/inspections/rounds/{round_['id']}")
    if detail["status"] != "completed":
        for stop in detail["stops"]:
            wanted, note = READINGS.get(stop["tag"], ({}, None))
            body: dict[str, Any] = {"results": _results(stop, wanted)}
            if note:
                body["note"] = note
            desk("engineer", "PUT", f"/api/inspections/rounds/{round_['id']}/stops/{stop['id']}", body)
        desk("engineer", "POST", f"/api/inspections/rounds/{round_['id']}/complete")
    [finding] = [
        f for f in desk("engineer", "GET", f"/api/inspections/findings?round_id={round_['id']}")
        if f["item_key"] == "room_temperature"
    ][:1]  # fmt: skip
    return dict(finding)


def propose_the_measure(desk: DeskCalls, finding: dict[str, Any]) -> dict[str, Any]:
    """The engineer's measure from the finding (its round follows), awaiting the project manager's review."""
    return dict(desk("engineer", "POST", "/api/measures", {**MEASURE, "finding_id": finding["id"]}))
