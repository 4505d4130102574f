"""The composition root and lifetimes (issue 13): one `ProfileServices` per profile, replaced exactly
when what it depends on changes, and everything closed on quit — against the sandbox over HTTP."""

from __future__ import annotations

import asyncio
import gc
import json
from pathlib import Path

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import build_gui
from hyperota_desktop.domain.profiles import AwsCredentialMode
from hyperota_desktop.sandbox.aws import WEB_IDENTITY_ROLE_ARN
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.services.context import AppServices
from hyperota_desktop.services.org_sagas import APP_CREATE, ORG_CREATE
from hyperota_desktop.services.release_create import CREATE_KIND
from hyperota_desktop.services.storage import MiB
from hyperota_desktop.stores.dirs import AppDirs
from tests.support import bundles
from tests.support.gui import until
from tests.support.resources import open_files_under, open_http_clients
from tests.support.signin import grant, sign_in


def _services(tmp_path: Path, sandbox: Sandbox, **changes: object) -> AppServices:
    services = build_services(AppDirs.under(tmp_path / "home"))
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(json.dumps(sandbox.endpoints))
    profile = services.profiles.import_file(endpoints, name="sb")
    if changes:
        services.profiles.add(profile.with_changes(**changes), overwrite=True)
    services.profiles.use("sb")
    return services


def _frozen_key(services: AppServices) -> str:
    session = services.profile().aws.session()
    return str(session.get_credentials().get_frozen_credentials().access_key)


async def test_a_tag_records_who_moved_it(tmp_path: Path, sandbox: Sandbox) -> None:
    services = _services(tmp_path, sandbox)
    sign_in(sandbox, "sb", "alice")
    packages = services.profile().packages
    try:
        result = await packages.publish("tagorg", "tagapp", [bundles.react_native(tmp_path / "rn")])
        await packages.tag("tagorg", "tagapp", result.version, "stable")
        body = sandbox.aws.client("s3").get_object(
            Bucket=sandbox.aws.bucket, Key="tagorg/tagapp/tags/stable.json"
        )
        tag = json.loads(body["Body"].read())
        assert tag["updated_by"] == "alice@example.com"  # the signed-in person, not "unknown"
        assert result.manifest.created_by == "alice@example.com"  # one notion of who, for both
    finally:
        await services.aclose()


