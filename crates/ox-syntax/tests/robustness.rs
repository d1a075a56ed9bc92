//! The lexer and parser never panic, stay within the stack and run in
//! roughly linear time, whatever the input.

use std::time::{Duration, Instant};

use ox_syntax::render::{render_json, render_text};
use ox_syntax::{codes, lex, parse_file, Diagnostic, FileId, SourceMap};
use proptest::prelude::*;

/// Parses `text` and checks every diagnostic span lies on character
/// boundaries inside the text and renders.
fn parse_and_check(text: &str) -> Vec<Diagnostic> {
    let (file, diags) = parse_file(FileId(0), text);
    for d in &diags {
        let (start, end) = (d.primary.start as usize, d.primary.end as usize);
        assert!(
            start <= end && end <= text.len(),
            "span {start}..{end} out of bounds"
        );
        assert!(text.is_char_boundary(start) && text.is_char_boundary(end));
        assert!(
            codes::lookup(d.code).is_some(),
            "unregistered code {}",
            d.code
        );
        assert_ne!(d.code, codes::INTERNAL_PARSER_ERROR, "the parser panicked");
    }
    for item in &file.items {
        assert!(item.span.end as usize <= text.len());
    }
    let mut map = SourceMap::new();
    map.add("input.ar", text);
    render_text(&map, &diags);
    render_json(&map, &diags);
    diags
}

/// Fragments that are likely to exercise many grammar paths when shuffled.
const FRAGMENTS: &[&str] = &[
    "type",
    "rel",
    "pub",
    "pub(pkg)",
    "use",
    "mod",
    "metaxis",
    "metatype",
    "metarel",
    "for",
    "struct",
    "enum",
    "derive",
    "check",
    "query",
    "mutate",
    "fn",
    "standpoint",
    "test",
    "let",
    "insert",
    "update",
    "delete",
    "set",
    "emit",
    "forget",
    "if",
    "else",
    "match",
    "return",
    "require",
    "select",
    "from",
    "where",
    "group",
    "by",
    "order",
    "limit",
    "offset",
    "having",
    "as_of",
    "across",
    "not",
    "in",
    "iff",
    "true",
    "false",
    "assert",
    "iof",
    "count",
    "sum",
    "forall",
    "x",
    "Person",
    "Option",
    "Map",
    "Set",
    "42",
    "1.5",
    "\"s\"",
    "#2026-01-01#",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "<",
    ">",
    ",",
    ";",
    ":",
    "::",
    ":-",
    ".",
    "..",
    "=",
    "==",
    "!=",
    "<=",
    ">=",
    "<:",
    "->",
    "=>",
    "+",
    "+=",
    "-",
    "-=",
    "*",
    "/",
    "%",
    "!",
    "&&",
    "||",
    "|",
    "#[",
    "?",
    "~",
    "_",
    "///",
    "//!",
    "\n",
    "/*",
    "*/",
    "∀",
    "¬",
    "⊑",
];

fn token_soup() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        (
            0..FRAGMENTS.len(),
            prop_oneof![Just(" "), Just(""), Just("\n")],
        ),
        0..200,
    )
    .prop_map(|parts| {
        parts
            .into_iter()
            .map(|(i, sep)| format!("{}{sep}", FRAGMENTS[i]))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        parse_and_check(&text);
        lex(FileId(0), &text);
    }

    #[test]
    fn token_soup_never_panics(text in token_soup()) {
        parse_and_check(&text);
    }

    #[test]
    fn mutated_sample_never_panics(cut in 0usize..4000, insert in 0..FRAGMENTS.len()) {
        let sample = include_str!("data/lease.ar");
        let mut cut = cut.min(sample.len());
        while !sample.is_char_boundary(cut) {
            cut -= 1;
        }
        let text = format!("{}{}{}", &sample[..cut], FRAGMENTS[insert], &sample[cut..]);
        parse_and_check(&text);
        parse_and_check(&sample[..cut]);
    }
}

