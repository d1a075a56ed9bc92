//! One negative fixture per diagnostic code the compiler emits.

mod common;

use common::{assert_code, codes, compile};

const BASE: &str = "
pub type Person { id: String, name: String, age: Nat, mut email: Option<String> }
pub type Lease { id: String, start: Date, tenant: Person }
pub rel LeaseOf(lease: Lease, tenant: Person) [1..1] [0..*];
";

fn with_base(extra: &str) -> String {
    format!("{BASE}\n{extra}")
}

#[test]
fn oe0101_unresolved_name_with_suggestion() {
    let src = with_base("derive adult(p) :- p: Persn, p.age >= 18;");
    assert_code(&src, "OE0101");
    let out = common::rendered(&[("src/root.ar", &src)]);
    assert!(out.contains("Person"), "{out}");
}

#[test]
fn oe0102_private_item_across_files() {
    let root = "mod a;\nderive x(p) :- p: a::Secret;";
    let a = "type Secret { id: String }";
    let f = compile(&[("src/root.ar", root), ("src/a.ar", a)]).unwrap_err();
    assert!(
        f.diagnostics
            .iter()
            .any(|d| d.code == "OE0102" && d.message.contains("private")),
        "{:?}",
        f.diagnostics
    );
}

#[test]
fn oe0103_duplicate_definition() {
    assert_code(&with_base("type Person { id: String }"), "OE0103");
}

#[test]
fn oe0104_wrong_kind() {
    assert_code(
        &with_base("query q() -> [Person];\ntype X { f: q }"),
        "OE0104",
    );
}

#[test]
fn oe0201_specialisation_cycle() {
    assert_code("type A <: B;\ntype B <: A;", "OE0201");
}

#[test]
fn oe0202_unknown_field() {
    assert_code(
        &with_base("derive x(p) :- p: Person, p.agee > 1;"),
        "OE0202",
    );
    assert_code(
        &with_base("mutate m() { insert Person { id: \"a\", nam: \"b\" }; }"),
        "OE0202",
    );
}

#[test]
fn oe0203_type_mismatch_names_both_types() {
    let src = with_base("derive x(l) :- l: Lease, l.start < 3;");
    assert_code(&src, "OE0203");
    let src = with_base("fn f(d: Date) -> Int = d;");
    let f = common::compile_root(&src).unwrap_err();
    assert!(
        f.diagnostics
            .iter()
            .any(|d| d.message == "expected `Int`, found `Date`"),
        "{:?}",
        f.diagnostics
    );
}

#[test]
fn oe0204_cannot_infer() {
    assert_code("derive x(a) :- a = 1 + b;", "OE0204");
    assert_code("fn f(a) -> Int = 1;", "OE0204");
}

#[test]
fn oe0205_too_many_cardinalities() {
    assert_code("type A { id: String }\nrel R(a: A) [1] [2];", "OE0205");
}

#[test]
fn oe0206_missing_struct_field() {
    assert_code(
        "struct P { x: Int, y: Int }\nfn f() -> P = P { x: 1 };",
        "OE0206",
    );
}

#[test]
fn oe0207_two_keys() {
    assert_code("type A { #[key] a: String, #[key] b: String }", "OE0207");
}

#[test]
fn oe0211_insert_into_defined_class() {
    let src = with_base("type Adult <: Person iff { self.age >= 18 };\nmutate m(p: Person) { insert iof(p, Adult); }");
    assert_code(&src, "OE0211");
}

#[test]
fn oe0605_unknown_metatype() {
    assert_code("kind Person { id: String }", "OE0605");
}

#[test]
fn oe0606_unknown_metarel() {
    assert_code("type A { id: String }\nrelation R(a: A, b: A);", "OE0606");
}

#[test]
fn oe0670_field_not_mutable() {
    assert_code(
        &with_base("mutate m(p: Person) { update p set { name = \"x\" }; }"),
        "OE0670",
    );
}

#[test]
fn oe0730_forget_without_allow() {
    assert_code(&with_base("mutate m(p: Person) { forget p; }"), "OE0730");
    let ok = common::assert_ok(&with_base(
        "#[allow_forget]\nmutate m(p: Person) { forget p; }",
    ));
    assert!(ok.module.mutations[0].forgets && ok.module.mutations[0].allow_forget);
}

