"""The knowledge base through HTTP on real PostgreSQL: writing and reviewing articles (versions, audit
trail, refusals), who reads what, Chinese search (jieba's words, ranked, highlighted; trigrams for typos),
and the articles in the work (a call solved with one, a requester's verdict and spared filing, a resolved
ticket made a draft)."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

import asyncpg
import httpx
import pytest

from opsdesk_shared.audit_trail import CHANGES_HEADER
from opsdesk_shared.testing.plugin import RunEnvironment

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import Units


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def article(**overrides: object) -> dict[str, object]:
    return {
        "title": "制证机开机无响应",
        "symptoms": "派出所受理窗口的制证机按下电源键后指示灯不亮，无法制作居住证。",
        "cause": "电源适配器松动或损坏。",
        "steps": ["检查电源线与适配器是否插紧", "更换备用适配器后重新开机"],
        "category": "fault",
        "subcategory": "hardware",
        "equipment_class": "制证机",
        "tags": ["制证机", "电源"],
        "audience": "published",
        **overrides,
    }


@pytest.fixture(scope="module")
def staff(migrated: RunEnvironment) -> dict[str, dict[str, str]]:
    return {
        "operator": auth(migrated.token("hotline_operator", name="kb-op")),
        "engineer": auth(migrated.token("engineer", name="kb-eng")),
        "dispatcher": auth(migrated.token("dispatcher", name="kb-pm")),
        "supervisor": auth(migrated.token("supervisor", name="kb-sup")),
    }


async def published(client: httpx.AsyncClient, staff: dict[str, dict[str, str]], **overrides: object) -> dict:
    made = await client.post("/api/knowledge/articles", json=article(**overrides), headers=staff["operator"])
    assert made.status_code == 201, made.text
    url = f"/api/knowledge/articles/{made.json()['id']}/transitions"
    assert (await client.post(url, json={"action": "submit"}, headers=staff["operator"])).status_code == 200
    done = await client.post(url, json={"action": "publish"}, headers=staff["dispatcher"])
    assert done.status_code == 200, done.text
    return done.json()


async def test_a_draft_is_reviewed_and_published_every_change_a_version_and_audited(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, staff: dict[str, dict[str, str]]
) -> None:
    made = await intake_client.post("/api/knowledge/articles", json=article(), headers=staff["engineer"])
    assert made.status_code == 201, made.text
    draft = made.json()
    assert (draft["state"], draft["version"], draft["author_name"]) == ("draft", 1, "kb-eng")
    assert draft["number"].startswith("KB-")
    audited = json.loads(made.headers[CHANGES_HEADER])
    assert any(r["table"] == "knowledge_article" and r["op"] == "insert" for r in audited)
    url = f"/api/knowledge/articles/{draft['id']}"

    edited = await intake_client.patch(url, json={"cause": "适配器老化", "note": "补充原因"}, headers=staff["operator"])
    assert edited.status_code == 200 and edited.json()["version"] == 2
    row = next(r for r in json.loads(edited.headers[CHANGES_HEADER]) if r["table"] == "knowledge_article")
    assert row["before"]["cause"] == "电源适配器松动或损坏。" and row["after"]["cause"] == "适配器老化"

    # A writer may not publish; the reviewer may not publish what was not sent for review.
    early = await intake_client.post(f"{url}/transitions", json={"action": "publish"}, headers=staff["dispatcher"])
    assert early.status_code == 409 and early.json()["code"] == "knowledge.transition_invalid"
    sent = await intake_client.post(f"{url}/transitions", json={"action": "submit"}, headers=staff["operator"])
    assert sent.json()["state"] == "in_review"
    refused = await intake_client.post(f"{url}/transitions", json={"action": "publish"}, headers=staff["operator"])
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    out = await intake_client.post(
        f"{url}/transitions", json={"action": "publish", "note": "内容准确"}, headers=staff["dispatcher"]
    )
    assert out.status_code == 200
    assert (out.json()["state"], out.json()["reviewed_by"], out.json()["version"]) == ("published", "kb-pm", 4)
    # Published: the writer no longer edits it alone.
    locked = await intake_client.patch(url, json={"title": "改标题"}, headers=staff["operator"])
    assert locked.status_code == 403 and locked.json()["code"] == "knowledge.edit_forbidden"

    history = (await intake_client.get(url, headers=staff["operator"])).json()["versions"]
    assert [(v["version"], v["action"], v["actor_name"]) for v in history] == [
        (4, "published", "kb-pm"),
        (3, "submitted", "kb-op"),
        (2, "edited", "kb-op"),
        (1, "created", "kb-eng"),
    ]
    assert history[2]["changed_fields"] == ["cause"] and history[2]["note"] == "补充原因"
    assert history[3]["content"]["cause"] == "电源适配器松动或损坏。"  # each version as it stood

    conn = await asyncpg.connect(f"{migrated.servers.database_url}/{migrated.database_prefix}_intake")
    try:
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute(
                "UPDATE knowledge_article_version SET note = 'x' WHERE article_id = $1", uuid.UUID(draft["id"])
            )
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"title": "  "}, "title", "validation.too_short"),
        ({"symptoms": ""}, "symptoms", "validation.too_short"),
        ({"steps": []}, "steps", "validation.too_few_items"),
        ({"audience": "everyone"}, "audience", "validation.not_a_choice"),
        ({"steps": ["很长的步骤" * 190] * 25}, "body", "knowledge.article_too_long"),
        ({"colour": "red"}, "colour", None),
    ],
)
async def test_empty_oversize_or_unknown_input_is_refused_naming_the_field(
    intake_client: httpx.AsyncClient, staff: dict[str, dict[str, str]], change: dict, field: str, code: str | None
) -> None:
    before = (await intake_client.get("/api/knowledge/articles?limit=200", headers=staff["operator"])).json()
    answer = await intake_client.post("/api/knowledge/articles", json=article(**change), headers=staff["operator"])
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["errors"][0]["field"] == field, problem
    if code:
        assert problem["code"] == code, problem
    after = (await intake_client.get("/api/knowledge/articles?limit=200", headers=staff["operator"])).json()
    assert len(after) == len(before)  # nothing half-written


async def test_published_articles_are_everyones_internal_ones_the_vendors(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, staff: dict[str, dict[str, str]], units: Units
) -> None:
    unit = (await units.add())[-1]
    requester = auth(migrated.token("requester", unit_id=unit))
    public = await published(
        intake_client, staff, title="居住证打印模糊怎么办", symptoms="打印的居住证字迹模糊访问权限甲"
    )
    internal = await published(
        intake_client, staff, title="公安网VPN证书续期", symptoms="VPN证书到期访问权限甲", audience="internal"
    )
    draft = (
        await intake_client.post(
            "/api/knowledge/articles", json=article(symptoms="草稿访问权限甲"), headers=staff["operator"]
        )
    ).json()

    for reader, sees in (
        (requester, {public["id"]}),
        (staff["supervisor"], {public["id"]}),  # the bureau's supervisor is not the vendor's staff
        (staff["engineer"], {public["id"], internal["id"]}),
    ):
        found = (await intake_client.get("/api/knowledge/search", params={"q": "访问权限甲"}, headers=reader)).json()
        assert {h["id"] for h in found["items"]} == sees
    assert (await intake_client.get(f"/api/knowledge/articles/{internal['id']}", headers=requester)).status_code == 404
    assert (await intake_client.get(f"/api/knowledge/articles/{draft['id']}", headers=requester)).status_code == 404
    shown = await intake_client.get(f"/api/knowledge/articles/{public['id']}", headers=requester)
    assert shown.status_code == 200 and shown.json()["versions"] == []  # the history is the vendor's
    assert shown.json()["views"] == 1
    listed = (await intake_client.get("/api/knowledge/articles", headers=requester)).json()
    assert {a["audience"] for a in listed} == {"published"} and {a["state"] for a in listed} == {"published"}
    # Drafts are searched by the staff only, and written by them only.
    drafts = await intake_client.get(
        "/api/knowledge/search", params={"q": "访问权限甲", "state": "draft"}, headers=requester
    )
    assert drafts.status_code == 403
    assert (await intake_client.post("/api/knowledge/articles", json=article(), headers=requester)).status_code == 403
    staff_drafts = await intake_client.get(
        "/api/knowledge/search", params={"q": "访问权限甲", "state": "draft"}, headers=staff["operator"]
    )
    assert [h["id"] for h in staff_drafts.json()["items"]] == [draft["id"]]


async def test_chinese_queries_find_words_rank_titles_and_solved_calls_first_and_mark_matches(
    intake_client: httpx.AsyncClient, staff: dict[str, dict[str, str]]
) -> None:
    in_title = await published(
        intake_client,
        staff,
        title="流管站高拍仪无法识别",
        symptoms="高拍仪连接电脑后系统提示找不到设备。",
        steps=["重新插拔USB线", "安装厂商驱动"],
        tags=["高拍仪"],
        equipment_class="高拍仪",
    )
    in_body = await published(
        intake_client,
        staff,
        title="采集软件闪退",
        symptoms="人像采集时软件闪退，日志显示高拍仪驱动异常。",
        steps=["卸载旧版采集软件", "重装后重启"],
        tags=["采集"],
        equipment_class="电脑",
    )
    unrelated = await published(intake_client, staff, title="短信验证码收不到", symptoms="手机收不到登录验证码。")

    found = (
        await intake_client.get(
            "/api/knowledge/search", params={"q": "流管站的高拍仪识别不了"}, headers=staff["operator"]
        )
    ).json()
    assert "流管站" in found["words"] and "高拍仪" in found["words"] and not found["fallback"]
    ids = [h["id"] for h in found["items"]]
    assert ids.index(in_title["id"]) < ids.index(in_body["id"]) and unrelated["id"] not in ids
    top = found["items"][ids.index(in_title["id"])]
    assert top["title_html"] == "<mark>流管站高拍仪</mark>无法<mark>识别</mark>"
    assert "<mark>高拍仪</mark>" in found["items"][ids.index(in_body["id"])]["snippet_html"]

    # Two articles alike in words: the one that solved calls comes first.
    twin_a = await published(intake_client, staff, title="签注打印偏移", symptoms="签注页打印位置偏移三毫米。")
    twin_b = await published(intake_client, staff, title="签注打印偏移", symptoms="签注页打印位置偏移三毫米。")
    call = (
        await intake_client.post(
            "/api/calls",
            json={
                "caller_phone": "13800138111",
                "started_at": "2026-12-07T09:00:00+08:00",
                "outcome": "consultation_answered",
            },
            headers=staff["operator"],
        )
    ).json()
    used = await intake_client.post(
        f"/api/knowledge/articles/{twin_b['id']}/uses", json={"call_id": call["id"]}, headers=staff["operator"]
    )
    assert used.status_code == 200 and used.json()["uses"] == 1
    ranked = (
        await intake_client.get("/api/knowledge/search", params={"q": "签注偏移"}, headers=staff["operator"])
    ).json()
    order = [h["id"] for h in ranked["items"]]
    assert order.index(twin_b["id"]) < order.index(twin_a["id"])

    # The suggestion while typing: the same ranking, five at most; HTML in a query is escaped, not marked up.
    suggested = (
        await intake_client.get("/api/knowledge/suggest", params={"q": "<b>高拍仪</b>"}, headers=staff["operator"])
    ).json()
    assert 1 <= len(suggested["items"]) <= 5 and "<b>" not in json.dumps(suggested["items"], ensure_ascii=False)


async def test_a_mistyped_query_falls_back_to_trigram_similarity(
    intake_client: httpx.AsyncClient, staff: dict[str, dict[str, str]]
) -> None:
    laser = await published(
        intake_client,
        staff,
        title="LaserJet 1020 证件打印机脱机",
        symptoms="受理窗口打印时提示打印机脱机。",
        equipment_class="证件打印机",
    )
    typo = (
        await intake_client.get("/api/knowledge/search", params={"q": "laserjett"}, headers=staff["operator"])
    ).json()
    assert typo["fallback"] is True and typo["items"][0]["id"] == laser["id"]
    assert typo["items"][0]["matched_by"] == "similarity"
    nothing = (
        await intake_client.get("/api/knowledge/search", params={"q": "zzqqxx"}, headers=staff["operator"])
    ).json()
    assert nothing["items"] == []
    # Two characters that no article has are no typo of anything: nothing, without scoring every article.
    short = (await intake_client.get("/api/knowledge/suggest", params={"q": "zq"}, headers=staff["operator"])).json()
    assert short["items"] == [] and short["fallback"] is False


async def test_calls_solved_verdicts_spared_filings_and_a_resolved_ticket_made_a_draft(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, staff: dict[str, dict[str, str]], units: Units
) -> None:
    unit = (await units.add())[-1]
    requester = auth(migrated.token("requester", unit_id=unit))
    other = auth(migrated.token("requester", unit_id=unit))
    art = await published(
        intake_client, staff, title="数字证书UKey无法识别", symptoms="插入UKey后登录页提示未检测到证书。"
    )
    url = f"/api/knowledge/articles/{art['id']}"
    call = (
        await intake_client.post(
            "/api/calls",
            json={
                "caller_phone": "13800138222",
                "started_at": "2026-12-07T10:00:00+08:00",
                "outcome": "consultation_answered",
            },
            headers=staff["operator"],
        )
    ).json()
    before = (await intake_client.get("/api/knowledge/stats", headers=staff["supervisor"])).json()
    for _ in range(2):  # the same link twice counts once
        used = await intake_client.post(f"{url}/uses", json={"call_id": call["id"]}, headers=staff["operator"])
        assert used.status_code == 200 and used.json()["uses"] == 1
    conn = await asyncpg.connect(f"{migrated.servers.database_url}/{migrated.database_prefix}_intake")
    try:
        announced = await conn.fetch(
            "SELECT envelope FROM outbox_message WHERE envelope->>'type' = 'knowledge.article_used'"
            " AND envelope->'data'->>'call_id' = $1",
            call["id"],
        )
    finally:
        await conn.close()
    assert len(announced) == 1  # for reporting's first-call resolution by article, once
    both = await intake_client.post(f"{url}/uses", json={}, headers=staff["operator"])
    assert both.status_code == 422 and both.json()["field"] == "call_id"
    assert (await intake_client.post(f"{url}/uses", json={"call_id": call["id"]}, headers=requester)).status_code == 403

    await intake_client.post(f"{url}/feedback", json={"helpful": True}, headers=requester)
    await intake_client.post(f"{url}/feedback", json={"helpful": True}, headers=requester)
    changed = await intake_client.post(f"{url}/feedback", json={"helpful": False}, headers=other)
    assert (changed.json()["helpful"], changed.json()["not_helpful"]) == (1, 1)
    for _ in range(2):
        spared = await intake_client.post(f"{url}/deflections", headers=requester)
    assert spared.status_code == 200 and spared.json()["deflections"] == 1
    after = (await intake_client.get("/api/knowledge/stats", headers=staff["supervisor"])).json()
    assert after["uses_in_calls"] - before["uses_in_calls"] == 1
    assert after["deflections"] - before["deflections"] == 1

    # A resolved ticket becomes a draft in one step, its solution the first step.
    ticket = (
        await intake_client.post(
            "/api/tickets",
            json={
                "title": "受理系统登录超时",
                "description": "派出所民警登录受理系统时页面一直转圈。",
                "category": "fault",
                "subcategory": "software",
                "priority": "P3",
                "unit_id": str(unit),
                "requester_name": "王芳",
                "requester_phone": "13800138333",
                "channel": "hotline",
            },
            headers=staff["operator"],
        )
    ).json()
    early = await intake_client.post(f"/api/knowledge/articles/from-ticket/{ticket['id']}", headers=staff["operator"])
    assert early.status_code == 409 and early.json()["code"] == "knowledge.ticket_not_resolved"
    resolved = await intake_client.post(
        f"/api/tickets/{ticket['id']}/resolve",
        json={"resolution_code": "answered_by_phone", "summary": "清除浏览器缓存并改用专网地址登录"},
        headers=staff["operator"],
    )
    assert resolved.status_code == 200, resolved.text
    made = await intake_client.post(f"/api/knowledge/articles/from-ticket/{ticket['id']}", headers=staff["operator"])
    assert made.status_code == 201, made.text
    draft = made.json()
    assert (draft["state"], draft["title"], draft["steps"]) == (
        "draft",
        "受理系统登录超时",
        ["清除浏览器缓存并改用专网地址登录"],
    )
    assert draft["source_ticket_id"] == ticket["id"] and draft["subcategory"] == "software"

    # "Solved with this article" on the ticket, the article found by its number.
    [by_number] = (
        await intake_client.get("/api/knowledge/articles", params={"number": art["number"].lower()}, headers=requester)
    ).json()
    assert by_number["id"] == art["id"]
    linked = await intake_client.post(f"{url}/uses", json={"ticket_id": ticket["id"]}, headers=staff["engineer"])
    assert linked.status_code == 200 and linked.json()["uses"] == 2
    final = (await intake_client.get("/api/knowledge/stats", headers=staff["supervisor"])).json()
    assert final["uses_in_tickets"] - before["uses_in_tickets"] == 1


@pytest.mark.parametrize(
    "q", ["\x00", "'", "\\", ":*", "a & b | !c", "((", "_", "🙂", "a'b:c", "居住证'); DROP", "x" * 200, " \t"]
)
async def test_odd_queries_answer_without_failing(
    intake_client: httpx.AsyncClient, staff: dict[str, dict[str, str]], q: str
) -> None:
    for path in ("/api/knowledge/search", "/api/knowledge/suggest"):
        answer = await intake_client.get(path, params={"q": q}, headers=staff["operator"])
        assert answer.status_code in (200, 422), (q, answer.text)
