//! Fuzzes the `.oxbin` decoder: any input is a clean error or a valid artifact,
//! never a panic, and a decoded artifact re-encodes to the same bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ox_ir::oxbin::{decode, encode, summary};

fuzz_target!(|data: &[u8]| {
    if let Ok(artifact) = decode(data) {
        let _ = summary(&artifact);
        let again = encode(&artifact.module).expect("a decoded module re-encodes");
        let reloaded = decode(&again).expect("a re-encoded module decodes");
        assert_eq!(reloaded.module, artifact.module);
        assert_eq!(reloaded.schema_hash, artifact.schema_hash);
        assert_eq!(encode(&reloaded.module).expect("re-encodes"), again);
    }
});
