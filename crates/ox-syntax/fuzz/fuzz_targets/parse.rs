//! Fuzzes the parser (and so the lexer) and the renderers with arbitrary UTF-8.
//! Run with `cargo +nightly fuzz run parse` from `crates/ox-syntax`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ox_syntax::render::{render_json, render_text};
use ox_syntax::{parse_file, SourceMap};

fuzz_target!(|text: &str| {
    let mut map = SourceMap::new();
    let id = map.add("fuzz.ar", text);
    let (_, diagnostics) = parse_file(id, text);
    let _ = render_text(&map, &diagnostics);
    let _ = render_json(&map, &diagnostics);
});