#[test]
fn assert_outside_test_is_refused() {
    // The parser only knows `assert` inside tests, so the compiler's own
    // OE0740 guard is not reachable from source; the program is refused anyway.
    let found = codes(&with_base("mutate m(p: Person) { assert p.age > 1; }"));
    assert!(!found.is_empty());
    common::assert_ok(&with_base("test \"t\" { let p = insert Person { id: \"a\", name: \"b\", age: 3 }; assert p.age > 1; }"));
}

#[test]
fn oe0005_inexact_decimal_literal() {
    assert_code(
        &with_base("fn f() -> Decimal = 0.123456789012345678901234567890123;"),
        "OE0005",
    );
}

#[test]
fn oe0741_statement_without_effect() {
    assert_code(&with_base("mutate m(p: Person) { p.age + 1; }"), "OE0741");
}

#[test]
fn oe0801_recursive_function() {
    assert_code(
        "fn f(n: Int) -> Int = g(n);\nfn g(n: Int) -> Int = f(n);",
        "OE0801",
    );
}

#[test]
fn oe0802_impure_function() {
    assert_code(
        &with_base("fn f(p: Person) -> Int { insert Person { id: \"x\" }; 1 }"),
        "OE0802",
    );
}

#[test]
fn oe0901_bad_manifest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ox.toml"), "[package]\nnme = \"x\"\n").unwrap();
    let f = ox_compiler::compile_package(dir.path()).unwrap_err();
    assert_eq!(f.diagnostics[0].code, "OE0901");
    let empty = tempfile::tempdir().unwrap();
    let f = ox_compiler::compile_package(empty.path()).unwrap_err();
    assert_eq!(f.diagnostics[0].code, "OE0901");
}

#[test]
fn oe0902_missing_module_file() {
    assert_code("mod missing;", "OE0902");
    let f = compile(&[("src/other.ar", "")]).unwrap_err();
    assert_eq!(f.diagnostics[0].code, "OE0902");
}

#[test]
fn oe0990_not_supported() {
    assert_code(
        "type A { id: String }\nrel R(a: A, b: A) { mut since: Date }",
        "OE0990",
    );
    let mut m = ox_compiler::Manifest::new("pkg");
    m.dependencies = vec!["ufo".into()];
    let f = ox_compiler::compile_sources(&m, &[("src/root.ar".into(), String::new())]).unwrap_err();
    assert_eq!(f.diagnostics[0].code, "OE0990");
}

#[test]
fn oe0007_unsupported_query_clause() {
    assert_code(
        &with_base("query q() -> [Person] { select p from p: Person, l: Lease group by l.start }"),
        "OE0007",
    );
}

#[test]
fn oe0008_integer_literal_out_of_range() {
    assert_code(
        &with_base("fn f() -> Int = -18446744073709551615;"),
        "OE0008",
    );
}

#[test]
fn oe1212_item_not_allowed_in_a_standpoint() {
    assert_code("standpoint S { type A; }", "OE1212");
    assert_code(
        "type A { id: String }\nstandpoint S { query q() -> [A]; }",
        "OE1212",
    );
}

#[test]
fn oe1211_standpoint_cycle() {
    assert_code("standpoint A <: B {}\nstandpoint B <: A {}", "OE1211");
}

#[test]
fn oe1213_arity_mismatch() {
    assert_code(&with_base("derive x(p) :- LeaseOf(p);"), "OE1213");
    assert_code(
        &with_base("derive x(p) :- p: Person;\nderive x(p, q) :- p: Person, q: Person;"),
        "OE1213",
    );
}

#[test]
fn oe1303_not_range_restricted() {
    assert_code(&with_base("derive x(p, q) :- p: Person;"), "OE1303");
    assert_code(
        &with_base("derive y(p: Person) :- not LeaseOf(l, p);"),
        "OE1303",
    );
}

#[test]
fn ow1304_negation_through_recursion_is_well_founded() {
    let src = with_base("derive a(p) :- p: Person, not b(p);\nderive b(p) :- p: Person, not a(p);");
    let compiled = common::assert_ok(&src);
    let warning = compiled
        .warnings
        .iter()
        .find(|d| d.code == "OW1304")
        .expect("OW1304 is reported");
    assert!(
        warning.message.contains("well-founded"),
        "{}",
        warning.message
    );
}

