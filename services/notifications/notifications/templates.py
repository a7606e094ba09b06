"""Message texts. Rules and templates become admin-editable data (issue: notifications rules);
until then these are the defaults, in zh-CN with the contract's signature."""

TICKET_ACCEPTED = "ticket_accepted"

DEFAULT_TEMPLATES = {
    TICKET_ACCEPTED: "您的报修已受理，工单号{number}，我们将尽快安排处理。",
}


def render(template: str, signature: str, **variables: str) -> str:
    return signature + DEFAULT_TEMPLATES[template].format(**variables)
