//! What `ox build` does after compiling, measured in one process on the
//! module of an existing artifact: encoding then decoding the bytes again
//! (the former path) against `encode_artifact` (the current one).
//!
//! `cargo run --release -p ox-ir --example build_cost -- FILE.oxbin [RUNS]`

use std::time::Instant;

use ox_ir::oxbin::{decode, encode, encode_artifact};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: build_cost FILE.oxbin [RUNS]");
        std::process::exit(2);
    };
    let runs: u32 = args.next().and_then(|r| r.parse().ok()).unwrap_or(3);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        eprintln!("cannot read {path}: {e}");
        std::process::exit(1);
    });
    let module = match decode(&bytes) {
        Ok(artifact) => artifact.module,
        Err(e) => {
            eprintln!("{path} does not load: [{}] {}", e.code, e.message);
            std::process::exit(1);
        }
    };
    for run in 1..=runs {
        let start = Instant::now();
        let encoded = encode(&module).expect("the module encodes");
        let decoded = decode(&encoded).expect("the artifact loads");
        let re_decoding = start.elapsed();
        let start = Instant::now();
        let (fresh, artifact) = encode_artifact(&module).expect("the module encodes");
        let in_memory = start.elapsed();
        assert_eq!(fresh, encoded);
        assert_eq!(artifact, decoded);
        println!(
            "run {run}: encode + decode {:.3} s, encode_artifact {:.3} s, ratio {:.2}",
            re_decoding.as_secs_f64(),
            in_memory.as_secs_f64(),
            in_memory.as_secs_f64() / re_decoding.as_secs_f64()
        );
    }
}
