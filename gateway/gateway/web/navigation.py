"""Which consoles each role sees, in the order of the navigation bar; the first is the role's home."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    path: str
    title: str  # Chinese source text, translated in the template
    roles: frozenset[str]


PAGES = [
    Page("/ui/hotline", "热线工作台", frozenset({"hotline_operator"})),
    Page("/ui/portal", "报修门户", frozenset({"requester", "hotline_operator"})),
    Page("/ui/dispatch", "调度看板", frozenset({"dispatcher"})),
    Page("/ui/engineer", "我的工单", frozenset({"engineer"})),
    Page("/ui/inspections", "今日巡检", frozenset({"engineer"})),
    # The vendor's project manager starts on the measures awaiting review.
    Page("/ui/measures", "改进措施", frozenset({"project_manager"})),
    Page("/ui/dashboard", "监管看板", frozenset({"supervisor", "project_manager", "dispatcher", "admin"})),
    Page(
        "/ui/tickets",
        "工单列表",
        frozenset({"supervisor", "project_manager", "dispatcher", "hotline_operator", "admin"}),
    ),
    Page("/ui/assets", "设备台帐", frozenset({"supervisor", "project_manager", "dispatcher", "engineer", "admin"})),
    Page("/ui/monitoring", "运行监测", frozenset({"supervisor", "project_manager", "dispatcher", "admin"})),
    Page("/ui/spares", "备品备件", frozenset({"supervisor", "dispatcher", "engineer", "admin", "project_manager"})),
    # The same page for those who take its later steps (the bureau's supervisor verifies), later in their bar.
    Page("/ui/measures", "改进措施", frozenset({"supervisor", "dispatcher"})),
    Page("/ui/admin", "系统管理", frozenset({"admin", "security_admin"})),
    Page("/ui/audit", "审计日志", frozenset({"auditor"})),
    Page(
        "/ui/knowledge", "知识库", frozenset({"hotline_operator", "dispatcher", "engineer", "project_manager", "admin"})
    ),
    Page(
        "/ui/training",
        "培训",
        frozenset({"requester", "engineer", "dispatcher", "supervisor", "admin", "project_manager"}),
    ),
    Page(
        "/ui/visits",
        "回访",
        frozenset({"requester", "engineer", "dispatcher", "supervisor", "admin", "project_manager"}),
    ),
]


def pages_for(roles: list[str]) -> list[Page]:
    return [page for page in PAGES if page.roles.intersection(roles)]


def home_for(roles: list[str]) -> str:
    pages = pages_for(roles)
    return pages[0].path if pages else "/ui/profile"
