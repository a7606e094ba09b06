"""The English UI is complete: every Chinese string the templates and pages can show has a translation."""

import ast
import re
from pathlib import Path

import pytest

from gateway.web.api_client import ApiError
from gateway.web.i18n import gettext_for
from gateway.web.i18n.errors import MESSAGES, error_message
from gateway.web.i18n.messages import missing, source_strings, translated
from opsdesk_shared.errors import HANDLER_CODES, HTTP_CODES, VALIDATION_CODES


def test_every_string_the_ui_shows_has_an_english_translation() -> None:
    assert list(missing("en")) == []


def test_the_catalogue_is_what_the_english_ui_uses() -> None:
    english = gettext_for("en")
    assert len(source_strings()) > 200
    assert english("监管看板") == "Supervision"
    assert gettext_for("zh-CN")("监管看板") == "监管看板"


# The error catalogue: every code the services, the gateway and the pages can answer with has words in
# Chinese and English. The codes are found in the source (raise sites' `code=`, the error classes' own,
# the handlers' and pydantic's catalogue), so a new code without words fails here.
ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "shared" / "opsdesk_shared", ROOT / "gateway" / "gateway", *(ROOT / "services").glob("*/[a-z]*")]


def _names(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def codes_in(source: str, where: str = "<source>") -> set[str]:
    """The problem codes one module can answer with; a `code=` that is not a literal fails (it could not
    be checked)."""
    found: set[str] = set()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for statement in node.body:
                if (
                    isinstance(statement, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "code" for t in statement.targets)
                    and isinstance(statement.value, ast.Constant)
                    and isinstance(statement.value.value, str)
                ):
                    found.add(statement.value.value)
        if not isinstance(node, ast.Call):
            continue
        name = _names(node.func)
        raised = name in RAISABLE or name == "problem_response"
        for keyword in node.keywords if raised else ():
            if keyword.arg == "code":
                value = keyword.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    found.add(value.value)
                elif not where.endswith("opsdesk_shared/errors.py"):  # its handlers pass on codes given them
                    assert ast.unparse(value) == "exc.code", f"{where}: code={ast.unparse(value)} is not a literal"
        if name == "ApiError":
            for argument in node.args:
                if isinstance(argument, ast.Dict):
                    for key, value in zip(argument.keys, argument.values, strict=True):
                        if isinstance(key, ast.Constant) and key.value == "code" and isinstance(value, ast.Constant):
                            found.add(str(value.value))
        if name == "PydanticCustomError" and node.args and isinstance(node.args[0], ast.Constant):
            found.add(str(node.args[0].value))  # a validator's own code (opsdesk_shared.errors.validation_code)
        if name == "_page_error" and len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
            found.add(str(node.args[1].value))
    return found


RAISABLE = {
    "DomainError",
    "NotFound",
    "Conflict",
    "RuleViolation",
    "Unauthorized",
    "Forbidden",
    "Locked",
    "TooManyRequests",
    "PayloadTooLarge",
    "ServiceUnavailable",
    "AccountDormant",
    "OtpRequired",
    "RefreshReused",
}


def emitted_codes() -> set[str]:
    found = set(VALIDATION_CODES.values()) | set(HTTP_CODES.values()) | set(HANDLER_CODES)
    for folder in SOURCES:
        for path in folder.rglob("*.py"):
            if "migrations" in path.parts or "tests" in path.parts:
                continue
            found |= codes_in(path.read_text(encoding="utf-8"), str(path))
    return found


def test_every_code_the_services_can_emit_has_chinese_and_english_words() -> None:
    codes = emitted_codes()
    # the scan sees what the issue named, the classes' own and the pages' own
    assert {"ticket.unit_out_of_scope", "password.breached", "validation.not_a_number", "route.not_found"} <= codes
    assert {"not_found", "rule_violated", "forbidden", "web.photo_required"} <= codes
    assert sorted(codes - set(MESSAGES)) == []
    english = translated("en")
    assert sorted(code for code in codes if MESSAGES[code] not in english) == []


def test_a_new_code_without_words_is_caught() -> None:
    source = 'raise RuleViolation("the printer is on fire", field="asset_tag", code="asset.on_fire")\n'
    assert codes_in(source) == {"asset.on_fire"}
    assert "asset.on_fire" not in MESSAGES
    with pytest.raises(AssertionError):
        codes_in('raise Conflict("x", code=CODES[0])\n')


def test_figures_fill_the_message_in_both_languages() -> None:
    english = translated("en")
    for code, text in MESSAGES.items():
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", english[text])), code
    assert error_message("validation.too_long", {"max_length": 200}, gettext_for("zh-CN")) == "最多 200 个字符。"
    assert error_message("validation.too_long", {"max_length": 200}, gettext_for("en")) == "At most 200 characters."
    assert error_message("validation.too_long", {}, gettext_for("zh-CN")) == "最多 … 个字符。"


def test_a_problem_is_worded_in_the_users_language_once_per_field() -> None:
    problem = {
        "title": "Invalid request",
        "detail": "parts.0.unit_cost: Input should be a valid decimal",
        "code": "validation.not_a_number",
        "errors": [
            {"field": "parts.0.unit_cost", "code": "validation.not_a_number", "params": {}},
            {"field": "parts.0.unit_cost", "code": "validation.too_small", "params": {"ge": "0"}},
        ],
    }
    chinese = ApiError(422, problem, "zh-CN")
    assert chinese.field_paths() == {"parts.0.unit_cost": "请输入数字（如 1200 或 1200.50，不要加逗号或单位）。"}
    assert chinese.detail == "请输入数字（如 1200 或 1200.50，不要加逗号或单位）。"
    assert chinese.detail.fields == ("parts",)
    assert ApiError(422, problem, "en").field_errors()["parts"].startswith("Enter a number")
    scope = {"detail": "requesters file tickets within their own unit's subtree only", "field": "unit_id"}
    refused = ApiError(403, {**scope, "code": "ticket.unit_out_of_scope"}, "zh-CN")
    assert refused.field_errors() == {"unit_id": "只能为本单位及下属单位报修，请选择您所在的单位。"}
    # A code with only generic words: Chinese says the generic words, English may say the API's own.
    vague = ApiError(409, {"detail": "the printer is busy", "code": "conflict"}, "zh-CN")
    assert vague.detail == "该操作与当前状态冲突，请刷新后重试。" and vague.detail.fields == ()
    assert ApiError(409, {"detail": "the printer is busy", "code": "conflict"}, "en").detail == "the printer is busy"
    assert ApiError(502, {}, "zh-CN").detail == "系统发生意外错误，已记录，请稍后重试。"
