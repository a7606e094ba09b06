"""Demo activity for `make run`: a morning at the desk, played through the public API as the demo
accounts would play it, so that every console has something to show on first sight.

The hotline logs calls and files tickets, a police station files from the portal, the engineers clock
in with their skills set and are rostered on the resident post for two weeks, the dispatcher assigns,
engineers accept, travel, arrive and resolve (one repair with parts the vendor bears, one above the
10,000 CNY line that the bureau bears, with the old disks handed to the bureau and their removal
approved; the printer's power module taken from the parts store and reconciled when the repair is resolved), the
operator solves a question on the phone, a ticket waits on the requester, a requester
confirms with a rating, and one fault waits in the queue. The machine room's morning round is walked, its one
abnormal reading a finding that becomes a ticket, and the improvement measure proposed from it awaits review.

Everything goes through the gateway, so the events, clocks, SMS, timelines, audit log and reports are
the system's own. It plays only into a system that has no tickets yet: a desk in use is left alone.
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from devstack import demo_inspections, demo_ledger, demo_spares
from devstack.launch import gateway_ready

SKILLS = {"engineer": (["hardware", "network"], "BJ-CY"), "engineer2": (["database", "network", "software"], "BJ-HD")}
SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKLY_PLAN = "巡检各分局制证设备与业务专网；更换望京派出所老化读卡器；复盘本周超时工单。"


class DemoFailed(RuntimeError):
    pass


@dataclass
class Desk:
    """The demo accounts signed in at the gateway."""

    client: httpx.Client
    credentials: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)

    def __call__(self, who: str, method: str, path: str, body: Any = None) -> Any:
        resp = self.request(who, method, path, body)
        if not resp.is_success:
            raise DemoFailed(f"{who}: {method} {path} answered {resp.status_code}: {resp.text[:300]}")
        return resp.json() if resp.content else None

    def token(self, who: str) -> str:
        if who not in self.tokens:
            login = self.client.post(
                "/api/auth/login", json={"username": who, "password": self.credentials[who]}, timeout=10
            )
            if login.status_code != 200:
                raise DemoFailed(f"{who} could not sign in: {login.status_code} {login.text[:200]}")
            self.tokens[who] = login.json()["access_token"]
        return self.tokens[who]

    def request(self, who: str, method: str, path: str, body: Any = None) -> httpx.Response:
        return self.client.request(
            method, path, json=body, headers={"Authorization": f"Bearer {self.token(who)}"}, timeout=10
        )


def wait_until(what: str, probe: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Other services learn of a step through events: wait until the next step's owner knows of it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := probe():
            return result
        time.sleep(0.1)
    raise DemoFailed(f"timed out waiting for {what}")


@dataclass
class Morning:
    desk: Desk
    units: dict[str, str] = field(default_factory=dict)
    engineers: dict[str, str] = field(default_factory=dict)
    store_id: str = ""  # the demo parts store (demo_spares.py)

    def ticket(self, who: str, unit: str, **fields: Any) -> dict[str, Any]:
        body = {"category": "fault", "channel": "hotline" if who == "operator" else "web", **fields}
        body["unit_id"] = self.units[unit]
        if "asset_tag" not in fields:
            return dict(self.desk(who, "POST", "/api/tickets", body))

        # Intake learns the ledger just imported from its events: a tag it does not know yet is refused
        # (ticket.asset_unknown), so the filing is tried again until it does.
        def filed() -> dict[str, Any] | None:
            resp = self.desk.request(who, "POST", "/api/tickets", body)
            if resp.status_code == 422 and resp.json().get("code") == "ticket.asset_unknown":
                return None
            if not resp.is_success:
                raise DemoFailed(f"{who}: POST /api/tickets answered {resp.status_code}: {resp.text[:300]}")
            return dict(resp.json())

        return dict(wait_until(f"intake to know asset {fields['asset_tag']}", filed))

    def call(
        self,
        ticket: dict[str, Any] | None,
        phone: str,
        outcome: str,
        notes: str,
        *,
        minutes: int = 4,
        later: bool = False,
    ) -> None:
        """A call that just ended, or (`later`) one that starts now: a follow-up comes after its ticket."""
        started = datetime.now(UTC) - (timedelta() if later else timedelta(minutes=minutes))
        self.desk(
            "operator",
            "POST",
            "/api/calls",
            {
                "caller_phone": phone,
                "started_at": started.isoformat(),
                "ended_at": (started + timedelta(minutes=minutes)).isoformat(),
                "outcome": outcome,
                "notes": notes,
                "ticket_id": ticket["id"] if ticket else None,
            },
        )

    def assign(self, ticket: dict[str, Any], engineer: str) -> str:
        # Dispatch learns of the ticket from intake's event, with its SLA clocks; reading them first keeps
        # refused assignments out of the audit log.
        wait_until(
            f"dispatch to know ticket {ticket['number']}",
            lambda: (
                (r := self.desk.request("dispatcher", "GET", f"/api/sla/tickets/{ticket['id']}")).is_success
                and r.json()["clocks"]
            ),
        )
        body = {"ticket_id": ticket["id"], "engineer_id": self.engineers[engineer]}
        return str(self.desk("dispatcher", "POST", "/api/work-orders", body)["id"])

    def steps(self, engineer: str, order: str, *steps: str) -> None:
        for step in steps:
            self.desk(engineer, "POST", f"/api/work-orders/{order}/{step}")

    def when_requester_sees(self, ticket: dict[str, Any], status: str) -> None:
        wait_until(
            f"ticket {ticket['number']} to be {status}",
            lambda: self.desk("operator", "GET", f"/api/tickets/{ticket['id']}")["status"] == status,
        )


def play_when_ready(url: str, credentials_file: Path, *, timeout_s: float = 120) -> None:
    """`make run`'s part: once the system is up, play the morning and say what it did."""
    try:
        wait_until("the system to be ready", lambda: gateway_ready(url), timeout=timeout_s)
        numbers = play(url, json.loads(credentials_file.read_text()))
    except (DemoFailed, httpx.HTTPError, OSError, ValueError) as exc:
        print(f"demo activity not played: {exc}", flush=True)
        return
    if numbers:
        print(f"demo activity: tickets {', '.join(numbers)} filed and worked on at the desk", flush=True)
    else:
        print("demo activity: the desk already has tickets, none added", flush=True)


