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
CHANNEL = {"hotline": "热线", "web": "网页", "api": "接口", "sms": "短信", "inspection": "巡检", "visit": "回访"}
METRIC = {"response": "响应", "arrival": "到场", "resolution": "解决"}
BEARER = {"vendor": "乙方（运维方）", "bureau": "甲方（市局）"}
OUTCOME = {"met": "达标", "breached": "超时", "running": "进行中", "cancelled": "已取消"}


def name(table: dict[str, str], code: str | None) -> str:
    if code is None:
        return ""
    return f"{table[code]} ({code})" if code in table else code
