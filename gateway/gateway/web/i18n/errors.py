"""The words for every problem code the API can answer with (`opsdesk_shared.errors`), in the UI's
language: Chinese here (the source text), English in `en.po` like every other string. `{name}` takes the
problem's `params` (pydantic's limits, a count of days...). The i18n test fails on a code the services can
emit without a message here, and on a message without its English."""

from collections.abc import Callable, Mapping
from typing import Any

from gateway.web.i18n import N_

# The class defaults (`opsdesk_shared.errors`): what a problem says when nothing more precise was given.
GENERIC = {
    "request.invalid": N_("请求无效。"),
    "not_found": N_("找不到该记录，可能已被删除，或不在您的权限范围内。"),
    "conflict": N_("该操作与当前状态冲突，请刷新后重试。"),
    "rule_violated": N_("该操作不符合业务规则。"),
    "forbidden": N_("您无权执行此操作。"),
    "auth.unauthenticated": N_("请先登录。"),
    "auth.locked": N_("账号已被临时锁定，请稍后再试。"),
    "rate_limited": N_("操作过于频繁，请稍后再试。"),
    "payload_too_large": N_("提交的内容过大。"),
    "unavailable": N_("服务暂时不可用，请稍后重试。"),
    "internal": N_("系统发生意外错误，已记录，请稍后重试。"),
    "http.error": N_("请求未能完成。"),
}

