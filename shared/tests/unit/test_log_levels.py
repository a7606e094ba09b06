"""What a person running `make run` reads: development leaves out the line per consumed event; tests and
production keep it (it is how a request's correlation id is followed through the workers)."""

import logging

import pytest
import structlog

from opsdesk_shared.observability import ROUTINE_EVENTS_LOGGER, configure_logging


@pytest.mark.parametrize(
    ("environment", "routine_shown"),
    [("development", False), ("test", True), ("production", True)],
)
def test_routine_event_lines_by_environment(
    environment: str, routine_shown: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("demo", "INFO", "json", environment=environment)
    try:
        structlog.get_logger(ROUTINE_EVENTS_LOGGER).info("event_consumed", event_type="ticket.created")
        structlog.get_logger("opsdesk_shared.messaging.consumer").warning("event_handler_failed")
        out = capsys.readouterr().out
    finally:
        logging.getLogger(ROUTINE_EVENTS_LOGGER).setLevel(logging.NOTSET)
        root.handlers[:], root.level = handlers, level
        structlog.reset_defaults()
    assert ("event_consumed" in out) is routine_shown
    assert "event_handler_failed" in out  # problems always show
