"""The ledger's codes as the bureau writes them in its spreadsheets (zh-CN). An imported cell may hold either the
code (`card_printer`) or its label (`制证机`); exports write the label. The web UI's labels are the gateway's
(gateway/web/labels.py) and say the same."""

from enum import StrEnum

from opsdesk_shared.contracts.vocabulary import AssetClass, AssetStatus, Criticality

LABELS: dict[StrEnum, str] = {
    AssetClass.SERVER: "服务器",
    AssetClass.STORAGE: "存储设备",
    AssetClass.SWITCH: "交换机",
    AssetClass.ROUTER: "路由器",
    AssetClass.FIREWALL: "防火墙",
    AssetClass.CARD_PRINTER: "制证机",
    AssetClass.ID_CARD_READER: "身份证读卡器",
    AssetClass.TERMINAL_PC: "终端电脑",
    AssetClass.PRINTER: "打印机",
    AssetClass.UPS: "UPS电源",
    AssetClass.AIR_CONDITIONER: "机房空调",
    AssetClass.APPLICATION_SYSTEM: "应用系统",
    AssetClass.OTHER: "其他",
    AssetStatus.IN_SERVICE: "在用",
    AssetStatus.FAULTY: "故障停用",
    AssetStatus.UNDER_REPAIR: "维修中",
    AssetStatus.OFF_SITE: "外出(已审批)",
    AssetStatus.RETIRED: "已报废",
    Criticality.CRITICAL: "关键",
    Criticality.IMPORTANT: "重要",
    Criticality.NORMAL: "一般",
}


def label(value: StrEnum | str | None) -> str:
    if value is None:
        return ""
    return next((text for code, text in LABELS.items() if code == value), str(value))


def parse(enum: type[StrEnum], text: str) -> StrEnum | None:
    """The member a cell names, by code or by label (case and surrounding blanks ignored); None if none."""
    cleaned = text.strip()
    for member in enum:
        if cleaned.lower() == member.value or cleaned == LABELS.get(member):
            return member
    return None
