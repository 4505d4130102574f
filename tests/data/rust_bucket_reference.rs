// How the reference values in tests/sandbox/test_superposition_buckets.py were computed, independently of
// any Python code: `rustc -O rust_bucket_reference.rs && ./rust_bucket_reference` (rustc 1.95.0).
// `server` is experimentation_client::calculate_bucket_index (Superposition v0.87.0, v0.117.1): Rust's
// DefaultHasher over the tuple (identifier: &str, group_id: &i64); `core` is superposition_core's, which
// hashes the group id as a string. Columns: identifier, group id, server hash, server bucket, core hash,
// core bucket.
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
fn server(identifier: &str, group_id: &i64) -> u64 { let mut h = DefaultHasher::new(); (identifier, group_id).hash(&mut h); h.finish() }
fn core(identifier: &str, group_id: &str) -> u64 { let mut h = DefaultHasher::new(); (identifier, group_id).hash(&mut h); h.finish() }
fn main() {
    let ids = ["", "device-1", "device-42", "a", "émoji-✓", "00000000-0000-4000-8000-000000000000", "a-very-long-identifier-that-spans-more-than-eight-bytes"];
    let groups: [i64; 4] = [0, 1, 7312345678901234567, -5];
    for id in ids.iter() { for g in groups.iter() {
        let s = server(id, g); let c = core(id, &g.to_string());
        println!("{:?}\t{}\t{}\t{}\t{}\t{}", id, g, s, s % 100, c, c % 100);
    }}
}
