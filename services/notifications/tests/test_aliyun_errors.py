"""What each Dysmsapi error code means for a message (providers/aliyun.py), as a table; and the aliyun settings
refused at start when incomplete in production."""

import pytest
from pydantic import ValidationError

from notifications import rules
from notifications.config import NotificationsSettings
from notifications.providers.aliyun import classify
from opsdesk_shared.errors import RuleViolation

HOUR = 3600.0
# code, Aliyun's message, retryable, outage (counts towards the breaker), opt-out, wait before the next attempt
TABLE = [
    ("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1", True, False, False, 60.0),
    ("isv.BUSINESS_LIMIT_CONTROL", "触发小时级流控Permits:5", True, False, False, HOUR),
    ("isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:10", False, False, False, None),
    ("isv.DAY_LIMIT_CONTROL", "触发日发送限额", False, False, False, None),
    ("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号", False, False, False, None),
    ("isv.TEMPLATE_MISSING_PARAMETERS", "模板缺少变量", False, False, False, None),
    ("isv.PARAM_LENGTH_LIMIT", "参数超出长度限制", False, False, False, None),
    ("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板", False, False, False, None),
    ("isv.SMS_SIGNATURE_ILLEGAL", "签名不合法", False, False, False, None),
    ("isv.BLACK_KEY_CONTROL_LIMIT", "黑名单管控", False, False, False, None),
    ("isv.SOMETHING_NEW", "unknown request problem", False, False, False, None),
    ("MOBILE_IN_BLACK", "手机号在黑名单", False, False, True, None),
    ("USER_REJECT", "用户退订", False, False, True, None),
    ("isv.AMOUNT_NOT_ENOUGH", "账户余额不足", True, True, False, None),
    ("isv.OUT_OF_SERVICE", "业务停机", True, True, False, None),
    ("isp.SYSTEM_ERROR", "系统错误", True, True, False, None),
    ("Throttling.User", "Request was denied due to user flow control.", True, True, False, None),
    ("SignatureDoesNotMatch", "Specified signature does not match our calculation.", True, True, False, None),
    ("InvalidAccessKeyId.NotFound", "Specified access key is not found.", True, True, False, None),
    ("ServiceUnavailable", "temporary failure", True, True, False, None),
]


@pytest.mark.parametrize(("code", "message", "retryable", "outage", "opt_out", "wait_s"), TABLE)
def test_each_error_code_means_retry_give_up_opt_out_or_wait(
    code: str, message: str, retryable: bool, outage: bool, opt_out: bool, wait_s: float | None
) -> None:
    error = classify(code, message, cap_max_wait_s=HOUR)
    assert (error.code, error.retryable, error.outage, error.opt_out) == (code, retryable, outage, opt_out)
    assert error.retry_after_s == wait_s
    assert not error.uncertain  # an answer, however negative, is never an uncertain send
    if code == "isv.BUSINESS_LIMIT_CONTROL" and not retryable:
        assert "cap is reached for today" in str(error) and message in str(error)


def test_a_longer_allowed_wait_holds_even_the_daily_cap() -> None:
    error = classify("isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:10", cap_max_wait_s=86400)
    assert error.retryable and error.retry_after_s == 86400 and not error.outage


def test_aliyun_settings_are_refused_in_production_when_incomplete() -> None:
    with pytest.raises(ValidationError) as refused:
        NotificationsSettings(environment="production", sms_provider="aliyun", aliyun_access_key_id="LTAI5t")
    text = str(refused.value)
    for name in ("ALIYUN_ACCESS_KEY_SECRET", "ALIYUN_SMS_SIGN_NAME", "ALIYUN_SMS_ENDPOINT", "PUSH_NETWORKS"):
        assert name in text
    with pytest.raises(ValidationError, match="plain http"):
        NotificationsSettings(
            environment="production",
            sms_provider="aliyun",
            aliyun_access_key_id="LTAI5t",
            aliyun_access_key_secret="s",
            aliyun_sign_name="居住证运维",
            aliyun_endpoint="http://dysmsapi.aliyuncs.com",
            aliyun_push_networks="100.104.0.0/16",
        )
    complete = NotificationsSettings(
        environment="production",
        sms_provider="aliyun",
        aliyun_access_key_id="LTAI5t",
        aliyun_access_key_secret="s",
        aliyun_sign_name="居住证运维",
        aliyun_endpoint="dysmsapi.aliyuncs.com",
        aliyun_push_networks="100.104.0.0/16, 2408:4000::/32",
    )
    assert not complete.uses_sink and len(complete.aliyun_push_networks) == 2


def test_provider_parameters_are_clipped_for_rules_and_refused_for_business() -> None:
    mapping = {"no": "number", "what": "title"}
    variables = {"number": "20261207-0001", "title": "读" * 40}
    clipped = rules.provider_params(mapping, variables, clip=True)
    assert clipped["no"] == "20261207-0001" and len(clipped["what"]) == 35 and clipped["what"].endswith("…")
    with pytest.raises(RuleViolation) as refused:
        rules.provider_params(mapping, variables, clip=False, field="messages[3].variables")
    assert refused.value.extensions["field"] == "messages[3].variables.title"
