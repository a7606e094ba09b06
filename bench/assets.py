"""Assets figures (issue 16): a ledger of 50,000 assets — the filtered ledger list and a Chinese substring search
through the gateway — a 5,000-row XLSX import through the API as the console sends it, the day's rounds made for
5,000 assets by the worker's inspection clock, and the daily inspection report over a year of rounds.

The 50,000 assets go straight into the assets database (COPY: through the API they would take the bench an
hour and measure the import again), over the demo units and some 70 stations more, with the names, places,
classes and zones a city bureau's ledger has. The import's 5,000 are new assets in 100 machine rooms of 50,
which the day's rounds then cover (one plan per room, some naming the room, some the assets). The rounds are made
by `InspectionClock.tick()` in this process, on the bench's database, with the clock set to tomorrow (the
running workers have made today's, and make nothing for tomorrow until it comes). The year of rounds and
findings goes straight into reporting's read model, as bench/reports.py does for tickets."""

import asyncio
import io
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx

LEDGER = 50_000
IMPORTED = 5_000
ROOMS = 100  # of the imported assets: 50 a room, one plan each
PLANS_BY_ASSET = 40  # of the ROOMS plans, the ones that list their assets rather than name their room
ROUNDS_PER_DAY = 120  # in the read model: the year's report
FINDINGS_PER_DAY = 6
SAMPLES = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Stations added under the demo sub-bureaus (the bureau has many more than the demo's handful).
STATIONS = {
    "BJ-CY": "三里屯 呼家楼 团结湖 双井 劲松 麦子店 六里屯 左家庄 和平街 亚运村 小关 安贞 大屯 奥运村 来广营 太阳宫",
    "BJ-HD": "学院路 清华园 燕园 万柳 紫竹院 甘家口 羊坊店 北太平庄 花园路 北下关 青龙桥 香山 四季青 温泉 上地 清河",
    "BJ-DC": "景山 交道口 安定门 北新桥 东四 朝阳门 建国门 和平里 前门 崇文门 天坛 体育馆路",
    "BJ-XC": "西长安街 新街口 月坛 展览路 德胜 金融街 什刹海 大栅栏 天桥 椿树 陶然亭 广安门",
    "BJ-FT": "右安门 太平桥 西罗园 大红门 南苑 东高地 东铁匠营 卢沟桥 新村 长辛店 云岗 方庄",
    "BJ-SJS": "八宝山 老山 八角 古城 苹果园 金顶街 广宁 五里坨 鲁谷",
    "BJ-TZ": "中仓 新华 北苑 玉桥 永顺 梨园 宋庄 张家湾 漷县 马驹桥 西集 台湖",
}
# class: (names, makers, models)
CLASSES: dict[str, tuple[list[str], list[str], list[str]]] = {
    "server": (
        ["居住证受理服务器", "数据库服务器", "应用服务器", "前置机"],
        ["华为", "浪潮", "联想", "曙光"],
        ["RH2288H V5", "NF5280M6", "SR650", "I620-G30"],
    ),
    "storage": (
        ["存储阵列", "备份一体机"],
        ["华为", "新华三", "浪潮"],
        ["OceanStor 5300", "UniStor X10000", "AS5300G5"],
    ),
    "switch": (
        ["接入交换机", "核心交换机", "汇聚交换机"],
        ["华为", "新华三", "锐捷"],
        ["S5735-L48T4S", "S5560X-54C", "RG-S6120"],
    ),
    "router": (["汇聚路由器", "专网路由器"], ["华为", "新华三", "中兴"], ["AR6140", "MSR3620", "ZXR10 2800"]),
    "firewall": (["边界防火墙", "网闸"], ["深信服", "天融信", "启明星辰"], ["AF-1000", "NGFW4000", "USG-FW-12000"]),
    "card_printer": (["居住证制证机", "证卡打印机"], ["华视电子", "证通", "德卡"], ["CVR-600", "ZT-900", "T10"]),
    "id_card_reader": (
        ["二代证读卡器", "身份证阅读器"],
        ["神思电子", "华视电子", "精伦电子"],
        ["SS628", "CVR-100U", "iDR210"],
    ),
    "terminal_pc": (
        ["受理终端", "采集终端", "查询终端"],
        ["联想", "同方", "长城"],
        ["启天M437", "超越E500", "世恒TD120"],
    ),
    "printer": (["激光打印机", "票据打印机"], ["惠普", "联想", "奔图"], ["LaserJet M403d", "LJ2605D", "P3305DN"]),
    "ups": (["UPS电源", "不间断电源"], ["山特", "艾默生", "华为"], ["C10KS", "UL33-0100L", "UPS2000-G-10KRTL"]),
    "air_conditioner": (["精密空调", "机房空调"], ["艾默生", "佳力图", "海悟"], ["DME12MCP5", "ME40", "HCA-25"]),
    "application_system": (
        ["居住证业务系统", "人口信息管理系统", "流动人口管理系统"],
        ["东软", "太极", "华宇"],
        ["V3.2", "V2.8", "V5.0"],
    ),
    "other": (["高拍仪", "指纹仪", "人像采集仪", "叫号机"], ["良田", "中控智慧", "捷宇"], ["S1020", "ZK4500", "GL-A3"]),
}
CLASS_WEIGHTS = {"server": 4, "storage": 1, "switch": 6, "router": 2, "firewall": 1, "card_printer": 6,
                 "id_card_reader": 12, "terminal_pc": 30, "printer": 14, "ups": 4, "air_conditioner": 2,
                 "application_system": 1, "other": 17}  # fmt: skip
ZONES = ["公安信息网", "公安信息网", "公安信息网", "视频专网", "互联网接入区", "安全边界区", "政务外网"]
SYSTEMS = ["居住证信息系统", "居住证信息系统", "流动人口管理系统", "人口信息管理系统", "视频监控系统", "办公自动化系统"]
PLACES = [("机房", ["一号机房", "二号机房", "弱电间"]), ("受理大厅", ["受理窗口区", "自助服务区"]),
          ("制证室", ["制证室"]), ("户籍室", ["户籍内勤室"]), ("值班室", ["值班室"])]  # fmt: skip
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "秀英",
    "建华",
    "志强",
]
STATUSES = ["in_service"] * 92 + ["faulty"] * 3 + ["under_repair"] * 2 + ["off_site"] * 1 + ["retired"] * 2

