"""The server's device bucketing, pinned against values computed independently of this project.

Two implementations exist on purpose: the client's (`domain.bucketing`, on the `siphash24` library) and the
emulator's own (`sandbox/superposition/buckets.py`, pure Python). Both must equal what Rust computes
(`tests/data/rust_bucket_reference.rs`) and SipHash-1-3's published test vectors; the core library's
string hash (what `superposition-bindings` does) gives other buckets.
"""

from __future__ import annotations

import json

import pytest

from hyperota_desktop.domain.bucketing import server_bucket, server_hash
from hyperota_desktop.sandbox.superposition import buckets as emulator
from hyperota_desktop.sandbox.superposition.engine import siphash13

# identifier, group id, DefaultHasher((identifier, group_id as i64)), DefaultHasher((identifier, str))
RUST = [
    ("", 0, 10100562149316582883, 4414798448169518166),
    ("", 1, 4776066116660907223, 4814181330010436832),
    ("", 7312345678901234567, 5171221688003432059, 17534960183668613172),
    ("", -5, 3996820157054785668, 17303639159426569875),
    ("device-1", 0, 7195115530020600044, 9826507292587185642),
    ("device-1", 1, 1577486403239267487, 7736919700205366769),
    ("device-1", 7312345678901234567, 17682121755065279285, 14087663953506284265),
    ("device-42", 1, 5123505143508227507, 1095590782157528485),
    ("device-42", 7312345678901234567, 281721005748449719, 5782594521536265832),
    ("a", -5, 11975437855028501650, 7228216355786734938),
    ("émoji-✓", 7312345678901234567, 7677410081911505042, 14234396807913344822),
    ("00000000-0000-4000-8000-000000000000", 1, 910998001756687563, 9355447761383135069),
    ("a-very-long-identifier-that-spans-more-than-eight-bytes", 7312345678901234567, 6426263997731271304,
     6180886533101902303),
]  # fmt: skip

# SipHash-1-3 with key 00..0f over messages 00, 00 01, 00 01 02, ... (the vectors Rust's core library
# tests its SipHasher13 with: library/core/tests/hash/sip.rs, first eight of them).
VECTORS_13 = [
    0xABAC0158050FC4DC, 0xC9F49BF37D57CA93, 0x82CB9B024DC7D44D, 0x8BF80AB8E7DDF7FB,
    0xCF75576088D38328, 0xDEF9D52F49533B67, 0xC50D2B50C59F22A7, 0xD3927D989BB11140,
]  # fmt: skip
KEY = bytes(range(16))


@pytest.mark.parametrize(("length", "expected"), list(enumerate(VECTORS_13)))
def test_both_siphash13_implementations_match_the_published_vectors(length: int, expected: int) -> None:
    import siphash24

    message = bytes(range(length))
    k0, k1 = int.from_bytes(KEY[:8], "little"), int.from_bytes(KEY[8:], "little")
    assert siphash13(message, k0, k1) == expected  # the emulator's own
    assert (
        int.from_bytes(siphash24.siphash13(message, key=KEY).digest(), "little") == expected
    )  # the client's


@pytest.mark.parametrize(("identifier", "group", "server", "core"), RUST)
def test_the_server_bucket_is_rusts_default_hasher_over_identifier_and_i64(
    identifier: str, group: int, server: int, core: int
) -> None:
    assert server_hash(identifier, group) == server
    assert server_bucket(identifier, group) == server % 100 == emulator.server_bucket(identifier, str(group))


def test_the_core_librarys_bucket_hashes_the_group_id_as_a_string() -> None:
    """What superposition-bindings computes is Rust's hash of (str, str): another bucket for most devices."""
    from superposition_bindings import superposition_client as c
    from superposition_bindings import superposition_types as t

    differ = 0
    for identifier, group, server, core in RUST:
        buckets = [None] * 100
        buckets[core % 100] = t.Bucket(experiment_id="1", variant_id="1-x")
        variant = t.Variant(id="1-x", variant_type=t.VariantType.EXPERIMENTAL, context_id=None,
                            override_id=None, overrides={"k": json.dumps(1)})  # fmt: skip
        experiment = c.FfiExperiment(id="1", traffic_percentage=100, variants=[variant], context={},
                                     status=t.ExperimentStatusType.INPROGRESS)  # fmt: skip
        group_ = c.FfiExperimentGroup(id=str(group), context={}, traffic_percentage=100,
                                      member_experiment_ids=["1"], group_type=t.GroupType.SYSTEM_GENERATED,
                                      buckets=buckets)  # fmt: skip
        args = c.ExperimentationArgs(
            experiments=[experiment], experiment_groups=[group_], targeting_key=identifier
        )
        picked = c.ffi_get_applicable_variants(args, {}, {}, None, None)
        assert (picked == ["1-x"]) == bool(identifier)  # the core uses the string hash (no id: no variant)
        differ += server % 100 != core % 100
    assert differ >= len(RUST) - 2