def play(url: str, credentials: dict[str, str], *, only_into_an_empty_desk: bool = True) -> list[str]:
    """Plays the morning; returns the numbers of the tickets it filed (none when the desk was in use)."""
    with httpx.Client(base_url=url) as client:
        desk = Desk(client, credentials)
        # The equipment ledger first (importing it again changes nothing): the morning's tickets name its tags.
        counts = demo_ledger.import_ledger(
            client, lambda: desk.token("dispatcher"), lambda what, probe: wait_until(what, probe, timeout=120)
        )
        print(f"demo ledger: {counts['rows']} assets ({counts['created']} registered now)", flush=True)
        if only_into_an_empty_desk and desk("supervisor", "GET", "/api/tickets?limit=1")["items"]:
            return []
        morning = Morning(desk)
        morning.units = {u["code"]: u["id"] for u in desk("operator", "GET", "/api/admin/units")}
        morning.engineers = wait_until(
            "dispatch to know the demo engineers",
            lambda: (
                (known := {e["username"]: e["user_id"] for e in desk("dispatcher", "GET", "/api/engineers")}).keys()
                >= SKILLS.keys()
                and known
            ),
        )
        return _the_morning(morning)


def _the_morning(m: Morning) -> list[str]:
    desk = m.desk
    for engineer, (skills, district) in SKILLS.items():
        desk(
            "dispatcher",
            "PATCH",
            f"/api/engineers/{m.engineers[engineer]}",
            {"skills": skills, "home_district_id": m.units[district]},
        )
        clocked = desk.request(engineer, "POST", "/api/dispatch/duty/clock-in")
        if clocked.status_code not in (200, 201, 409):  # 409: already clocked in
            raise DemoFailed(f"{engineer} could not clock in: {clocked.status_code} {clocked.text[:200]}")

    # The resident post's roster for two weeks (make run's duty posts; a stack without them has none).
    posts = {p["code"]: p["id"] for p in desk("dispatcher", "GET", "/api/dispatch/duty/posts")}
    if "ONSITE-5x8" in posts:
        today = datetime.now(SHANGHAI).date()
        rostered = desk.request(
            "dispatcher",
            "POST",
            f"/api/dispatch/duty/posts/{posts['ONSITE-5x8']}/roster",
            {
                "user_ids": [m.engineers[engineer] for engineer in SKILLS],
                "from": today.isoformat(),
                "to": (today + timedelta(days=13)).isoformat(),
            },
        )
        if rostered.status_code not in (201, 409):  # 409: rostered by an earlier morning
            raise DemoFailed(f"the roster answered {rostered.status_code}: {rostered.text[:200]}")

    m.store_id = demo_spares.stock_the_store(desk)
    station = desk("requester", "GET", "/api/auth/me")
    filed = []

    # The hotline: Wangjing's permit printer is dead. Assigned, repaired on site, confirmed.
    printer = m.ticket(
        "operator",
        "BJ-CY-WJ",
        title="制证机开机无响应，窗口停办",
        description="早上开机后制证机指示灯不亮，居住证制证业务暂停，窗口有群众排队。",
        subcategory="hardware",
        impact="high",
        urgency="high",
        requester_name="李强",
        requester_phone="13800010002",
        location="望京派出所一楼办证大厅2号窗口",
        asset_tag="ZZJ-WJ-002",
    )
    m.call(printer, "13800010002", "new_ticket", "来电报修制证机无响应，已建单并告知工程师2小时内到场。")
    order = m.assign(printer, "engineer")
    m.steps("engineer", order, "accept", "depart", "arrive")
    desk(
        "engineer",
        "POST",
        f"/api/work-orders/{order}/work-log",
        {"note": "电源模块输出为零，现场更换。", "minutes": 35},
    )
    # The power module comes from the parts store; resolving names it by its catalogue number, so assets
    # reconciles it against the issue.
    module = demo_spares.PRINTER_POWER_MODULE
    demo_spares.issue(
        desk, wait_until, engineer="engineer", order=order, store_id=m.store_id, part_number=module, quantity=1
    )
    desk(
        "engineer",
        "POST",
        f"/api/work-orders/{order}/resolve",
        {
            "resolution_code": "replaced_part",
            "summary": "更换制证机电源模块，试制两张居住证正常。",
            "parts": [{"part_number": module, "name": "制证机电源模块", "quantity": 1, "unit_cost": "850.00"}],
        },
    )
    m.when_requester_sees(printer, "resolved")
    desk(
        "requester", "POST", f"/api/tickets/{printer['id']}/confirm", {"rating": 5, "comment": "工程师到场很快，谢谢。"}
    )
    filed.append(printer["number"])

    # The hotline: Zhongguancun's private network is down. The engineer is on site now.
    network = m.ticket(
        "operator",
        "BJ-HD-ZGC",
        title="业务专网中断，居住证系统无法登录",
        description="全所终端无法访问居住证信息系统，交换机告警灯常亮。",
        subcategory="network",
        priority="P1",
        requester_name="赵刚",
        requester_phone="13911110002",
        location="中关村派出所机房",
    )
    m.call(network, "13911110002", "new_ticket", "报专网中断，全所业务停办。")
    order = m.assign(network, "engineer2")
    m.steps("engineer2", order, "accept", "depart", "arrive")
    desk("engineer2", "POST", f"/api/work-orders/{order}/work-log", {"note": "核心交换机上联口故障，排查中。"})
    m.call(network, "13911110002", "follow_up", "询问处理进度，已告知工程师在现场排查。", minutes=2, later=True)
    filed.append(network["number"])

    # The portal: a paper jam at Wangjing. Accepted, the engineer will go after the first job.
    jam = m.ticket(
        "requester",
        "BJ-CY-WJ",
        title="居住证打印机频繁卡纸",
        description="打印回执单时每十张左右卡纸一次，影响办证效率。",
        subcategory="hardware",
        priority="P3",
        requester_name=station["display_name"].split()[-1],
        requester_phone="13800010002",
        asset_tag="DYJ-WJ-005",
    )
    m.steps("engineer", m.assign(jam, "engineer"), "accept")
    filed.append(jam["number"])

    # The hotline: a password question answered on the phone (first-call resolution).
    password = m.ticket(
        "operator",
        "BJ-DC-DHM",
        title="业务系统登录提示密码已过期",
        description="民警登录居住证业务系统时提示密码过期，不知如何修改。",
        category="consultation",
        subcategory="account",
        priority="P3",
        requester_name="王敏",
        requester_phone="13700220003",
    )
    desk(
        "operator",
        "POST",
        f"/api/tickets/{password['id']}/resolve",
        {"resolution_code": "guided_fix", "summary": "电话指导通过“忘记密码”自助重置，已能正常登录。"},
    )
    m.call(password, "13700220003", "consultation_answered", "指导自助重置密码，当场解决。", minutes=6)
    filed.append(password["number"])

    # Inspection: the bureau's storage server. Four disks (12,800 CNY: the bureau bears it); the old
    # disks stay with the bureau, and the failed array controller leaves the premises only with approval.
    storage = m.ticket(
        "operator",
        "BJ",
        title="市局存储服务器磁盘阵列告警",
        description="巡检发现存储服务器4块硬盘SMART告警，阵列降级运行。",
        subcategory="database",
        priority="P2",
        channel="inspection",
        requester_name="市局信息中心 何平",
        requester_phone="13600330004",
        asset_tag="CC-SJ-001",
    )
    order = m.assign(storage, "engineer2")
    m.steps("engineer2", order, "accept", "arrive")
    desk(
        "engineer2",
        "POST",
        f"/api/work-orders/{order}/media",
        {"serial": "WD-WX32D81K9A", "description": "更换下的4块旧硬盘（含业务数据）", "handed_to": "市局信息中心 何平"},
    )
    removal = desk(
        "engineer2",
        "POST",
        f"/api/work-orders/{order}/removals",
        {"asset": "阵列控制卡 SN RC-5521", "reason": "返厂检测"},
    )
    desk(
        "supervisor",
        "POST",
        f"/api/work-orders/{order}/removals/{removal['id']}/decision",
        {"approve": True, "note": "同意返厂，检测后送回。"},
    )
    desk(
        "engineer2",
        "POST",
        f"/api/work-orders/{order}/resolve",
        {
            "resolution_code": "replaced_part",
            "summary": "更换4块企业级硬盘并重建阵列，存储恢复正常。",
            "parts": [{"name": "企业级硬盘 4TB", "quantity": 4, "unit_cost": "3200.00"}],
        },
    )
    filed.append(storage["number"])

    # The hotline: a new terminal waits on the sub-bureau's choice of place.
    terminal = m.ticket(
        "operator",
        "BJ-HD-LG1",
        title="申请新增办证窗口终端",
        description="流管站新开一个办证窗口，需要安装一套终端和读卡器。",
        category="service_request",
        subcategory="hardware",
        priority="P4",
        requester_name="孙丽",
        requester_phone="13500440005",
    )
    desk("operator", "POST", f"/api/tickets/{terminal['id']}/pending", {"reason": "等待分局确认新窗口的安装位置"})
    filed.append(terminal["number"])

    # A card reader fault and a complaint, both waiting for the dispatcher; and a wrong number.
    reader = m.ticket(
        "operator",
        "BJ-CY-LG1",
        title="读卡器无法识别身份证",
        description="二代证读卡器放卡无反应，已重新插拔USB仍不行。",
        subcategory="hardware",
        priority="P2",
        requester_name="周洁",
        requester_phone="13600550006",
        asset_tag="DKQ-LG1-003",
    )
    m.call(reader, "13600550006", "new_ticket", "读卡器故障，已建单。")
    filed.append(reader["number"])
    complaint = m.ticket(
        "requester",
        "BJ-CY-WJ",
        title="窗口终端反复死机，希望彻底解决",
        description="本月第三次死机，每次重启后能用，但很快又死机，请安排彻底检修。",
        category="complaint",
        priority="P3",
        requester_name=station["display_name"].split()[-1],
        requester_phone="13800010002",
    )
    # A note for the dispatcher, not the station: internal (never shown to the requester nor texted).
    desk(
        "operator",
        "POST",
        f"/api/tickets/{complaint['id']}/comments",
        {"body": "本月第三次死机，请调度安排工程师复查，考虑整机更换。", "public": False},
    )
    filed.append(complaint["number"])
    m.call(None, "13900660007", "wrong_number", "拨错号码。", minutes=1)

    week = datetime.now(SHANGHAI).strftime("%G-W%V")
    desk("dispatcher", "PUT", f"/api/reports/weekly/{week}/plan", {"plan": WEEKLY_PLAN})
    _knowledge(m)
    _training_and_visit(m)
    _measure_in_review(m)
    return filed


