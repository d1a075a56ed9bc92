//! Golden snapshots of rendered diagnostics for broken inputs.

use ox_syntax::render::{render_json, render_text};
use ox_syntax::{parse_file, SourceMap};

/// Parses `text` as `name` and renders its diagnostics as text.
fn rendered(name: &str, text: &str) -> (SourceMap, Vec<ox_syntax::Diagnostic>) {
    let mut map = SourceMap::new();
    let id = map.add(name, text);
    let (_, diags) = parse_file(id, text);
    (map, diags)
}

#[test]
fn syntax_errors_in_declarations() {
    let text = "\
use std::core::{type, rel}
pub type Person {
    id String,
}
pub rel LeaseOf(lease: Lease, tenant: Person) [2..1];
type Eagle : Species;
derive adult(p: Person) :- p: Person, 18 <= p.age < 130;
pub(crate) query q() -> [Person];
";
    let (map, diags) = rendered("src/root.ar", text);
    insta::assert_snapshot!("declarations", render_text(&map, &diags));
}

#[test]
fn lexical_errors() {
    let text = "\
fn greeting() -> String = \"hello\\q\";
fn start() -> Date = #2026-02-30#;
fn big() -> Nat = 123456789012345678901234567890;
fn odd() -> Bool = a & b @ c;
fn name() -> String = \"never closed;
";
    let (map, diags) = rendered("src/lex.ar", text);
    insta::assert_snapshot!("lexical", render_text(&map, &diags));
}

#[test]
fn statement_errors_and_recovery() {
    let text = "\
mutate sign(l: Lease) {
    let x = 1
    update l set { rent };
    insert LeaseOf(l, t)
    delete;
}
standpoint Tax {
    standpoint Inner { }
}
query q() -> [Lease] { select distinct l from l: Lease }
/// dangling
";
    let (map, diags) = rendered("src/stmts.ar", text);
    insta::assert_snapshot!("statements", render_text(&map, &diags));
}

#[test]
fn json_report() {
    let text = "type A { x: }\nfn f() -> Bool = a < b < c;\n";
    let (map, diags) = rendered("src/json.ar", text);
    insta::assert_snapshot!("json", render_json(&map, &diags));
}
