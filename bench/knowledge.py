"""Knowledge-base figures (issue 20): 10,000 articles in intake; `GET /api/knowledge/search` through the gateway,
one operator at a time, and the hotline's suggestion as the problem is typed (`GET /api/knowledge/suggest`, what
`/ui/knowledge/suggest` asks beside the ticket form) with 20 operators typing at once: each a closed loop over
the prefixes of a real problem, a keystroke's request sent 400 ms (the form's debounce) after the last answer.

The articles go straight into intake's database (COPY), their words cut by the service's own code
(`knowledge.service._words_of`, jieba with the system's dictionary), so the stored search vector is exactly
what the service would have made: realistic Chinese faults, causes and steps over the bureau's equipment and
systems, most published, some internal, drafts and retired ones among them, uses skewed as in real life."""

import asyncio
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import asyncpg
import httpx

from bench.load import Load, closed_loop

ARTICLES = 10_000
OPERATORS = 20
TYPING_S = 20.0
DEBOUNCE_S = 0.4  # hx-trigger="input changed delay:400ms" on the ticket form
SAMPLES = 100

# (equipment class, the names people call it, owning system)
EQUIPMENT = [
    ("card_printer", ["制证机", "证卡打印机", "居住证制证机"], "居住证信息系统"),
    ("id_card_reader", ["身份证读卡器", "二代证读卡器", "读卡器"], "居住证信息系统"),
    ("terminal_pc", ["受理终端", "采集终端", "窗口电脑"], "居住证信息系统"),
    ("printer", ["打印机", "激光打印机", "票据打印机"], "居住证信息系统"),
    ("other", ["高拍仪", "指纹仪", "人像采集仪", "叫号机"], "居住证信息系统"),
    ("switch", ["交换机", "接入交换机"], "公安网"),
    ("server", ["受理服务器", "前置机", "数据库服务器"], "人口信息管理系统"),
    ("ups", ["UPS电源", "不间断电源"], "机房"),
    ("application_system", ["居住证业务系统", "流动人口管理系统", "居住证签注模块"], "居住证信息系统"),
]
SYMPTOMS = [
    ("打印模糊", "打印出的居住证照片和文字模糊、有横纹", "色带老化或打印头脏污", "hardware"),
    ("卡纸", "打印到一半卡住，面板提示卡片堵塞", "进卡通道有异物或卡片变形", "hardware"),
    ("无法识别", "放上身份证后没有反应，软件提示未检测到证件", "驱动丢失或USB接口接触不良", "hardware"),
    ("登录失败", "输入用户名和密码后提示数字证书无效，无法登录", "UKey证书过期或证书驱动未安装", "account"),
    ("连接超时", "提交受理信息时提示网络连接超时", "公安网专线中断或VPN掉线", "network"),
    ("蓝屏死机", "使用中突然蓝屏重启，重启后频繁死机", "内存故障或系统补丁冲突", "hardware"),
    ("数据上传失败", "受理数据一直停留在待上传状态", "前置机同步服务停止或磁盘已满", "data"),
    ("照片采集异常", "人像采集时画面黑屏或颜色发绿", "摄像头驱动异常或光线设置不当", "hardware"),
    ("签注打印错位", "签注内容打印位置偏移，超出签注栏", "打印模板参数被修改", "software"),
    ("指纹采集失败", "按压指纹后提示质量不合格，反复采集不通过", "指纹仪采集窗口脏污或老化", "hardware"),
    ("告警灯常亮", "设备面板红色告警灯常亮，蜂鸣器报警", "电源模块或风扇故障", "hardware"),
    ("系统运行缓慢", "打开受理页面需要一分钟以上，查询经常卡住", "数据库连接数过多或服务器负载过高", "software"),
    ("无法打印", "点击打印后没有反应，打印队列一直等待", "打印服务停止或打印机脱机", "software"),
    ("病毒告警", "杀毒软件提示发现病毒，部分文件无法打开", "U盘交叉使用带入病毒", "security"),
]
STEPS = [
    "确认设备电源和数据线连接正常，指示灯状态正确",
    "重启{name}并重新登录居住证信息系统",
    "在设备管理器中检查{name}驱动，必要时重新安装厂商驱动",
    "用专用清洁卡清洁{name}的打印头和进卡通道",
    "更换色带并执行一次打印头校准",
    "检查UKey证书有效期，过期的到分局信息科更新证书",
    "测试公安网连通性：ping 前置机地址，检查VPN客户端状态",
    "查看前置机同步服务是否运行，清理日志释放磁盘空间",
    "仍不能解决的，登记工单并通知驻场工程师到场处理",
    "处理完成后请窗口民警试受理一笔业务，确认恢复正常",
]
AFTERWORDS = ["多发生在早高峰。", "重启后短时恢复。", "", "同一台设备反复出现。"]
TAGS = ["制证", "受理", "居住证", "签注", "网络", "证书", "打印", "采集", "驱动", "派出所", "流管站"]
# What callers say, as an operator types it (each a closed loop over its prefixes).
PROBLEMS = [
    "望京派出所制证机打印模糊有横纹",
    "读卡器放上身份证没有反应",
    "居住证系统登录提示数字证书无效",
    "受理终端提交时提示网络连接超时",
    "打印机卡纸取不出来",
    "高拍仪画面黑屏无法采集照片",
    "签注打印位置偏了",
    "受理数据一直待上传",
    "指纹仪采集老是不合格",
    "UPS告警灯常亮一直响",
    "系统很慢打开页面要一分钟",
    "电脑蓝屏以后反复死机",
]
SEARCHES = ["制证机 打印模糊", "读卡器无法识别", "数字证书 登录失败", "VPN 连接超时", "卡纸", "高拍仪", "签注打印错位",
            "数据上传失败", "指纹采集", "UPS 告警", "系统运行缓慢", "蓝屏", "居住证", "打印机无法打印"]  # fmt: skip


