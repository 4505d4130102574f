from __future__ import annotations

import json
from pathlib import Path

import pytest

from hyperota_desktop.domain.errors import Conflict, NotFound, ValidationError
from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.domain.settings import SETTINGS
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.stores.profiles import ProfileStore
from hyperota_desktop.stores.secrets import SecretStore
from hyperota_desktop.stores.settings import SettingsStore

ISSUER = "https://sso.example.com/realms/hyperota"


def test_settings_round_trip_and_defaults(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    for spec in SETTINGS:
        assert store.get(spec.key) == spec.default
    store.set("upload/parallel_parts", 8)
    store.set("ui/theme", "dark")
    again = SettingsStore(tmp_path / "settings.json")
    assert again.get("upload/parallel_parts") == 8
    assert again.get("ui/theme") == "dark"


def test_settings_refuse_unknown_keys_and_wrong_types(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    with pytest.raises(ValidationError, match="Unknown setting"):
        store.set("nope", 1)
    with pytest.raises(ValidationError, match="takes a int"):
        store.set("upload/parallel_parts", "8")
    with pytest.raises(ValidationError):
        store.set("ui/theme", "purple")


def test_damaged_settings_file_falls_back_to_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    assert SettingsStore(path).get("ui/theme") == "system"
    path.write_text(json.dumps({"upload/parallel_parts": "many"}))
    assert SettingsStore(path).get("upload/parallel_parts") == 4


def test_profiles_save_list_activate_remove(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "profiles.json")
    store.save(Profile(name="a", issuer=ISSUER))
    store.save(Profile(name="b", issuer=ISSUER))
    assert [p.name for p in store.list()] == ["a", "b"]
    assert store.active_name() == "a"
    with pytest.raises(Conflict):
        store.save(Profile(name="a", issuer=ISSUER))
    store.set_active("b")
    store.remove("b")
    assert store.active_name() == "a"
    with pytest.raises(NotFound):
        store.get("b")


def test_profiles_file_is_written_atomically(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "profiles.json")
    store.save(Profile(name="a", issuer=ISSUER))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    (tmp_path / "profiles.json").write_text("garbage")
    with pytest.raises(ValidationError, match="not valid JSON"):
        store.list()


def test_dirs_under_one_root(tmp_path: Path) -> None:
    dirs = AppDirs.under(tmp_path / "root").ensure()
    for path in (dirs.config, dirs.data, dirs.cache, dirs.logs):
        assert path.is_dir() and path.is_relative_to(tmp_path / "root")


def test_secret_store_uses_the_keyring(memory_keyring) -> None:
    store = SecretStore()
    store.set("p", "refresh_token", "tok-123456789")
    assert store.persistent
    assert store.get("p", "refresh_token") == "tok-123456789"
    assert ("hyperota-desktop", "p/refresh_token") in memory_keyring.store
    store.delete("p", "refresh_token")
    assert store.get("p", "refresh_token") is None


def test_secret_store_without_keyring_keeps_secrets_in_memory_only(tmp_path: Path) -> None:
    import keyring
    from keyring.backends.fail import Keyring as FailKeyring

    keyring.set_keyring(FailKeyring())
    store = SecretStore()
    store.set("p", "refresh_token", "tok-abcdefgh")
    assert not store.persistent
    assert store.get("p", "refresh_token") == "tok-abcdefgh"
    assert SecretStore().get("p", "refresh_token") is None  # nothing reached disk
