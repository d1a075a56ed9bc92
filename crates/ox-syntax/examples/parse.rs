//! Parses `.ar` files and prints their diagnostics: `cargo run --example parse -- FILE…`.

use ox_syntax::render::render_text;
use ox_syntax::{parse_file, SourceMap};

fn main() {
    let mut map = SourceMap::new();
    let mut diagnostics = Vec::new();
    for path in std::env::args().skip(1) {
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) => {
                eprintln!("{path}: {err}");
                continue;
            }
        };
        let id = map.add(path.clone(), text.clone());
        let (file, diags) = parse_file(id, &text);
        println!("{path}: {} items", file.items.len());
        diagnostics.extend(diags);
    }
    print!("{}", render_text(&map, &diagnostics));
}