# What a dispatcher types in the ledger's filters and search box.
LIST_FILTERS: list[dict[str, Any]] = [
    {},
    {"asset_class": ["card_printer"], "status": ["in_service"]},
    {"asset_class": ["terminal_pc", "printer"], "security_zone": "公安信息网"},
    {"status": ["faulty", "under_repair"]},
    {"criticality": ["critical"], "owning_system": "居住证"},
    {"site": "派出所受理大厅", "asset_class": ["id_card_reader"]},
    {"maker": "华为", "asset_class": ["switch"]},
    {"warranty_until_before": "2027-06-30", "status": ["in_service"]},
]
SEARCHES = ["制证机", "望京派出所", "三里屯", "受理终端", "朝阳分局机房", "华视", "UPS电源", "张伟", "弱电间", "打印机",
            "居住证受理服务器", "清河派出所制证室"]  # fmt: skip


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


async def units(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """The demo units (from the gateway's events) and the bench's stations, added beside them."""
    deadline = time.perf_counter() + 60
    while await conn.fetchval("SELECT count(*) FROM directory_unit WHERE code = ANY($1)", list(STATIONS)) < len(
        STATIONS
    ):
        if time.perf_counter() > deadline:
            raise RuntimeError("the demo units did not reach the assets service within 60 s")
        await asyncio.sleep(0.2)
    parents = {r["code"]: r for r in await conn.fetch("SELECT id, code, path FROM directory_unit")}
    rows = []
    for parent_code, names in STATIONS.items():
        parent = parents[parent_code]
        for i, name in enumerate(names.split()):
            unit_id = uuid.uuid4()
            rows.append(
                (unit_id, f"{parent_code}-B{i:02d}", f"{name}派出所", "police_station", parent["id"],
                 [*parent["path"], unit_id], 1)
            )  # fmt: skip
    await conn.copy_records_to_table(
        "directory_unit", records=rows, columns=["id", "code", "name", "kind", "parent_id", "path", "applied_version"]
    )
    return await conn.fetch(
        "SELECT id, code, name, path FROM directory_unit WHERE kind IN ('police_station', 'floating_station', "
        "'sub_bureau', 'bureau') ORDER BY code"
    )


def asset_values(rng: random.Random, unit: asyncpg.Record, tag: str, today: date) -> dict[str, Any]:
    asset_class = rng.choices(list(CLASS_WEIGHTS), weights=list(CLASS_WEIGHTS.values()))[0]
    names, makers, models = CLASSES[asset_class]
    kind, rooms = rng.choice(PLACES)
    commissioned = today - timedelta(days=rng.randint(30, 8 * 365))
    status = rng.choice(STATUSES)
    return {
        "tag": tag,
        "asset_class": asset_class,
        "name": rng.choice(names),
        "security_zone": rng.choice(ZONES),
        "owning_system": rng.choice(SYSTEMS),
        "site": f"{unit['name']}{kind}",
        "room": rng.choice(rooms),
        "rack": f"{'ABC'[rng.randrange(3)]}{rng.randint(1, 12):02d}" if kind == "机房" else None,
        "maker": rng.choice(makers),
        "model": rng.choice(models),
        "serial_number": f"{rng.choice('HLZCS')}{rng.randrange(10**9):09d}",
        "commissioned_on": commissioned,
        "warranty_until": commissioned + timedelta(days=365 * rng.choice((3, 3, 5))),
        "criticality": rng.choices(["critical", "important", "normal"], weights=[1, 3, 6])[0],
        "status": status,
        "custodian": _person(rng),
        "notes": rng.choice([None, None, None, "已贴资产标签", "随居住证系统二期上线", "保修内，厂商驻场"]),
    }


async def seed_ledger(dsn: str, n: int, seed: int = 16) -> dict[str, Any]:
    """`n` assets and their first status entry, by COPY; returns the units used and the seconds it took."""
    rng = random.Random(seed)
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        known = await units(conn)
        at = datetime.now(UTC)
        today = at.date()
        assets, changes = [], []
        for i in range(n):
            unit = known[i % len(known)]
            prefix = unit["code"].replace("BJ-", "JZZ-")
            v = asset_values(rng, unit, f"{prefix}-{i:06d}", today)
            asset_id = uuid.uuid4()
            assets.append((asset_id, v["tag"], v["asset_class"], v["name"], v["security_zone"], v["owning_system"],
                           unit["id"], list(unit["path"]), v["site"], v["room"], v["rack"], v["maker"], v["model"],
                           v["serial_number"], v["commissioned_on"], v["warranty_until"], v["criticality"],
                           v["status"], v["custodian"], v["notes"], 1, at, None, at, None))  # fmt: skip
            changes.append((uuid.uuid4(), asset_id, None, v["status"], "登记入账", None, at, None, "bench"))
        await conn.copy_records_to_table(
            "asset",
            records=assets,
            columns=["id", "tag", "asset_class", "name", "security_zone", "owning_system", "unit_id", "unit_path",
                     "site", "room", "rack", "maker", "model", "serial_number", "commissioned_on", "warranty_until",
                     "criticality", "status", "custodian", "notes", "version", "created_at", "created_by",
                     "updated_at", "updated_by"],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "asset_status_change",
            records=changes,
            columns=["id", "asset_id", "from_status", "to_status", "reason", "approval_ref", "changed_at",
                     "changed_by", "changed_by_name"],
        )  # fmt: skip
        await conn.execute("VACUUM ANALYZE asset")
        await conn.execute("VACUUM ANALYZE asset_status_change")
        await conn.execute("ANALYZE directory_unit")
        return {"seed_s": time.perf_counter() - started, "units": [dict(u) for u in known]}
    finally:
        await conn.close()


def import_workbook(units_: list[dict[str, Any]], seed: int = 17) -> bytes:
    """The bureau's sheet of 5,000 new assets: 100 machine rooms of 50 (the ledger's export format)."""
    from assets.ledger import spreadsheet

    rng = random.Random(seed)
    today = date.today()
    stations = [u for u in units_ if u["code"].count("-") == 2]
    records = []
    for room in range(ROOMS):
        unit = stations[room % len(stations)]
        for k in range(IMPORTED // ROOMS):
            v = asset_values(rng, unit, f"JZZ-XJ-{room:03d}-{k:03d}", today)
            v.update(status="in_service", site=f"{unit['name']}新建机房{room:03d}", room="一号机房")
            records.append({**v, "unit_code": unit["code"], "unit_name": unit["name"]})
    return spreadsheet.write_xlsx(records)


def _login(url: str, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=120)
    login = client.post("/api/auth/login", json={"username": username, "password": password})
    assert login.status_code == 200, login.text[:300]
    client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    return client


def timed(client: httpx.Client, path: str, params_of: Callable[[int], dict[str, Any]], n: int) -> list[float]:
    samples = []
    for i in range(n + 3):  # three warm-ups
        params = params_of(i)
        started = time.perf_counter()
        resp = client.get(path, params=params)
        elapsed = time.perf_counter() - started
        assert resp.status_code == 200, resp.text[:300]
        if i >= 3:
            samples.append(elapsed)
    return samples


async def _wait_count(dsn: str, query: str, want: int, timeout_s: float = 300) -> float:
    """Seconds until `query` counts `want`."""
    started = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        while await conn.fetchval(query) < want:
            if time.perf_counter() - started > timeout_s:
                raise RuntimeError(f"{query!r} did not reach {want} within {timeout_s} s")
            await asyncio.sleep(0.05)
        return time.perf_counter() - started
    finally:
        await conn.close()


async def _make_rounds(assets_dsn: str) -> dict[str, Any]:
    """The worker's clock, once, at 00:00:01 tomorrow Asia/Shanghai: every plan's round of that day."""
    from assets.config import AssetsSettings
    from assets.inspections import rules
    from assets.inspections.clock import InspectionClock
    from opsdesk_shared.db import create_engine, session_factory

    tomorrow = rules.local_day(datetime.now(UTC)) + timedelta(days=1)
    at = datetime.combine(tomorrow, datetime.min.time(), rules.SHANGHAI) + timedelta(seconds=1)
    engine = create_engine(AssetsSettings())
    try:
        clock = InspectionClock(session_factory(engine), clock=lambda: at)
        started = time.perf_counter()
        made, _ = await clock.tick()
        elapsed = time.perf_counter() - started
    finally:
        await engine.dispose()
    conn = await asyncpg.connect(assets_dsn)
    try:
        stops = await conn.fetchval(
            "SELECT count(*) FROM inspection_stop s JOIN inspection_round r ON r.id = s.round_id WHERE r.day = $1",
            tomorrow,
        )
    finally:
        await conn.close()
    return {"rounds_made": made, "stops_made": stops, "make_rounds_s": elapsed}


TEMPLATE_ITEMS = {
    "air_conditioner": [
        {"key": "temperature", "label": "机房温度", "kind": "reading", "unit": "°C", "low": 18, "high": 27},
        {"key": "humidity", "label": "机房湿度", "kind": "reading", "unit": "%", "low": 40, "high": 70},
    ],
    "ups": [
        {"key": "load", "label": "UPS负载", "kind": "reading", "unit": "%", "low": 0, "high": 80},
        {"key": "alarm", "label": "告警灯正常", "kind": "check"},
    ],
}
DEFAULT_ITEMS = [
    {"key": "power", "label": "电源指示正常", "kind": "check"},
    {"key": "alarm", "label": "无告警灯", "kind": "check"},
    {"key": "clean", "label": "设备清洁、标签完好", "kind": "check"},
]


def plans(client: httpx.Client, assets_dsn: str) -> None:
    """A checklist per class and one daily plan per new machine room (some by room, some by their assets)."""
    for asset_class in CLASSES:
        resp = client.post(
            "/api/inspections/templates",
            json={"name": f"{asset_class}日常巡检", "asset_class": asset_class,
                  "items": TEMPLATE_ITEMS.get(asset_class, DEFAULT_ITEMS)},
        )  # fmt: skip
        assert resp.status_code == 201, resp.text[:300]

    async def rooms() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(assets_dsn)
        try:
            return await conn.fetch(
                "SELECT site, room, array_agg(id ORDER BY tag) AS ids FROM asset WHERE tag LIKE 'JZZ-XJ-%' "
                "GROUP BY site, room ORDER BY site"
            )
        finally:
            await conn.close()

    tomorrow = (datetime.now(UTC) + timedelta(hours=8)).date() + timedelta(days=1)
    for i, r in enumerate(asyncio.run(rooms())):
        where: dict[str, Any] = {"rooms": [{"site": r["site"], "room": r["room"]}]}
        if i < PLANS_BY_ASSET:
            where = {"asset_ids": [str(a) for a in r["ids"]]}
        resp = client.post(
            "/api/inspections/plans",
            json={"name": f"{r['site']}日巡检", "frequency": "daily", "due_time": "10:00" if i % 2 else None,
                  "post_name": "驻场运维岗", "starts_on": tomorrow.isoformat(), **where},
        )  # fmt: skip
        assert resp.status_code == 201, resp.text[:300]


_ROUND_FACTS = """
INSERT INTO inspection_round_fact (round_id, plan_id, plan_name, day, due_at, post_name, status, completed_at,
    completed_by_name, stops, stops_checked, items_checked, abnormal_items, missed_recorded_at)
SELECT gen_random_uuid(), plan_id, plan_name, day, due_at, '驻场运维岗',
    CASE WHEN missed THEN 'missed' ELSE 'completed' END,
    CASE WHEN NOT missed THEN due_at - interval '3 hours' + random() * interval '2 hours' END,
    CASE WHEN NOT missed THEN (ARRAY['张伟','李强','王磊','刘洋','陈杰'])[1 + p % 5] END,
    stops, CASE WHEN missed THEN 0 ELSE stops END, CASE WHEN missed THEN 0 ELSE stops * 3 END,
    CASE WHEN missed THEN 0 ELSE floor(random() * 2)::int END,
    CASE WHEN missed THEN due_at END
FROM (SELECT d::date AS day, p, plans.plan_id, plans.plan_name, random() < 0.03 AS missed, 20 + p % 40 AS stops,
             (d::date + time '17:30') AT TIME ZONE 'Asia/Shanghai' AS due_at
      FROM generate_series(current_date - 365, current_date - 1, interval '1 day') d,
           (SELECT p, gen_random_uuid() AS plan_id, '基准巡检计划' || p AS plan_name
            FROM generate_series(1, $1) p) plans) s
"""
_FINDING_FACTS = """
INSERT INTO inspection_finding_fact (finding_id, round_id, day, asset_id, tag, asset_class, unit_id, place, item_label,
    reading, inspector_name, raised_at, ticket_id, ticket_number, ticket_opened)
SELECT gen_random_uuid(), r.round_id, r.day, gen_random_uuid(), 'JZZ-CY-' || lpad((random() * 9999)::int::text, 6, '0'),
    'air_conditioner', gen_random_uuid(), '望京派出所机房 / 一号机房', '机房温度',
    (28 + random() * 4)::numeric(4, 1)::text,
    r.completed_by_name, r.completed_at, gen_random_uuid(),
    to_char(r.day, 'YYYYMMDD') || '-' || lpad((row_number() OVER (PARTITION BY r.day))::text, 4, '0'), true
FROM (SELECT *, row_number() OVER (PARTITION BY day ORDER BY random()) AS k FROM inspection_round_fact
      WHERE status = 'completed' AND plan_name LIKE '基准巡检计划%') r
WHERE r.k <= $1
"""


async def _fill_report(reporting_dsn: str) -> dict[str, float]:
    conn = await asyncpg.connect(reporting_dsn)
    try:
        started = time.perf_counter()
        await conn.execute(_ROUND_FACTS, ROUNDS_PER_DAY)
        await conn.execute(_FINDING_FACTS, FINDINGS_PER_DAY)
        await conn.execute("VACUUM ANALYZE inspection_round_fact")
        await conn.execute("VACUUM ANALYZE inspection_finding_fact")
        rounds = await conn.fetchval("SELECT count(*) FROM inspection_round_fact")
        findings = await conn.fetchval("SELECT count(*) FROM inspection_finding_fact")
        return {"generate_s": time.perf_counter() - started, "rounds": rounds, "findings": findings}
    finally:
        await conn.close()


def measure(
    url: str, people: dict[str, str], dsns: dict[str, str], summary: Callable[[list[float]], dict[str, float]]
) -> dict[str, Any]:
    result: dict[str, Any] = {"ledger": LEDGER}
    seeded = asyncio.run(seed_ledger(dsns["assets"], LEDGER))
    result["seed_s"] = seeded["seed_s"]
    result["units"] = len(seeded["units"])
    dispatcher = _login(url, "dispatcher", people["dispatcher"])
    by_code = {u["code"]: u for u in seeded["units"]}

    def list_params(i: int) -> dict[str, Any]:
        f = dict(LIST_FILTERS[i % len(LIST_FILTERS)])
        if i % len(LIST_FILTERS) == 0:  # the first page of a sub-bureau's subtree
            f["unit_id"] = str(by_code[("BJ-CY", "BJ-HD", "BJ-XC")[i // len(LIST_FILTERS) % 3]]["id"])
        return {**f, "page": 1 + i % 3, "limit": 50}

    result["list"] = summary(timed(dispatcher, "/api/assets", list_params, SAMPLES))
    searched = timed(
        dispatcher, "/api/assets", lambda i: {"q": SEARCHES[(i - 3) % len(SEARCHES)], "limit": 50}, SAMPLES
    )
    result["search"] = summary(searched)
    result["search_max_ms_by_query"] = {
        q: max(s for i, s in enumerate(searched) if i % len(SEARCHES) == k) * 1000 for k, q in enumerate(SEARCHES)
    }

    # The import, as the console sends it: multipart `file`, through the gateway (which audits it).
    workbook = import_workbook(seeded["units"])
    started = time.perf_counter()
    resp = dispatcher.post(
        "/api/assets/import",
        files={"file": ("设备台帐.xlsx", io.BytesIO(workbook), XLSX)},
    )
    import_s = time.perf_counter() - started
    assert resp.status_code == 200, resp.text[:500]
    assert resp.json()["created"] == IMPORTED, resp.text[:500]
    published_s = asyncio.run(
        _wait_count(dsns["assets"], "SELECT count(*) FROM outbox_message WHERE type = 'asset.registered' "
                    "AND published_at IS NOT NULL AND envelope::text LIKE '%JZZ-XJ-%'", IMPORTED)
    )  # fmt: skip
    in_reporting_s = asyncio.run(
        _wait_count(dsns["reporting"], "SELECT count(*) FROM asset_dim WHERE tag LIKE 'JZZ-XJ-%'", IMPORTED)
    )
    result["import"] = {
        "rows": IMPORTED,
        "xlsx_bytes": len(workbook),
        "import_s": import_s,
        "events_published_after_s": import_s + published_s,
        "in_reporting_after_s": import_s + published_s + in_reporting_s,
    }
    started = time.perf_counter()
    again = dispatcher.post(
        "/api/assets/import",
        files={"file": ("设备台帐.xlsx", io.BytesIO(workbook), XLSX)},
    )
    result["import"]["again_s"] = time.perf_counter() - started
    result["import"]["again_unchanged"] = again.json().get("unchanged")

    plans(dispatcher, dsns["assets"])
    result["rounds"] = asyncio.run(_make_rounds(dsns["assets"]))

    result["report"] = asyncio.run(_fill_report(dsns["reporting"]))
    supervisor = _login(url, "supervisor", people["supervisor"])
    today = date.today()
    days = [today - timedelta(days=1 + (i * 37) % 364) for i in range(SAMPLES)]
    result["report"]["daily"] = summary(
        timed(supervisor, "/api/reports/inspections", lambda i: {"day": days[i % SAMPLES].isoformat()}, SAMPLES)
    )
    return result
