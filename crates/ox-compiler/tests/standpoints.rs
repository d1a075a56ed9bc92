//! Items inside standpoints: rules, ground facts, checks and module files
//! belong to their standpoint; `across [...]` resolves to standpoint ids.

mod common;

use common::{assert_ok, compile};
use ox_ir::{Module, RuleOrigin, StandpointId};

const SOURCE: &str = "
pub type Bird { id: String }
pub type Penguin <: Bird;
pub rel Observed(b: Bird, place: String);

standpoint Ornithology {
    derive Flies(b) :- b: Bird;
    derive Seen(\"museum\");
    check grounded(b) :- b: Penguin, Flies(b);
}

standpoint Antarctica <: Ornithology {
    derive ~Flies(b) :- b: Penguin;
}

derive Flies(b) :- Observed(b, \"sky\");

pub query flyers() -> [Bird] across [Ornithology, Antarctica] {
    select b from b: Bird where Flies(b)
}
";

fn standpoint(m: &Module, name: &str) -> StandpointId {
    StandpointId(m.standpoints.iter().position(|s| s.name == name).unwrap() as u32)
}

fn derive_rules<'m>(m: &'m Module, name: &str) -> Vec<&'m ox_ir::Rule> {
    m.rules
        .iter()
        .filter(|r| matches!(&r.origin, RuleOrigin::Derive { name: n, .. } if n == name))
        .collect()
}

#[test]
fn rules_checks_and_facts_keep_their_standpoint() {
    let m = assert_ok(SOURCE).module;
    let ornithology = standpoint(&m, "Ornithology");
    let antarctica = standpoint(&m, "Antarctica");
    let flies = derive_rules(&m, "Flies");
    assert_eq!(flies.len(), 3, "{flies:#?}");
    let mut layers: Vec<Option<StandpointId>> = flies.iter().map(|r| r.standpoint).collect();
    layers.sort();
    let mut expected = vec![None, Some(ornithology), Some(antarctica)];
    expected.sort();
    assert_eq!(layers, expected);
    // The strong negation lands in the complement of the same predicate.
    let negative = flies
        .iter()
        .find(|r| r.standpoint == Some(antarctica))
        .unwrap();
    assert!(matches!(
        m.predicates[negative.head.pred.index()].kind,
        ox_ir::PredKind::Complement(_)
    ));
    let seen = derive_rules(&m, "Seen");
    assert_eq!(seen.len(), 1);
    assert!(seen[0].body.is_empty(), "a ground fact");
    assert_eq!(seen[0].standpoint, Some(ornithology));
    let check = m.checks.iter().find(|c| c.name == "grounded").unwrap();
    assert_eq!(check.standpoint, Some(ornithology));
    let check_rule = m
        .rules
        .iter()
        .find(|r| matches!(r.origin, RuleOrigin::Check(_)))
        .unwrap();
    assert_eq!(check_rule.standpoint, Some(ornithology));
    // Predicates declared inside a standpoint belong to the enclosing module.
    assert!(m.predicates.iter().any(|p| p.path == "pkg::Seen"));
}

#[test]
fn across_resolves_to_standpoint_ids() {
    let m = assert_ok(SOURCE).module;
    let q = m.queries.iter().find(|q| q.name == "flyers").unwrap();
    assert_eq!(
        q.across,
        vec![standpoint(&m, "Ornithology"), standpoint(&m, "Antarctica")]
    );
}

#[test]
fn across_names_must_be_standpoints() {
    let src = "pub type Bird { id: String }\npub query q() -> [Bird] across [Nowhere];";
    let f = compile(&[("src/root.ar", src)]).unwrap_err();
    let d = f.diagnostics.iter().find(|d| d.code == "OE0101").unwrap();
    assert_eq!(
        &src[d.primary.start as usize..d.primary.end as usize],
        "Nowhere"
    );
    let src = "pub type Bird { id: String }\npub query q() -> [Bird] across [Bird];";
    let f = compile(&[("src/root.ar", src)]).unwrap_err();
    let d = f.diagnostics.iter().find(|d| d.code == "OE0104").unwrap();
    assert!(d.message.contains("standpoints"), "{}", d.message);
    assert_eq!(
        &src[d.primary.start as usize..d.primary.end as usize],
        "Bird"
    );
}

#[test]
fn declarations_inside_a_standpoint_are_refused_with_their_name() {
    let src = "standpoint S {\n    pub type Feather { id: String }\n}";
    let f = compile(&[("src/root.ar", src)]).unwrap_err();
    let d = f.diagnostics.iter().find(|d| d.code == "OE1212").unwrap();
    assert_eq!(
        &src[d.primary.start as usize..d.primary.end as usize],
        "Feather"
    );
    assert!(d.message.contains("standpoint `S`"), "{}", d.message);
}

#[test]
fn module_files_declared_inside_a_standpoint_belong_to_it() {
    let root = "pub type Bird { id: String }\nstandpoint S {\n    mod rules;\n}\npub query q() -> [Bird] { select b from b: Bird where rules::Tagged(b) }";
    let rules = "use super::Bird;\npub(pkg) derive Tagged(b) :- b: Bird;";
    let m = compile(&[("src/root.ar", root), ("src/rules.ar", rules)])
        .unwrap_or_else(|f| panic!("{:?}", f.diagnostics))
        .module;
    let tagged = derive_rules(&m, "Tagged");
    assert_eq!(tagged.len(), 1);
    assert_eq!(tagged[0].standpoint, Some(standpoint(&m, "S")));
}

#[test]
fn the_artifact_keeps_standpoints_of_rules_and_queries() {
    let m = assert_ok(SOURCE).module;
    let bytes = ox_ir::oxbin::encode(&m).unwrap();
    let back = ox_ir::oxbin::decode(&bytes).unwrap().module;
    assert_eq!(back, m);
}

#[test]
fn moving_a_rule_into_a_standpoint_changes_the_schema_hash() {
    let bird = "pub type Bird { id: String }";
    let rule = "derive Flies(b) :- b: Bird;";
    let outside = assert_ok(&format!("{bird}\nstandpoint S {{}}\n{rule}")).module;
    let inside = assert_ok(&format!("{bird}\nstandpoint S {{ {rule} }}")).module;
    assert_ne!(
        ox_ir::oxbin::schema_hash(&outside),
        ox_ir::oxbin::schema_hash(&inside)
    );
}