# The knowledge base's first articles: written by the desk, published by the project manager, one still in
# review; a consultation answered on the phone from one of them.
ARTICLES: list[dict[str, Any]] = [
    {
        "title": "制证机卡纸或打印居住证时停住",
        "symptoms": "制证机打印居住证到一半停住，指示灯闪红，卡片卡在出卡口。",
        "cause": "卡片受潮粘连，或色带未装正。",
        "steps": ["关机后打开前盖，取出卡住的卡片", "检查色带是否装正、有无断裂", "卡片放回卡盒前先抖散，重新开机打印"],
        "category": "fault",
        "subcategory": "hardware",
        "equipment_class": "制证机",
        "tags": ["制证机", "卡纸", "色带"],
        "audience": "published",
    },
    {
        "title": "二代证读卡器放卡无反应",
        "symptoms": "受理窗口读卡器放上身份证后没有读出信息，受理系统提示未检测到读卡器。",
        "cause": "USB 接口松动或驱动被系统更新覆盖。",
        "steps": [
            "换一个 USB 口重新插拔读卡器",
            "在设备管理器中确认读卡器已识别",
            "仍不行时重装读卡器驱动并重启受理系统",
        ],
        "category": "fault",
        "subcategory": "hardware",
        "equipment_class": "读卡器",
        "tags": ["读卡器", "二代证", "受理"],
        "audience": "published",
    },
    {
        "title": "居住证受理系统登录提示证书过期",
        "symptoms": "派出所民警插入 UKey 登录受理系统时提示数字证书已过期。",
        "cause": "数字证书到期未续期。",
        "steps": ["确认 UKey 上证书的有效期", "由分局管理员在证书系统中提交续期", "续期后拔插 UKey 重新登录"],
        "category": "consultation",
        "subcategory": "account",
        "owning_system": "居住证受理系统",
        "tags": ["UKey", "数字证书", "登录"],
        "audience": "published",
    },
    {
        "title": "流管站专网 VPN 断线的排查",
        "symptoms": "流管站电脑访问公安网应用时断时续，VPN 客户端显示已断开。",
        "cause": "流管站宽带波动或 VPN 客户端版本过旧。",
        "steps": ["请站点确认宽带是否正常", "远程升级 VPN 客户端", "仍断线时派工程师检查线路"],
        "category": "fault",
        "subcategory": "network",
        "owning_system": "公安网",
        "tags": ["VPN", "流管站", "专网"],
        "audience": "internal",
    },
]


