"""Issue 17.8: a file name with a right-to-left override (or another invisible control character) was
accepted silently; pre-flight now says which character hides in which name."""

from __future__ import annotations

from pathlib import Path

from hyperota_desktop.domain.bundles import BundleEntry, recognise
from hyperota_desktop.sandbox.aws import AwsSandbox
from tests.support.packages_env import make_service

RLO = "\u202e"


def test_invisible_characters_are_named_and_shown_escaped() -> None:
    entries = [BundleEntry("index.android.bundle", 10), BundleEntry(f"assets/invoice{RLO}fdp.js", 5),
               BundleEntry("assets/zero\u200bwidth.png", 5), BundleEntry("assets/plain.png", 5)]  # fmt: skip
    warnings = recognise(entries, index="index.android.bundle").warnings
    hidden = [w for w in warnings if "U+" in w]
    assert len(hidden) == 2
    assert "'assets/invoice\\u202efdp.js' contains U+202E RIGHT-TO-LEFT OVERRIDE" in hidden[0]
    assert "U+200B ZERO WIDTH SPACE" in hidden[1]
    assert all(RLO not in w for w in warnings)  # the warning itself cannot be spoofed


async def test_preflight_warns_about_a_right_to_left_override(aws: AwsSandbox, tmp_path: Path) -> None:
    root = tmp_path / "bundle"
    (root / "assets").mkdir(parents=True)
    (root / "index.android.bundle").write_bytes(b"var a = 1;")
    (root / "assets" / f"photo{RLO}gpj.exe").write_bytes(b"x")
    service = make_service(tmp_path / "home", aws.endpoint)
    pre = await service.preflight("acme", "names", [root], index="index.android.bundle")
    assert any("U+202E RIGHT-TO-LEFT OVERRIDE" in w and "photo\\u202egpj.exe" in w for w in pre.warnings)
