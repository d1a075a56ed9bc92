//! The compiler never panics, whatever the parser hands it.

mod common;

use proptest::prelude::*;

const VALID: &str = r#"
pub type Person { id: String, age: Nat, tags: [String], mut email: Option<String> }
pub type Adult <: Person iff { self.age >= 18, !(self.age > 150) };
pub rel Knows(a: Person, b: Person) [0..*] [0..*];
pub enum Status { On, Off }
derive reach(a, b) :- Knows(a, b);
derive reach(a, c) :- reach(a, b), Knows(b, c);
derive tagged(p, t) :- p: Person, p.tags(t), t != "x";
check old(p) :- p: Person, p.age > 120 => "{p} is old";
pub query q(optional p: Person) -> [Person] { select x from reach(p, x) where x.age > 3 order by x.age limit 3 }
pub fn f(n: Int) -> Int { let m = n * 2; if m > 3 { m } else { 0 } }
pub mutate m(id: String) -> Person {
    require { id != "" }
    let p = insert Person { id: id, age: 3 };
    update p set { email = "a@b" };
    for x in Person { if x.age > 3 { delete x; } }
    return p;
}
test "t" { let p = insert Person { id: "a", age: 20 }; assert Adult(p); assert f(2) == 4; }
"#;

const TOKENS: &[&str] = &[
    "type",
    "rel",
    "derive",
    "query",
    "mutate",
    "fn",
    "check",
    "test",
    "use",
    "mod",
    "struct",
    "enum",
    "standpoint",
    "metatype",
    "not",
    "insert",
    "update",
    "delete",
    "set",
    "select",
    "from",
    "where",
    "x",
    "y",
    "Person",
    "Knows",
    "self",
    "super",
    "std",
    "::",
    ":",
    ";",
    ",",
    ".",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "<",
    ">",
    "<:",
    ":-",
    "=",
    "==",
    "!=",
    "+",
    "-",
    "*",
    "/",
    "->",
    "=>",
    "#[key]",
    "1",
    "18",
    "1.5",
    "\"s\"",
    "#2026-01-01#",
    "true",
    "iff",
    "let",
    "return",
    "if",
    "else",
    "for",
    "in",
    "pub",
    "mut",
    "Option",
    "today()",
    "30.days",
    "?",
    "&&",
    "||",
    "!",
    "~",
    "count",
    "forget",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn token_soup_never_panics(idx in prop::collection::vec(0..TOKENS.len(), 0..80)) {
        let src: Vec<&str> = idx.iter().map(|&i| TOKENS[i]).collect();
        let _ = common::compile_root(&src.join(" "));
    }

    #[test]
    fn mutated_valid_source_never_panics(cuts in prop::collection::vec((0..VALID.len(), 0..12usize, 0..TOKENS.len()), 1..6)) {
        let mut src = VALID.to_string();
        for (at, len, tok) in cuts {
            let mut start = at.min(src.len());
            while !src.is_char_boundary(start) { start -= 1; }
            let mut end = (start + len).min(src.len());
            while !src.is_char_boundary(end) { end -= 1; }
            src.replace_range(start..end, TOKENS[tok]);
        }
        let _ = common::compile_root(&src);
    }
}

#[test]
fn the_valid_sample_compiles() {
    let c = common::assert_ok(VALID);
    assert!(ox_ir::oxbin::validate_module(&c.module).is_ok());
}