async def test_organisations_and_releases_are_built_when_first_needed(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """A publish builds none of them (their modules cost a command ~80 ms); a run of their kinds that a
    crash left, met by a reconciliation, builds them and registers their kinds, once."""
    services = _services(tmp_path, sandbox)
    sign_in(sandbox, "sb", "alice")
    profile = services.profile()
    try:
        await profile.packages.publish("lazyorg", "lazyapp", [bundles.react_native(tmp_path / "rn")])
        assert CREATE_KIND not in profile.sagas.definitions
        assert profile.sagas.definition(CREATE_KIND) is not None
        orgs = profile.orgs
        assert {CREATE_KIND, ORG_CREATE, APP_CREATE} <= set(
            profile.sagas.definitions
        ) and profile.orgs is orgs
        assert profile.releases.orgs is orgs  # one set, built together
    finally:
        await services.aclose()


async def test_someone_else_signing_in_gets_their_own_sts_credentials(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    services = _services(
        tmp_path,
        sandbox,
        aws_credential_mode=AwsCredentialMode.WEB_IDENTITY,
        aws_role_arn=WEB_IDENTITY_ROLE_ARN,
    )
    sign_in(sandbox, "sb", "alice")
    profile = services.profile()
    try:
        assert await profile.auth.is_signed_in()
        await profile.packages.storage.list_objects("nothing/")
        alices = await asyncio.to_thread(_frozen_key, services)
        assert profile.aws.sts_calls == 1
        await profile.auth.logout()
        interval = sandbox.keycloak.poll_interval
        sandbox.keycloak.set_auto_approve("bob")
        sandbox.keycloak.poll_interval = 1  # a quick device flow
        try:
            await profile.auth.login()
        finally:
            sandbox.keycloak.set_auto_approve(None)
            sandbox.keycloak.poll_interval = interval
        await profile.packages.storage.list_objects("nothing/")
        assert profile.aws.sts_calls == 2  # bob's token was exchanged: alice's credentials are gone
        assert await asyncio.to_thread(_frozen_key, services) != alices
        assert services.profile() is profile  # only what depends on the person was replaced
    finally:
        await services.aclose()


async def test_new_aws_keys_replace_only_the_aws_clients(tmp_path: Path, sandbox: Sandbox) -> None:
    services = _services(tmp_path, sandbox)
    profile = services.profile()
    try:
        first = await profile.aws.aclient("s3")
        assert await asyncio.to_thread(_frozen_key, services) == sandbox.aws.access_key_id
        await asyncio.to_thread(
            services.profiles.set_static_aws_keys, "sb", "AKIANEWKEYS000000000", sandbox.aws.secret_access_key
        )
        assert services.profile() is profile and profile.auth is services.profile().auth
        assert await profile.aws.aclient("s3") is not first
        assert await asyncio.to_thread(_frozen_key, services) == "AKIANEWKEYS000000000"
    finally:
        await services.aclose()


async def test_an_edited_profile_gets_new_services_and_the_old_ones_are_closed(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    services = _services(tmp_path, sandbox)
    sign_in(sandbox, "sb", "alice")
    old = services.profile()
    try:
        await old.orgs.list_orgs()  # opens the sign-in and Keycloak clients
        services.profiles.add(old.profile.with_changes(key_prefix="tenants"), overwrite=True)
        assert services.active.stale()
        new = services.profile()
        assert new is not old and new.profile.key_prefix == "tenants"
        (retired,) = services.active.detach()
        assert retired is old and not old.closed
        await retired.aclose()
        assert old.closed
    finally:
        await services.aclose()


async def test_settings_drive_uploads_and_timeouts(tmp_path: Path, sandbox: Sandbox) -> None:
    services = _services(tmp_path, sandbox)
    services.settings.set("upload/parallel_parts", 3)
    services.settings.set("upload/part_size_mib", 6)
    services.settings.set("network/timeout_s", 7)
    profile = services.profile()
    try:
        storage = profile.packages.storage
        assert (storage.uploads.concurrency, storage.uploads.part_size) == (3, 6 * MiB)
        s3 = await profile.aws.aclient("s3")
        assert s3.meta.config.read_timeout == 7 and s3.meta.config.max_pool_connections == 3 + 8
        assert profile.orgs.backends.keycloak._api._options["timeout"] == 7
    finally:
        await services.aclose()


def test_quit_leaves_no_client_file_or_connection_open(qtbot, tmp_path: Path, sandbox: Sandbox, loop) -> None:
    """Sign in, load organisations, publish, quit: then no httpx client and no SQLite file is open."""
    grant(sandbox, "dave", "/quitorg/quitapp/write")
    services = _services(tmp_path, sandbox)
    sign_in(sandbox, "sb", "dave")
    before = open_http_clients()
    gui = build_gui(services)
    qtbot.addWidget(gui.window)

    async def scenario() -> None:
        gui.auth.restore()
        await until(lambda: gui.auth.identity is not None, "the sign-in")
        await gui.wait_idle()
        await services.profile().packages.publish(
            "quitorg", "quitapp", [bundles.react_native(tmp_path / "rn")]
        )
        assert open_http_clients() - before  # the app had clients open …
        assert [f for f in open_files_under(tmp_path / "home") if ".sqlite3" in f]  # … and SQLite files
        s3 = await services.profile().aws.aclient("s3")
        await gui.shutdown()
        assert not s3._endpoint.http_session._manager.pools  # the boto3 client's connections went too

    loop.run_until_complete(scenario())
    assert open_http_clients() - before == set()
    assert open_files_under(tmp_path / "home") == []


def test_the_gui_freezes_a_profiles_s3_client_once_built(
    qtbot, tmp_path: Path, sandbox: Sandbox, loop
) -> None:
    """The boto3 client (its service model: ~35 k objects) lives as long as the sign-in: the GUI moves
    it out of the collector's reach when it is built, and again when a change of person rebuilds it, so
    full collections during a publish stay short (benchmark P3)."""
    services = _services(tmp_path, sandbox)
    sign_in(sandbox, "sb", "alice")
    gui = build_gui(services)
    qtbot.addWidget(gui.window)

    async def scenario() -> None:
        await gui.use_active_profile()
        aws = services.profile().aws
        try:
            gc.unfreeze()
            s3 = await aws.aclient("s3")
            assert _frozen(s3)
            assert await aws.aclient("s3") is s3
            aws.invalidate()  # someone else signed in: a new client, frozen in turn
            gc.unfreeze()
            assert _frozen(await aws.aclient("s3"))
        finally:
            gc.unfreeze()
            await gui.shutdown()

    loop.run_until_complete(scenario())


def _frozen(obj: object) -> bool:
    """Tracked objects of the young generations and the old one are the collector's; frozen ones are not."""
    return gc.is_tracked(obj) and all(obj is not o for gen in range(3) for o in gc.get_objects(gen))
