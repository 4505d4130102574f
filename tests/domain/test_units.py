from __future__ import annotations

from hyperota_desktop.domain.units import human_size


def test_sizes_read_the_same_everywhere() -> None:
    assert [human_size(n) for n in (0, 1023, 1024, 1536 * 1024, 3 * 1024**3, 5 * 1024**4)] == [
        "0 B", "1023 B", "1.0 KiB", "1.5 MiB", "3.0 GiB", "5.0 TiB"
    ]  # fmt: skip