def article(rng: random.Random, i: int) -> SimpleNamespace:
    asset_class, names, system = rng.choice(EQUIPMENT)
    name = rng.choice(names)
    short, symptoms, cause, kind = rng.choice(SYMPTOMS)
    place = rng.choice(["派出所受理窗口", "流管站", "分局制证中心", "机房", "自助服务区"])
    steps = [s.format(name=name) for s in rng.sample(STEPS, rng.randint(3, 6))]
    return SimpleNamespace(
        title=f"{name}{short}的处理方法" if i % 3 else f"{place}{name}{short}",
        symptoms=f"{place}的{name}{symptoms}。{rng.choice(AFTERWORDS)}",
        cause=f"{cause}。",
        steps=steps,
        category="fault" if kind != "account" or i % 2 else "consultation",
        subcategory=kind,
        equipment_class=asset_class,
        owning_system=system,
        tags=rng.sample(TAGS, rng.randint(1, 4)),
    )


def _rows(n: int, seed: int = 20) -> list[tuple[Any, ...]]:
    from intake.knowledge import service

    rng = random.Random(seed)
    at = datetime.now(UTC)
    rows = []
    for i in range(n):
        a = article(rng, i)
        title_seg, body_seg = service._words_of(a)  # type: ignore[arg-type]  # only reads these attributes
        state = rng.choices(["published", "draft", "in_review", "retired"], weights=[85, 8, 3, 4])[0]
        created = at - timedelta(days=rng.randint(0, 3 * 365))
        uses = int(rng.paretovariate(1.5)) - 1
        rows.append((
            uuid.uuid4(), a.title, a.symptoms, a.cause, a.steps, a.category, a.subcategory, a.equipment_class,
            a.owning_system, a.tags, rng.choices(["published", "internal"], weights=[6, 4])[0], state, 1, "bench",
            created if state in ("published", "retired") else None, created, created, uses * 3, uses,
            title_seg, body_seg,
        ))  # fmt: skip
    return rows


