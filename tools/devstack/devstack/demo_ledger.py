"""The demo equipment ledger for `make run`: about 40 assets over the bureau's machine room and three stations,
imported as the bureau would import its Excel ledger (through the gateway, as the dispatcher). Importing it
again changes nothing, so it is played at every start; the tags the demo morning's tickets name are in it."""

import csv
import io
from collections.abc import Callable
from typing import Any

import httpx

COLUMNS = (
    "资产编号", "设备类别", "设备名称", "安全分区", "所属系统", "单位编码", "地点", "机房", "机柜",
    "厂商", "型号", "序列号", "启用日期", "保修截止日期", "重要程度", "状态", "责任人", "外出审批编号",
)  # fmt: skip

PERMITS, CARDS, ROOM = "居住证信息系统", "制证管理系统", "机房基础环境"
INTRANET, EDGE, FACILITIES = "公安信息网", "安全接入区", "机房基础设施"
MACHINE_ROOM = ("BJ", "市局数据中心", "三楼主机房")
# (tag, class, name, zone, system, maker, model, criticality, rack)
MACHINE_ROOM_ASSETS = [
    ("FWQ-SJ-001", "服务器", "居住证应用服务器1", INTRANET, PERMITS, "华为", "FusionServer 2288H V6", "关键", "A-01"),
    ("FWQ-SJ-002", "服务器", "居住证应用服务器2", INTRANET, PERMITS, "华为", "FusionServer 2288H V6", "关键", "A-01"),
    ("FWQ-SJ-003", "服务器", "居住证数据库服务器（主）", INTRANET, PERMITS, "浪潮", "NF5280M6", "关键", "A-02"),
    ("FWQ-SJ-004", "服务器", "居住证数据库服务器（备）", INTRANET, PERMITS, "浪潮", "NF5280M6", "关键", "A-02"),
    ("FWQ-SJ-005", "服务器", "制证管理服务器", INTRANET, CARDS, "华为", "FusionServer 1288H V6", "重要", "A-03"),
    ("FWQ-SJ-006", "服务器", "接口前置服务器", INTRANET, PERMITS, "曙光", "I620-G30", "重要", "A-03"),
    ("CC-SJ-001", "存储设备", "居住证主存储", INTRANET, PERMITS, "华为", "OceanStor 5310", "关键", "B-01"),
    ("CC-SJ-002", "存储设备", "备份存储", INTRANET, PERMITS, "华为", "OceanStor 2200", "重要", "B-01"),
    ("JHJ-SJ-001", "交换机", "核心交换机1", INTRANET, PERMITS, "华为", "CE6881", "关键", "C-01"),
    ("JHJ-SJ-002", "交换机", "核心交换机2", INTRANET, PERMITS, "华为", "CE6881", "关键", "C-01"),
    ("JHJ-SJ-003", "交换机", "存储交换机", INTRANET, PERMITS, "华为", "OceanStor SNS2224", "重要", "B-02"),
    ("JHJ-SJ-004", "交换机", "管理交换机", INTRANET, ROOM, "新华三", "S5130", "一般", "C-02"),
    ("FHQ-SJ-001", "防火墙", "边界防火墙1", EDGE, PERMITS, "天融信", "NGFW4000", "关键", "C-02"),
    ("FHQ-SJ-002", "防火墙", "边界防火墙2", EDGE, PERMITS, "天融信", "NGFW4000", "关键", "C-02"),
    ("LYQ-SJ-001", "路由器", "分局汇聚路由器", EDGE, PERMITS, "华为", "AR6280", "重要", "C-03"),
    ("UPS-SJ-001", "UPS电源", "主机房UPS 1", FACILITIES, ROOM, "艾默生", "UL33 80kVA", "关键", None),
    ("UPS-SJ-002", "UPS电源", "主机房UPS 2", FACILITIES, ROOM, "艾默生", "UL33 80kVA", "关键", None),
    ("KT-SJ-001", "机房空调", "精密空调1", FACILITIES, ROOM, "佳力图", "M40", "重要", None),
    ("KT-SJ-002", "机房空调", "精密空调2", FACILITIES, ROOM, "佳力图", "M40", "重要", None),
    ("YY-SJ-001", "应用系统", "居住证信息系统", INTRANET, PERMITS, "运维服务商", "V3.2", "关键", None),
    ("YY-SJ-002", "应用系统", "制证管理系统", INTRANET, CARDS, "运维服务商", "V2.5", "关键", None),
    ("YY-SJ-003", "应用系统", "短信平台接口", INTRANET, PERMITS, "运维服务商", "V1.4", "重要", None),
]
# unit code, site, room; then (tag, class, name, maker, model, criticality)
STATIONS = [
    ("BJ-CY-WJ", "望京派出所", "一楼办证大厅", [
        ("ZZJ-WJ-001", "制证机", "1号窗口制证机", "华视电子", "CVR-ZZ100", "重要"),
        ("ZZJ-WJ-002", "制证机", "2号窗口制证机", "华视电子", "CVR-ZZ100", "重要"),
        ("DKQ-WJ-001", "身份证读卡器", "1号窗口读卡器", "华视电子", "CVR-100UC", "一般"),
        ("DKQ-WJ-002", "身份证读卡器", "2号窗口读卡器", "华视电子", "CVR-100UC", "一般"),
        ("DYJ-WJ-005", "打印机", "回执打印机", "惠普", "LaserJet M406", "一般"),
        ("ZD-WJ-001", "终端电脑", "1号窗口受理终端", "联想", "开天 M90z", "重要"),
        ("ZD-WJ-002", "终端电脑", "2号窗口受理终端", "联想", "开天 M90z", "重要"),
        ("UPS-WJ-001", "UPS电源", "办证大厅UPS", "山特", "C3K", "一般"),
    ]),
    ("BJ-CY-LG1", "望京流管站", "登记室", [
        ("DKQ-LG1-003", "身份证读卡器", "登记读卡器", "神思电子", "SS628", "一般"),
        ("ZD-LG1-001", "终端电脑", "登记终端", "联想", "开天 M90z", "重要"),
        ("DYJ-LG1-001", "打印机", "登记打印机", "惠普", "LaserJet M406", "一般"),
        ("JHJ-LG1-001", "交换机", "接入交换机", "新华三", "S5024", "一般"),
    ]),
    ("BJ-HD-ZGC", "中关村派出所", "办证大厅", [
        ("ZZJ-ZGC-001", "制证机", "制证机", "华视电子", "CVR-ZZ100", "重要"),
        ("DKQ-ZGC-001", "身份证读卡器", "1号窗口读卡器", "华视电子", "CVR-100UC", "一般"),
        ("DKQ-ZGC-002", "身份证读卡器", "2号窗口读卡器", "华视电子", "CVR-100UC", "一般"),
        ("ZD-ZGC-001", "终端电脑", "受理终端", "联想", "开天 M90z", "重要"),
        ("DYJ-ZGC-001", "打印机", "回执打印机", "惠普", "LaserJet M406", "一般"),
        ("JHJ-ZGC-001", "交换机", "接入交换机", "新华三", "S5024", "一般"),
    ]),
]  # fmt: skip
# Not every asset is in service on the demo morning.
STATUSES = {
    "CC-SJ-002": ("维修中", None),
    "DKQ-WJ-002": ("外出(已审批)", "WC-2026-031"),
    "ZD-LG1-001": ("已报废", None),
}