def _knowledge(m: Morning) -> None:
    desk = m.desk
    published = []
    for body in ARTICLES:
        article = desk("engineer", "POST", "/api/knowledge/articles", body)
        desk("engineer", "POST", f"/api/knowledge/articles/{article['id']}/transitions", {"action": "submit"})
        published.append(
            desk(
                "manager",
                "POST",
                f"/api/knowledge/articles/{article['id']}/transitions",
                {"action": "publish", "note": "内容已核实"},
            )
        )
    draft = desk(
        "operator",
        "POST",
        "/api/knowledge/articles",
        {
            "title": "高拍仪拍照发虚",
            "symptoms": "人像采集时高拍仪拍出的照片模糊，系统提示照片不合格。",
            "steps": ["擦拭镜头", "在采集软件中重新对焦"],
            "equipment_class": "高拍仪",
            "tags": ["高拍仪", "人像采集"],
            "audience": "published",
        },
    )
    desk("operator", "POST", f"/api/knowledge/articles/{draft['id']}/transitions", {"action": "submit"})
    started = datetime.now(UTC) - timedelta(minutes=3)
    call = desk(
        "operator",
        "POST",
        "/api/calls",
        {
            "caller_phone": "13700770008",
            "started_at": started.isoformat(),
            "ended_at": (started + timedelta(minutes=3)).isoformat(),
            "outcome": "consultation_answered",
            "notes": "登录受理系统提示证书过期，按知识库指导续期。",
        },
    )
    desk("operator", "POST", f"/api/knowledge/articles/{published[2]['id']}/uses", {"call_id": call["id"]})


