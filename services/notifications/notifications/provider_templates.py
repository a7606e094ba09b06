"""What a template-based provider (Aliyun) is sent for an OpsDesk template: its template code and parameters."""

from notifications import rules
from notifications.config import NotificationsSettings
from notifications.models import SmsTemplate

# The local stand-in approves any code: a template without one is sent under this code there (never in production,
# where the stand-in is refused and a template without a code fails with `no_provider_template`).
SINK_CODE_PREFIX = "SMS_DEV_"


def code_for(template: SmsTemplate, settings: NotificationsSettings) -> str | None:
    if template.provider_code:
        return template.provider_code
    return SINK_CODE_PREFIX + template.code.upper() if settings.uses_sink else None


def for_rule(
    template: SmsTemplate, settings: NotificationsSettings, variables: dict[str, object]
) -> tuple[str | None, dict[str, str] | None]:
    """(code, parameters) of a rule's message under the live provider; (None, None) for Twilio."""
    if settings.sms_provider != "aliyun":
        return None, None
    return code_for(template, settings), rules.provider_params(template.provider_params, variables, clip=True)