#[test]
fn aggregates_in_rule_bodies() {
    assert_code(
        &with_base("derive n(c) :- c = count { p: Person, m = count { q: Person } };"),
        "OE1311",
    );
    assert_code(
        &with_base(
            "derive n(p, c) :- p: Person, c = median(l.start for l in Lease where l.tenant == p);",
        ),
        "OE1312",
    );
    assert_code(
        &with_base("derive n(p, c) :- p: Person, c = sum { LeaseOf(l, p) };"),
        "OE1312",
    );
    assert_code(
        &with_base("derive lonely(p) :- p: Person, not count { LeaseOf(l, p) };"),
        "OE1313",
    );
    let compiled = common::assert_ok(&with_base(
        "derive leases(p, n) :- p: Person, n = count { LeaseOf(l, p) };\nderive adults(n) :- n = count(p for p in Person where p.age >= 18);",
    ));
    let rule = compiled
        .module
        .rules
        .iter()
        .find(|r| matches!(&r.origin, ox_ir::RuleOrigin::Derive { name, .. } if name == "leases"))
        .expect("the leases rule");
    let aggregate = rule
        .body
        .iter()
        .find_map(|l| match l {
            ox_ir::Literal::Aggregate {
                kind,
                group_by,
                body,
                value,
                ..
            } => Some((*kind, group_by.clone(), body.len(), value.is_none())),
            _ => None,
        })
        .expect("an aggregate literal");
    assert_eq!(aggregate.0, ox_ir::AggKind::Count);
    assert_eq!(aggregate.1.len(), 1, "grouped by the person");
    assert_eq!(aggregate.2, 1);
    assert!(aggregate.3);
}

#[test]
fn oe1321_invalid_defeasibility_marker() {
    assert_code(
        &with_base("#[defeats(nope)]\nderive ~adult(p) :- p: Person;\n#[default]\nderive adult(p) :- p: Person;"),
        "OE1321",
    );
    assert_code(
        &with_base("#[label(a, b)]\nderive adult(p) :- p: Person;"),
        "OE1321",
    );
    assert_code(
        &with_base("#[default]\n#[label(x)]\nderive adult(p) :- p: Person;\n#[label(x)]\nderive ~adult(p) :- p: Person;"),
        "OE1321",
    );
}

#[test]
fn oe1322_defeats_a_strict_clause() {
    assert_code(
        &with_base("#[label(base)]\nderive adult(p) :- p: Person;\n#[defeats(base)]\nderive ~adult(p) :- p: Person;"),
        "OE1322",
    );
}

#[test]
fn oe1323_strong_negation_without_negative_clauses() {
    assert_code(
        &with_base("derive adult(p) :- p: Person;\nderive minor(p) :- p: Person, ~adult(p);"),
        "OE1323",
    );
}

#[test]
fn defeasible_clauses_lower_to_marked_rules() {
    let src = with_base(
        "#[default]\n#[label(grown)]\nderive adult(p) :- p: Person, p.age >= 18;\n#[defeats(grown)]\nderive ~adult(p) :- p: Person, p.age < 21;\nderive young(p) :- ~adult(p);",
    );
    let compiled = common::assert_ok(&src);
    let module = &compiled.module;
    let adult = module
        .predicates
        .iter()
        .position(|p| p.name == "adult")
        .expect("adult");
    let not_adult = module
        .predicates
        .iter()
        .position(|p| p.name == "~adult")
        .expect("~adult");
    assert_eq!(
        module.predicates[not_adult].kind,
        ox_ir::PredKind::Complement(ox_ir::PredId(adult as u32))
    );
    assert_eq!(
        module.predicates[not_adult].params.len(),
        module.predicates[adult].params.len()
    );
    let head = |p: usize| {
        module
            .rules
            .iter()
            .find(|r| r.head.pred.index() == p)
            .expect("a rule")
    };
    let positive = &head(adult).defeasibility;
    assert_eq!(positive.strength, ox_ir::Strength::Defeasible);
    assert_eq!(positive.label.as_deref(), Some("grown"));
    let negative = &head(not_adult).defeasibility;
    assert_eq!(negative.strength, ox_ir::Strength::Strict);
    assert_eq!(negative.defeats, vec!["grown".to_string()]);
    let young = module
        .predicates
        .iter()
        .position(|p| p.name == "young")
        .expect("young");
    assert!(head(young)
        .body
        .iter()
        .any(|l| matches!(l, ox_ir::Literal::Pos(a) if a.pred.index() == not_adult)));
}

#[test]
fn oe1342_bodiless_derive_with_free_variable() {
    assert_code(&with_base("derive fact(x: Person);"), "OE1342");
}

#[test]
fn many_errors_in_one_run() {
    let src = with_base("derive x(p) :- p: Persn;\nfn f() -> Int = true;\nkind K;");
    let found = codes(&src);
    for c in ["OE0101", "OE0203", "OE0605"] {
        assert!(found.contains(&c), "{found:?}");
    }
}
