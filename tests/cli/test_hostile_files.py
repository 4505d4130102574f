"""Issues 17.5 and 17.6: files from outside (profile exports, endpoints files, our own stores edited
by hand) get a typed error and an exit code: no traceback, no unbounded read, no wait on a pipe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperota_desktop.app.cli_entry import main as cli_main
from hyperota_desktop.domain.errors import HyperOtaError, ValidationError
from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.services.profiles import ProfileService, profile_from_endpoints
from hyperota_desktop.stores.profiles import ProfileStore
from hyperota_desktop.stores.secrets import SecretStore
from hyperota_desktop.stores.untrusted import SMALL_FILE_LIMIT, read_small_file

ENDPOINTS = {
    "issuer": "http://127.0.0.1:1/realms/hyperota", "client_id": "hyperota-desktop",
    "superposition_url": "http://127.0.0.1:2", "s3_endpoint": "http://127.0.0.1:3", "region": "us-east-1",
    "bucket": "hyperota", "public_base_url": "http://127.0.0.1:3/hyperota", "kms_data_key": "alias/d",
    "kms_signing_key": "alias/s", "aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "s" * 20,
}  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli_main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_deeply_nested_json_is_refused_with_a_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"profile": ' + "[" * 100_000 + "]" * 100_000 + "}")
    code, _, err = run(capsys, "profile", "import", str(deep))
    assert code == 5 and "nested too deeply" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("missing", ["aws_access_key_id", "aws_secret_access_key", "bucket"])
def test_an_endpoints_file_without_a_key_names_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, missing: str
) -> None:
    path = tmp_path / "endpoints.json"
    path.write_text(json.dumps({k: v for k, v in ENDPOINTS.items() if k != missing}))
    code, _, err = run(capsys, "profile", "import", str(path))
    assert code == 5 and missing in err


def test_an_endpoints_file_with_a_number_for_a_key_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "endpoints.json"
    path.write_text(json.dumps({**ENDPOINTS, "aws_secret_access_key": 12345678, "region": ["x"]}))
    code, _, err = run(capsys, "profile", "import", str(path))
    assert code == 5 and "aws_secret_access_key, region must be text" in err


def test_a_device_is_refused_without_reading_it(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "profile", "import", "/dev/zero")
    assert code == 5 and "not a regular file" in err


def test_a_large_file_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (SMALL_FILE_LIMIT + 1))
    code, _, err = run(capsys, "profile", "import", str(big))
    assert code == 5 and "larger than" in err


def test_a_file_that_grows_while_read_is_cut_at_the_limit(tmp_path: Path) -> None:
    """/proc files report size 0 yet have content: the limit counts bytes read, not st_size."""
    assert read_small_file(Path("/proc/self/status"), limit=SMALL_FILE_LIMIT)
    with pytest.raises(ValidationError, match="larger than"):
        read_small_file(Path("/proc/self/status"), limit=10)


def _cli(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HYPEROTA_HOME": str(tmp_path / "home")}
    cmd = [sys.executable, "-m", "hyperota_desktop.app.cli_entry", *argv]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60, check=False)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "profile.json"
    os.mkfifo(fifo)
    result = _cli(tmp_path, "profile", "import", str(fifo))  # used to block forever
    assert result.returncode == 5 and "not a regular file" in result.stderr


def test_a_fifo_in_place_of_the_profiles_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "home" / "config"
    config.mkdir(parents=True)
    os.mkfifo(config / "profiles.json")
    result = _cli(tmp_path, "profile", "list")
    assert result.returncode == 5 and "not a regular file" in result.stderr


# -- fuzz: whatever the file holds, the answer is a profile or a typed error ------------------------
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
_endpoint_like = st.dictionaries(
    st.sampled_from([*ENDPOINTS, "superposition_org_id", "users", "profile", "name"]),
    _json | st.text(),
    max_size=14,
)
_documents = st.one_of(
    _json.map(json.dumps),
    _endpoint_like.map(json.dumps),
    st.fixed_dictionaries({"profile": _endpoint_like}).map(json.dumps),
    st.fixed_dictionaries({k: st.just(v) for k, v in ENDPOINTS.items()}).map(json.dumps),
    st.integers(1, 5000).map(lambda n: "[" * n + "]" * n),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_documents)
def test_fuzz_profile_import(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    service = ProfileService(ProfileStore(tmp_path / "profiles.json"), SecretStore())
    try:
        profile = service.import_file(path, overwrite=True)
    except HyperOtaError as exc:
        assert exc.message
    else:
        assert isinstance(profile, Profile)


@settings(max_examples=300, deadline=None)
@given(data=_endpoint_like)
def test_fuzz_endpoints_mapping(data: dict[str, object]) -> None:
    try:
        profile, keys = profile_from_endpoints(data, "sandbox")
    except ValidationError:
        return
    assert keys is not None and all(isinstance(k, str) for k in keys)
    assert profile.bucket == data["bucket"]