# Training and user visits (SPEC §2a): a session under way at 朝阳分局 with its handout, signed in to by the
# station's clerk (from the QR code in the room) and the supervisor; the visit plans, and this morning's
# visit to 望京派出所 with a hidden risk made a ticket and the station's satisfaction.
HANDOUT = "居住证受理系统新版操作要点\n1. 受理前核验二代证\n2. 人像采集须正面免冠\n3. 制证前核对地址信息\n"


def _training_and_visit(m: Morning) -> None:
    desk = m.desk
    started = datetime.now(UTC) - timedelta(minutes=30)
    session = wait_until(
        "the assets service to know the units",
        lambda: (
            (
                r := desk.request(
                    "engineer",
                    "POST",
                    "/api/training/sessions",
                    {
                        "topic": "居住证受理系统新版操作培训",
                        "description": "新版受理界面、人像采集要求与常见报错的处理。",
                        "trainer": "刘洋",
                        "place": "朝阳分局三楼会议室",
                        "starts_at": started.isoformat(),
                        "ends_at": (started + timedelta(hours=2)).isoformat(),
                        "audience_unit_ids": [m.units["BJ-CY"]],
                    },
                )
            ).is_success
            and r.json()
        ),
    )
    uploaded = desk.client.post(
        f"/api/training/sessions/{session['id']}/materials",
        files={"file": ("操作要点.txt", HANDOUT.encode(), "text/plain")},
        headers={"Authorization": f"Bearer {desk.token('engineer')}"},
        timeout=10,
    )
    if not uploaded.is_success:
        raise DemoFailed(f"training material refused: {uploaded.status_code} {uploaded.text[:200]}")
    for attendee, rating in (("requester", 5), ("supervisor", 4)):
        desk(attendee, "POST", f"/api/training/sessions/{session['id']}/sign-in")
        desk(attendee, "PUT", f"/api/training/sessions/{session['id']}/feedback", {"rating": rating})

    desk(
        "dispatcher",
        "POST",
        "/api/visits/plans",
        {"name": "分局季度回访", "unit_kind": "sub_bureau", "period": "quarter"},
    )
    yearly = desk(
        "dispatcher",
        "POST",
        "/api/visits/plans",
        {"name": "派出所年度回访", "unit_kind": "police_station", "period": "year"},
    )
    # The yearly plan's visit to the station (a visit arranged by hand may be listed beside it).
    owed = next(
        v
        for v in desk("engineer", "GET", f"/api/visits?unit_id={m.units['BJ-CY-WJ']}&status=planned")
        if v["unit_id"] == m.units["BJ-CY-WJ"] and v.get("plan_id") == yearly["id"]
    )
    visit = desk(
        "engineer",
        "POST",
        f"/api/visits/{owed['id']}/record",
        {
            "visited_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            "companions": "陈静",
            "contact_name": "李强",
            "contact_phone": "13800010002",
            "usage": "两个受理窗口每天办理居住证约80笔，新版界面已熟悉。",
            "checked": "制证机、读卡器、窗口终端与业务专网连通性。",
            "environment": "机房空调运行正常，UPS间温度偏高。",
            "risks": [{"description": "UPS电池已使用5年，断电续航不足10分钟"}],
            "proposals": "本季度内更换UPS电池组；UPS间加装排风扇。",
        },
    )
    desk("engineer", "POST", f"/api/visits/{visit['id']}/risks/{visit['risks'][0]['id']}/ticket")
    desk("requester", "PUT", f"/api/visits/{visit['id']}/survey", {"satisfaction": 5, "comment": "回访细致，谢谢。"})


def _measure_in_review(m: Morning) -> None:
    """The machine room's morning round with its abnormal reading, and the improvement measure (改进措施) an
    engineer proposed from that finding, waiting on the project manager's first page."""
    finding = demo_inspections.walk_the_morning_round(m.desk, lambda what, probe: wait_until(what, probe, timeout=90))
    demo_inspections.propose_the_measure(m.desk, finding)
