//! Parses realistic files and checks the shape of the result.

use std::collections::BTreeSet;
use std::path::Path;

use ox_syntax::ast::{ExprKind, File, ItemKind, StmtKind};
use ox_syntax::{parse_file, FileId};

const SAMPLE: &str = include_str!("data/lease.ar");

fn parse_clean(name: &str, text: &str) -> File {
    let (file, diags) = parse_file(FileId(0), text);
    assert!(diags.is_empty(), "{name} has diagnostics:\n{diags:#?}");
    file
}

fn kind_name(kind: &ItemKind) -> &'static str {
    match kind {
        ItemKind::Use(_) => "use",
        ItemKind::Mod(_) => "mod",
        ItemKind::Metaxis(_) => "metaxis",
        ItemKind::Metatype(_) => "metatype",
        ItemKind::Metarel(_) => "metarel",
        ItemKind::Concept(_) => "concept",
        ItemKind::Relation(_) => "relation",
        ItemKind::Struct(_) => "struct",
        ItemKind::Enum(_) => "enum",
        ItemKind::Derive(_) => "derive",
        ItemKind::Check(_) => "check",
        ItemKind::Query(_) => "query",
        ItemKind::Mutate(_) => "mutate",
        ItemKind::Fn(_) => "fn",
        ItemKind::Standpoint(_) => "standpoint",
        ItemKind::Test(_) => "test",
    }
}

#[test]
fn sample_covers_every_item_kind() {
    let file = parse_clean("lease.ar", SAMPLE);
    let kinds: BTreeSet<_> = file.items.iter().map(|i| kind_name(&i.kind)).collect();
    let expected: BTreeSet<_> = [
        "use",
        "mod",
        "metaxis",
        "metatype",
        "metarel",
        "concept",
        "relation",
        "struct",
        "enum",
        "derive",
        "check",
        "query",
        "mutate",
        "fn",
        "standpoint",
        "test",
    ]
    .into_iter()
    .collect();
    assert_eq!(kinds, expected);
    assert!(file.inner_doc.is_some());
    assert_eq!(file.items.len(), 45);
}

#[test]
fn sample_mutation_has_every_statement_kind() {
    let file = parse_clean("lease.ar", SAMPLE);
    let sign = file
        .items
        .iter()
        .find_map(|i| match &i.kind {
            ItemKind::Mutate(m) if m.name.name == "sign_lease" => Some(m),
            _ => None,
        })
        .expect("sign_lease");
    let mut kinds = BTreeSet::new();
    for stmt in &sign.body {
        kinds.insert(match &stmt.kind {
            StmtKind::Let { .. } => "let",
            StmtKind::InsertTuple { .. } => "insert-tuple",
            StmtKind::InsertIof { .. } => "insert-iof",
            StmtKind::Update { .. } => "update",
            StmtKind::DeleteTuple { .. } => "delete-tuple",
            StmtKind::DeleteIof { .. } => "delete-iof",
            StmtKind::Delete(_) => "delete",
            StmtKind::Emit { .. } => "emit",
            StmtKind::Forget(_) => "forget",
            StmtKind::For { .. } => "for",
            StmtKind::If { .. } => "if",
            StmtKind::Return(_) => "return",
            StmtKind::Assert(_) => "assert",
            StmtKind::Expr(e) => match e.kind {
                ExprKind::Match { .. } => "match",
                _ => "expr",
            },
        });
    }
    for expected in [
        "let",
        "insert-tuple",
        "insert-iof",
        "update",
        "delete-tuple",
        "delete-iof",
        "emit",
        "forget",
        "for",
        "match",
        "return",
    ] {
        assert!(kinds.contains(expected), "missing {expected}: {kinds:?}");
    }
}

#[test]
fn spans_lie_inside_the_text() {
    let file = parse_clean("lease.ar", SAMPLE);
    for item in &file.items {
        let text = &SAMPLE[item.span.start as usize..item.span.end as usize];
        assert!(!text.is_empty());
        assert!(text.ends_with([';', '}']), "item span ends oddly: {text:?}");
    }
}

#[test]
fn ast_serializes_to_json() {
    let file = parse_clean("lease.ar", SAMPLE);
    let json = serde_json::to_string(&file).expect("serializable");
    assert!(json.contains("\"sign_lease\""));
}

#[test]
fn repository_examples_parse_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut stack: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&path) {
                stack.extend(entries.filter_map(Result::ok).map(|e| e.path()));
            }
        } else if path.extension().is_some_and(|e| e == "ar") {
            let text = std::fs::read_to_string(&path).expect("readable example");
            parse_clean(&path.display().to_string(), &text);
        }
    }
}
