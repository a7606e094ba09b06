"""The personal-data key: a process without a usable one refuses to start, naming what is wrong."""

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsdesk_shared import personal_data
from opsdesk_shared.testing.plugin import RunEnvironment


@pytest.fixture(autouse=True)
def run_key_afterwards(opsdesk: RunEnvironment) -> Iterator[None]:
    """The key is per process: give the run's back to the tests that follow in this one."""
    yield
    personal_data.configure(opsdesk.pii_key_file)


def test_a_missing_or_malformed_key_is_refused_with_its_reason(tmp_path: Path) -> None:
    with pytest.raises(personal_data.PersonalDataKeyMissing, match="OPSDESK_PII_KEY_FILE"):
        personal_data.configure(tmp_path / "absent.key")
    (short := tmp_path / "short.key").write_text(base64.b64encode(b"x" * 32).decode())
    with pytest.raises(personal_data.PersonalDataKeyMissing, match="needs 64"):
        personal_data.configure(short)
    (garbled := tmp_path / "garbled.key").write_text("not base64 !")
    with pytest.raises(personal_data.PersonalDataKeyMissing, match="base64"):
        personal_data.configure(garbled)


def test_a_made_key_encrypts_the_same_number_the_same_way_and_back(tmp_path: Path) -> None:
    key = tmp_path / "pii.key"
    assert personal_data.create_key_file(key) and not personal_data.create_key_file(key)  # made once
    personal_data.configure(key)
    sealed = personal_data.encrypt("+8613800138000")
    assert sealed.startswith("v1:") and "13800138000" not in sealed
    assert personal_data.encrypt("+8613800138000") == sealed  # lookups by number depend on it
    assert personal_data.decrypt(sealed) == "+8613800138000"