fn assert_fast(what: &str, limit: Duration, f: impl FnOnce()) {
    let start = Instant::now();
    f();
    let took = start.elapsed();
    assert!(took < limit, "{what} took {took:?}");
}

/// Runs `f` on a thread with a deliberately small stack: the caller's stack
/// size must not matter.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("parser thread panicked");
}

#[test]
fn deeply_nested_inputs_are_refused_without_overflow() {
    on_small_stack(|| {
        let n = 10_000;
        let cases = [
            format!("fn f() -> T = {};", "(".repeat(n)),
            format!("fn f() -> T = {}1{};", "(".repeat(n), ")".repeat(n)),
            format!("fn f() -> T = {};", "[".repeat(n)),
            format!("fn f() -> T = {};", "{".repeat(n)),
            format!("fn f() -> T = {}x;", "!".repeat(n)),
            format!("fn f() -> T = {}x;", "- ".repeat(n)),
            format!("fn f() -> T = {}1;", "if x { 1 } else ".repeat(n)),
            format!("struct S {{ a: {} }}", "[".repeat(n)),
            format!("struct S {{ a: {} }}", "Option<".repeat(n)),
            format!("derive p(x) :- {}q(x);", "not ".repeat(n)),
            format!("derive p(x) :- {}q(x);", "(".repeat(n)),
            format!("mutate m() {{ {} }}", "for x in y { ".repeat(n)),
            format!("mutate m() {{ {} }}", "if x { ".repeat(n)),
            format!("fn f() -> T = match x {{ {} }};", "A(".repeat(n)),
            "standpoint S { ".repeat(n),
            format!("metaxis a for {};", "[".repeat(n)),
            format!("fn f() -> T = 1{};", " + 1".repeat(n)),
            format!("fn f() -> T = x{};", ".f".repeat(n)),
            format!("fn f() -> T = {}1{};", "P { a: ".repeat(n), " }".repeat(n)),
        ];
        for text in cases {
            let diags = parse_and_check(&text);
            assert!(
                diags.iter().any(|d| d.is_error()),
                "no error for {}",
                &text[..40.min(text.len())]
            );
        }
    });
}

#[test]
fn nesting_just_below_the_limit_parses() {
    on_small_stack(|| {
        let n = 100;
        let text = format!("fn f() -> T = {}1{};", "(".repeat(n), ")".repeat(n));
        assert!(parse_and_check(&text).is_empty());
    });
}

#[test]
fn long_inputs_parse_in_linear_time() {
    let n = 100_000;
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!("pub type T{i} <: Base {{ id: String }}\n"));
    }
    assert_fast("100k concepts", Duration::from_secs(30), || {
        let (file, diags) = parse_file(FileId(0), &text);
        assert!(diags.is_empty());
        assert_eq!(file.items.len(), n);
    });

    let broken = "type A { x: }\n".repeat(n);
    assert_fast("100k broken items", Duration::from_secs(30), || {
        let (_, diags) = parse_file(FileId(0), &broken);
        assert_eq!(diags.len(), n);
    });

    let stray = "@".repeat(1_000_000);
    assert_fast("1M stray characters", Duration::from_secs(30), || {
        let (_, diags) = parse_file(FileId(0), &stray);
        assert_eq!(diags.len(), 1);
    });

    let statements = format!("mutate m() {{ {} }}", "let x = a.b(c) + 1;\n".repeat(n));
    assert_fast("100k statements", Duration::from_secs(30), || {
        let (file, diags) = parse_file(FileId(0), &statements);
        assert!(diags.is_empty());
        assert_eq!(file.items.len(), 1);
    });

    let unterminated = format!("/* {}", "/* ".repeat(n));
    assert_fast(
        "nested unterminated comments",
        Duration::from_secs(30),
        || {
            let (_, diags) = parse_file(FileId(0), &unterminated);
            assert_eq!(diags.len(), 1);
        },
    );
}
