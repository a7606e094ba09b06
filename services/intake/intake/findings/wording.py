"""How an inspection finding reads as a ticket: its title, its description, the kind of work it needs and
its priority. Pure: table-tested in tests/unit/test_finding_wording.py."""

from opsdesk_shared.contracts.assets import InspectionFindingRaised
from opsdesk_shared.contracts.vocabulary import AssetClass, Criticality, Priority, Skill

# The kind of work (dispatch ranks engineers with that skill first) each class of equipment needs.
NETWORK_CLASSES = frozenset({AssetClass.SWITCH, AssetClass.ROUTER, AssetClass.FIREWALL})
SOFTWARE_CLASSES = frozenset({AssetClass.APPLICATION_SYSTEM})

# A critical device's abnormal reading stops more of the bureau's business: it goes ahead in the queue.
PRIORITY_BY_CRITICALITY: dict[str, Priority] = {Criticality.CRITICAL: Priority.P2, Criticality.IMPORTANT: Priority.P3}


def kind_of_work(asset_class: str) -> str:
    if asset_class in NETWORK_CLASSES:
        return Skill.NETWORK.value
    if asset_class in SOFTWARE_CLASSES:
        return Skill.SOFTWARE.value
    return Skill.HARDWARE.value


def priority(criticality: str | None) -> Priority:
    return PRIORITY_BY_CRITICALITY.get(criticality, Priority.P3) if criticality else Priority.P3


def _number(value: float) -> str:
    return f"{value:g}"


def reading_text(finding: InspectionFindingRaised) -> str:
    """What was found, with the normal range: `32 °C（正常 18–27 °C）`, or `否（正常为“是”）` for a check."""
    if finding.kind == "check" or isinstance(finding.reading, bool):
        return "否（正常为“是”）" if finding.reading is False else str(finding.reading)
    unit = f" {finding.measure_unit}" if finding.measure_unit else ""
    value = "" if finding.reading is None else _number(float(finding.reading))
    if finding.normal_low is not None and finding.normal_high is not None:
        normal = f"{_number(finding.normal_low)}–{_number(finding.normal_high)}{unit}"
    elif finding.normal_low is not None:
        normal = f"≥ {_number(finding.normal_low)}{unit}"
    elif finding.normal_high is not None:
        normal = f"≤ {_number(finding.normal_high)}{unit}"
    else:
        return f"{value}{unit}"
    return f"{value}{unit}（正常 {normal}）"


def place(finding: InspectionFindingRaised) -> str:
    return " ".join(p for p in (finding.site, finding.room) if p)


def title(finding: InspectionFindingRaised) -> str:
    return f"巡检异常：{finding.tag} {finding.item_label}"[:200]


def description(finding: InspectionFindingRaised, inspector: str | None = None) -> str:
    """`inspector`: the inspector's name as people know it (the event carries the account name)."""
    lines = [
        f"日常巡检发现异常（{inspector or finding.inspector_name}）。",
        f"设备：{finding.tag}（{place(finding)}）",
        f"检查项：{finding.item_label}，结果：{reading_text(finding)}",
    ]
    if finding.note:
        lines.append(f"巡检备注：{finding.note}")
    return "\n".join(lines)[:5000]