MESSAGES: dict[str, str] = {
    **GENERIC,
    # pydantic's error types, one catalogue for every form (opsdesk_shared.errors.VALIDATION_CODES)
    "validation.required": N_("此项必填。"),
    "validation.too_short": N_("至少 {min_length} 个字符。"),
    "validation.too_long": N_("最多 {max_length} 个字符。"),
    "validation.pattern": N_("格式不正确。"),
    "validation.not_text": N_("请输入文字。"),
    "validation.not_an_integer": N_("请输入整数。"),
    "validation.not_a_number": N_("请输入数字（如 1200 或 1200.50，不要加逗号或单位）。"),
    "validation.too_many_digits": N_("数字位数过多，最多 {max_digits} 位。"),
    "validation.too_many_decimals": N_("小数最多 {decimal_places} 位。"),
    "validation.must_exceed": N_("必须大于 {gt}。"),
    "validation.too_small": N_("不能小于 {ge}。"),
    "validation.must_be_below": N_("必须小于 {lt}。"),
    "validation.too_large": N_("不能大于 {le}。"),
    "validation.not_a_boolean": N_("请选择是或否。"),
    "validation.not_a_list": N_("应为一组值（列表）。"),
    "validation.too_few_items": N_("至少需要 {min_length} 项。"),
    "validation.too_many_items": N_("最多 {max_length} 项。"),
    "validation.not_an_object": N_("内容格式不正确。"),
    "validation.not_a_choice": N_("请从列表中选择。"),
    "validation.not_an_id": N_("请从列表中选择（编号无效）。"),
    "validation.not_a_date": N_("请输入有效日期。"),
    "validation.not_a_datetime": N_("请输入有效的日期和时间。"),
    "validation.timezone_required": N_("时间需带时区。"),
    "validation.not_a_time": N_("请输入有效时间。"),
    "validation.not_a_duration": N_("请输入有效时长。"),
    "validation.invalid_json": N_("提交的内容无法解析。"),
    "validation.unknown_field": N_("不认识的字段。"),
    "validation.not_a_url": N_("请输入有效网址。"),
    "validation.invalid": N_("输入无效。"),
    "validation.unstorable_text": N_("文字中含有无法保存的字符。"),
    "validation.not_a_phone": N_("请输入有效的电话号码。"),
    # routes and the edge
    "route.not_found": N_("页面或接口不存在。"),
    "route.method_not_allowed": N_("不支持该请求方式。"),
    "request.target_invalid": N_("请求地址含有不允许的字符。"),
    # sign-in, tokens, second factor
    "auth.token_expired": N_("登录已过期，请重新登录。"),
    "auth.token_invalid": N_("登录凭据无效，请重新登录。"),
    "auth.setup_required": N_("请先完成账号设置（修改密码或绑定验证器）。"),
    "auth.role_required": N_("您的角色无权执行此操作。"),
    "auth.invalid_credentials": N_("用户名或密码错误。"),
    "auth.otp_required": N_("请输入验证器应用上的 6 位动态码。"),
    "auth.too_many_failures": N_("登录失败次数过多，请 {minutes} 分钟后再试。"),
    "auth.account_dormant": N_("账号长期未使用已被停用，请联系管理员启用。"),
    "auth.account_disabled": N_("账号已停用。"),
    "auth.refresh_invalid": N_("会话已失效，请重新登录。"),
    "auth.refresh_reused": N_("会话已在所有设备上结束，请重新登录。"),
    "auth.session_ended": N_("会话已结束，请重新登录。"),
    "auth.api_key_invalid": N_("API 密钥无效或已吊销。"),
    "api_key.not_found": N_("找不到该 API 密钥。"),
    "api_key.scope_missing": N_("API 密钥缺少所需权限。"),
    "totp.already_set_up": N_("已绑定验证器；如需重置请联系安全管理员。"),
    "totp.already_confirmed": N_("验证器已确认。"),
    "totp.not_started": N_("请先开始绑定验证器。"),
    "totp.wrong_code": N_("动态码错误或已使用，请检查手机时间后重试。"),
    # passwords
    "password.too_weak": N_("密码至少 8 位，且包含大写字母、小写字母、数字、符号中的 3 类。"),
    "password.contains_username": N_("密码不能包含用户名。"),
    "password.breached": N_("该密码出现在已泄露密码库中（含加大写、数字、符号或形近字母替换的变体），请换一个。"),
    "password.current_wrong": N_("当前密码不正确。"),
    "password.unchanged": N_("新密码不能与当前密码相同。"),
    "password.mismatch": N_("两次输入的新密码不一致。"),
    # users and units (admin)
    "user.not_found": N_("找不到该用户。"),
    "user.username_taken": N_("用户名已被占用。"),
    "user.own_password_reset": N_("不能重置自己的密码，请在个人资料页修改。"),
    "user.own_roles": N_("不能修改自己的角色。"),
    "user.privileged_roles": N_("只有安全管理员可以授予或修改管理员、安全管理员、审计员角色。"),
    "user.bootstrap_roles": N_("初始账号的角色只能移交（减少），不能增加。"),
    "user.separation_of_duties": N_("{a} 与 {b} 不能由同一账号兼任（职责分离）。"),
    "unit.parent_unknown": N_("上级单位不存在。"),
    "unit.code_taken": N_("单位编码已存在。"),
    "unit.unknown": N_("单位不存在。"),
    "saved_view.too_many": N_("每个页面保存的视图已达上限。"),
    "saved_view.not_found": N_("找不到该保存的视图。"),
    "audit.verification_not_found": N_("找不到该次完整校验（可能在另一网关进程上启动）。"),
    "privacy.masked_search": N_("您的角色看到的是脱敏的个人信息，不能按其查找；请打开工单并说明理由后查看联系方式。"),
    # tickets (intake)
    "ticket.not_found": N_("找不到该工单，或它不在您的单位范围内。"),
    "ticket.unit_out_of_scope": N_("只能为本单位及下属单位报修，请选择您所在的单位。"),
    "ticket.impact_urgency_pair": N_("影响范围和紧急程度须同时填写或同时留空。"),
    "ticket.priority_override_forbidden": N_("优先级由影响范围 × 紧急程度决定，只有服务台可以调整。"),
    "ticket.priority_reason_required": N_("调整优先级须填写理由。"),
    "ticket.call_hotline_only": N_("只有热线坐席可以从来电建单。"),
    "ticket.reopen_window_passed": N_("工单解决超过 {days} 天后不能重开，请新建工单。"),
    "ticket.cancel_not_own": N_("报修人只能撤销自己提交的工单。"),
    "ticket.cancel_too_late": N_("工单已在处理中，请联系热线撤销。"),
    "ticket.illegal_transition": N_("工单当前状态不允许此操作，请刷新后查看。"),
    "ticket.field_cannot_be_emptied": N_("此项不能清空；不修改请保持原值。"),
    "ticket.nothing_to_change": N_("没有需要修改的内容。"),
    "ticket.closed_no_reclassify": N_("工单已结束，不能再修改分类。"),
    "ticket.number_unknown": N_("没有该编号的工单。"),
    "ticket.duplicate_of_itself": N_("工单不能标记为自身的重复。"),
    "ticket.duplicate_of_cancelled": N_("该工单已撤销，请填写继续处理的那张工单编号。"),
    "idempotency.in_progress": N_("同一请求正在处理中，请稍后重试。"),
    "idempotency.key_reused": N_("该幂等键已用于另一请求。"),
    "query.bad_cursor": N_("分页参数无效，请从第一页重新查看。"),
    "query.bad_sort": N_("不支持该排序方式。"),
    "query.page_needs_sort": N_("按页码翻页时须指定排序。"),
    "query.duplicates_needs_key": N_("请至少提供单位、设备编号或报修电话之一。"),
    "query.period_too_long": N_("时间范围过长。"),
    "call.not_found": N_("找不到该通话记录。"),
    "call.ticket_unknown": N_("关联的工单不存在。"),
    "call.already_linked": N_("该通话已关联到另一张工单。"),
    "call.ends_before_start": N_("通话结束时间不能早于开始时间。"),
    "canned_reply.not_found": N_("找不到该常用回复。"),
    "canned_reply.title_taken": N_("已有同名的常用回复。"),
    "attachment.too_large": N_("附件不能超过 {max_mib} MiB。"),
    "attachment.empty": N_("文件为空。"),
    "attachment.type_not_allowed": N_("只接受图片（PNG、JPEG、GIF、WebP、BMP）和 PDF 文件。"),
    "attachment.type_mismatch": N_("文件内容与其类型不符。"),
    "attachment.bad_extension": N_("文件扩展名与内容不符。"),
    "attachment.not_found": N_("找不到该附件。"),
    "attachment.content_missing": N_("附件内容已丢失。"),
    # work orders, duty, SLA (dispatch)
    "work_order.not_found": N_("找不到该派工单。"),
    "work_order.illegal_transition": N_("派工单当前状态不允许此操作，请刷新后查看。"),
    "work_order.not_yours": N_("只有被派的工程师或调度员可以执行此操作。"),
    "work_order.ticket_closed": N_("工单已不在待处理状态，无需派工。"),
    "work_order.already_active": N_("该工单已有进行中的派工，请改派。"),
    "work_order.same_engineer": N_("已派给该工程师。"),
    "work_order.parts_closed": N_("派工单已结束，不能再添加配件。"),
    "work_order.on_site_not_remote": N_("工程师已到场，这不是远程解决。"),
    "work_order.not_arrived": N_("尚未到场签到：请先到场，或勾选“远程解决”。"),
    "work_order.decline_not_yours": N_("只有被派的工程师可以拒单；调度员请改派或撤销。"),
    "work_order.media_custody_missing": N_("更换了存储介质：请先登记旧介质的交接再提交解决。"),
    "engineer.not_active": N_("该人员不是在岗工程师。"),
    "engineer.not_found": N_("找不到该工程师。"),
    "removal.not_found": N_("找不到该带离申请。"),
    "removal.already_decided": N_("该申请已审批过。"),
    "removal.own_request": N_("不能审批自己提交的申请。"),
    "duty.post_24h_times": N_("7×24 岗位全天值守：开始和结束时间须相同。"),
    "duty.post_code_taken": N_("岗位编码已存在。"),
    "duty.user_not_staff": N_("该人员不是调度已知的在岗员工。"),
    "duty.post_unknown": N_("岗位不存在。"),
    "duty.shift_ends_before_start": N_("班次结束时间须晚于开始时间。"),
    "duty.shift_overlap": N_("此人在该时段已有重叠的班次。"),
    "duty.already_clocked_in": N_("已签到，请先签退。"),
    "duty.not_clocked_in": N_("尚未签到。"),
    "sla.no_clocks": N_("该工单没有时限计时。"),
    "sla.policy_not_found": N_("找不到该时限策略。"),
    "sla.policy_needs_target": N_("时限策略至少需要一个时限目标。"),
    "sla.policy_overlap": N_("已有启用的策略匹配相同的类别和优先级。"),
    "escalation.not_found": N_("找不到该升级提醒。"),
    # reports
    "report.not_found": N_("找不到该归档报表。"),
    "report.no_unit": N_("您的账号不属于任何单位，没有可查看的统计。"),
    "report.unit_out_of_scope": N_("只能查看本单位及下属单位的统计。"),
    "report.export_busy": N_("您的上一个报表文件仍在生成，请稍候。"),
    "report.font_missing": N_("服务器缺少中文字体，暂不能导出 PDF。"),
    "contract.ends_before_start": N_("合同结束日期不能早于开始日期。"),
    "period.bad_week": N_("请输入有效的周（如 2026-W48）。"),
    "period.bad_quarter": N_("请输入有效的季度（如 2026Q4）。"),
    "period.from_after_to": N_("开始日期不能晚于结束日期。"),
    # SMS (notifications)
    "sms.not_found": N_("找不到该短信。"),
    "sms.not_opted_out": N_("该号码未退订。"),
    "sms.signature_invalid": N_("短信回调签名无效。"),
    "sms.trigger_unknown": N_("未知的触发事件。"),
    "sms.template_code_invalid": N_("模板编码只能包含小写字母、数字和下划线。"),
    "sms.rule_not_found": N_("找不到该短信规则。"),
    "sms.template_unknown": N_("短信模板不存在。"),
    "sms.template_malformed": N_("短信模板格式有误。"),
    "sms.template_bad_variable": N_("模板中的变量名无效。"),
    "sms.template_variable_unknown": N_("模板使用了该规则不提供的变量。"),
    "sms.template_variables_missing": N_("缺少模板变量。"),
    "sms.template_or_body": N_("请选择模板（并填写变量）或直接填写正文，二者选一。"),
    # the web pages' own checks, before anything reaches the API
    "web.photo_required": N_("请先拍照或选择图片。"),
    "web.signature_missing": N_("报修人尚未签字。"),
    "web.signature_unreadable": N_("签字无法读取，请重新签字。"),
    "web.files_kept": N_("已选择的文件已保留，无需重新选择。"),
}


class _Params(dict[str, Any]):
    def __missing__(self, key: str) -> str:  # a figure the problem did not give: left out, not an error
        return "…"


def error_message(code: str | None, params: Mapping[str, Any] | None, gettext: Callable[[str], str]) -> str | None:
    """The message for `code` in the UI's language, its `{figures}` filled from `params`; None for a code
    this catalogue does not know (the caller falls back to the class's generic words)."""
    text = MESSAGES.get(code or "")
    if text is None:
        return None
    return gettext(text).format_map(_Params(params or {}))


def generic_for(status: int) -> str:
    """The code whose words stand for a problem that came with no code we know."""
    return {
        400: "request.invalid",
        401: "auth.unauthenticated",
        403: "forbidden",
        404: "not_found",
        409: "conflict",
        413: "payload_too_large",
        422: "rule_violated",
        423: "auth.locked",
        429: "rate_limited",
        503: "unavailable",
    }.get(status, "internal" if status >= 500 else "http.error")
