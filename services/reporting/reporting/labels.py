"""Chinese names of the codes that appear in reports (the bureau reads them; codes stay in JSON)."""

STATUS = {
    "new": "新建",
    "assigned": "已派单",
    "in_progress": "处理中",
    "on_site": "已到场",
    "pending": "挂起",
    "resolved": "已解决",
    "closed": "已关闭",
    "reopened": "已重开",
    "cancelled": "已取消",
    "duplicate": "重复（已合并）",
}
CATEGORY = {"fault": "故障", "consultation": "咨询", "service_request": "服务请求", "complaint": "投诉"}
CHANNEL = {
    "hotline": "热线",
    "web": "网页",
    "api": "接口",
    "sms": "短信",
    "inspection": "巡检",
    "monitoring": "运行监测",
    "visit": "回访",
}
METRIC = {"response": "响应", "arrival": "到场", "resolution": "解决"}
BEARER = {"vendor": "乙方（运维方）", "bureau": "甲方（市局）"}
ASSET_CLASS = {
    "server": "服务器",
    "storage": "存储设备",
    "switch": "交换机",
    "router": "路由器",
    "firewall": "防火墙",
    "card_printer": "制证机",
    "id_card_reader": "身份证读卡器",
    "terminal_pc": "终端电脑",
    "printer": "打印机",
    "ups": "UPS电源",
    "air_conditioner": "机房空调",
    "application_system": "应用系统",
    "other": "其他",
}
ASSET_STATUS = {
    "in_service": "在用",
    "faulty": "故障",
    "under_repair": "维修中",
    "off_site": "外出(已审批)",
    "retired": "已报废",
}
OUTCOME = {"met": "达标", "breached": "超时", "running": "进行中", "cancelled": "已取消"}


def name(table: dict[str, str], code: str | None) -> str:
    if code is None:
        return ""
    return f"{table[code]} ({code})" if code in table else code