def rows() -> list[list[str]]:
    out = []
    unit, site, room = MACHINE_ROOM
    for n, (tag, cls, name, zone, system, maker, model, level, rack) in enumerate(MACHINE_ROOM_ASSETS):
        status, approval = STATUSES.get(tag, ("在用", None))
        year = 2022 + n % 3
        out.append(
            [
                tag,
                cls,
                name,
                zone,
                system,
                unit,
                site,
                room,
                rack or "",
                maker,
                model,
                f"SN{tag.replace('-', '')}",
                f"{year}-0{1 + n % 9}-15",
                f"{year + 5}-0{1 + n % 9}-14",
                level,
                status,
                "何平",
                approval or "",
            ]
        )
    for unit, site, room, assets in STATIONS:
        for n, (tag, cls, name, maker, model, level) in enumerate(assets):
            status, approval = STATUSES.get(tag, ("在用", None))
            warranty = f"{2026 if n % 4 == 0 else 2028}-0{1 + n % 9}-01"  # some have run out
            out.append([tag, cls, name, INTRANET, CARDS if cls == "制证机" else PERMITS, unit, site, room, "", maker,
                        model, f"SN{tag.replace('-', '')}", f"2023-0{1 + n % 9}-01", warranty, level, status, "",
                        approval or ""])  # fmt: skip
    return out


def as_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(rows())
    return buffer.getvalue().encode("utf-8-sig")


def import_ledger(client: httpx.Client, token: Callable[[], str], wait: Callable[[str, Callable[[], Any]], Any]) -> Any:
    """Imports the ledger as the dispatcher; waits while the assets service has not yet heard of the demo units
    (it learns them from the gateway's events). Returns the import's counts."""

    def attempt() -> Any:
        resp = client.post(
            "/api/assets/import",
            files={"file": ("demo-ledger.csv", as_csv(), "text/csv")},
            headers={"Authorization": f"Bearer {token()}"},
            timeout=30,
        )
        if resp.status_code == 422 and any(e.get("field") == "unit_code" for e in resp.json().get("errors", [])):
            return None  # the units' events are still on their way
        resp.raise_for_status()
        return resp.json()

    return wait("the assets service to know the demo units", attempt)