async def seed(dsn: str, n: int) -> dict[str, float]:
    started = time.perf_counter()
    rows = await asyncio.to_thread(_rows, n)
    segmented = time.perf_counter() - started
    conn = await asyncpg.connect(dsn)
    try:
        numbers = [r[0] for r in await conn.fetch(
            "SELECT nextval('knowledge_article_number_seq') FROM generate_series(1, $1)", n
        )]  # fmt: skip
        records = [(r[0], f"KB-{number:06d}", *r[1:]) for r, number in zip(rows, numbers, strict=True)]
        await conn.copy_records_to_table(
            "knowledge_article",
            records=records,
            columns=["id", "number", "title", "symptoms", "cause", "steps", "category", "subcategory",
                     "equipment_class", "owning_system", "tags", "audience", "state", "version", "author_name",
                     "published_at", "created_at", "updated_at", "views", "uses", "title_seg", "body_seg"],
        )  # fmt: skip
        await conn.execute("VACUUM ANALYZE knowledge_article")
    finally:
        await conn.close()
    return {"segment_s": segmented, "seed_s": time.perf_counter() - started}


def _login(url: str, username: str, password: str) -> str:
    resp = httpx.post(f"{url}/api/auth/login", json={"username": username, "password": password}, timeout=30)
    assert resp.status_code == 200, resp.text[:300]
    return str(resp.json()["access_token"])


def searches(url: str, token: str, n: int) -> tuple[list[float], int]:
    client = httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"})
    samples, hits = [], 0
    for i in range(n + 3):  # three warm-ups
        started = time.perf_counter()
        resp = client.get("/api/knowledge/search", params={"q": SEARCHES[i % len(SEARCHES)]})
        elapsed = time.perf_counter() - started
        assert resp.status_code == 200, resp.text[:300]
        if i >= 3:
            samples.append(elapsed)
            hits += len(resp.json()["items"])
    return samples, hits


async def typing(url: str, tokens: list[str]) -> tuple[Load, int]:
    """OPERATORS closed loops: each types a problem, a request per keystroke from its second character, the
    next keystroke's request DEBOUNCE_S after the last answer; then the next problem."""
    clients = [httpx.AsyncClient(base_url=url, timeout=30, headers={"Authorization": f"Bearer {t}"}) for t in tokens]
    prefixes = [p[:k] for p in PROBLEMS for k in range(2, len(p) + 1)]
    empty = 0
    latencies: list[float] = []

    async def send(i: int) -> bool:
        nonlocal empty
        client = clients[i % len(clients)]
        started = time.perf_counter()
        resp = await client.get("/api/knowledge/suggest", params={"q": prefixes[(i * 7) % len(prefixes)]})
        latencies.append(time.perf_counter() - started)
        empty += not resp.json().get("items") if resp.status_code == 200 else 0
        return resp.status_code == 200

    async def paced(i: int) -> bool:
        ok = await send(i)
        await asyncio.sleep(DEBOUNCE_S)  # the operator's next keystroke, after the form's debounce
        return ok

    try:
        for k in range(OPERATORS):  # warm-up: every connection open
            await send(k)
        latencies.clear()
        empty = 0
        load = await closed_loop(paced, clients=OPERATORS, duration_s=TYPING_S)
    finally:
        for c in clients:
            await c.aclose()
    load.latencies_s = latencies  # the requests alone (closed_loop's include the pause)
    return load, empty


def measure(
    url: str, people: dict[str, str], intake_dsn: str, summary: Callable[[list[float]], dict[str, float]]
) -> dict[str, Any]:
    result: dict[str, Any] = {"articles": ARTICLES, **asyncio.run(seed(intake_dsn, ARTICLES))}
    token = _login(url, "operator", people["operator"])
    samples, hits = searches(url, token, SAMPLES)
    result["search"] = {**summary(samples), "hits_per_query": hits / SAMPLES}
    load, empty = asyncio.run(typing(url, [token] * OPERATORS))
    result["suggest"] = {
        **summary(load.latencies_s),
        "operators": OPERATORS,
        "per_s": load.rate,
        "errors": load.errors,
        "without_suggestion": empty,
    }
    return result
