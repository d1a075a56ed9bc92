//! Standpoints end to end through the runtime: rules, ground facts and
//! checks of a standpoint are visible only under it and its descendants,
//! writes under a standpoint combine with its rules, and `across [...]`
//! merges the answers into `Is` / `Not` / `Both` / `Can`.

mod common;

use std::sync::Arc;

use common::assert_ok;
use ox_runtime::{Engine, ErrorCode, MutateOptions, QueryResult, RequestContext};
use ox_store::{MemBackend, TenantId};
use serde_json::{json, Map, Value as Json};

/// The "standpoint conflicts" program.
const SOURCE: &str = r#"
pub type Bird { id: String, mut wingspan: Int }
pub type Penguin <: Bird;
pub type Ostrich <: Bird;
pub rel Chases(hunter: Bird, prey: Bird);

standpoint Ornithology {
    derive Flies(b) :- b: Bird;
    derive Motto("birds fly");
}

standpoint Antarctica <: Ornithology {
    check penguins_stay_down(b) :- b: Penguin, Flies(b);
}

standpoint Zoology {
    derive ~Flies(b) :- b: Penguin;
    derive ~Flies(b) :- b: Ostrich;
}

standpoint Folklore {
    derive Flies(b) :- b: Penguin;
    derive ~Flies(b) :- b: Penguin, b.wingspan < 10;
}

standpoint Mythology {
    derive Flies(b) :- Chases(b, c), not Flies(c);
}

standpoint Measured {
    derive Wide(b) :- b: Bird, b.wingspan > 100;
}

pub query flying() -> [Bird] { select b from b: Bird where Flies(b) }
pub query flyers() -> [Flies];
pub query mottos() -> [Motto];
pub query wide() -> [Bird] { select b from b: Bird where Wide(b) }
pub query first_flying() -> [Bird] {
    select b from b: Bird where Flies(b) limit 1
}
pub query by_wingspan() -> [Bird] {
    select b from b: Bird where Flies(b) order by b.wingspan desc
}
pub query verdicts() -> [Bird] across [Ornithology, Zoology] {
    select b from b: Bird where Flies(b)
}

pub mutate bird(id: String, wingspan: Int) { insert Bird { id: id, wingspan: wingspan }; }
pub mutate penguin(id: String, wingspan: Int) { insert Penguin { id: id, wingspan: wingspan }; }
pub mutate ostrich(id: String) { insert Ostrich { id: id, wingspan: 200 }; }
pub mutate chase(a: Bird, b: Bird) { insert Chases(a, b); }
pub mutate grow(b: Bird, wingspan: Int) { update b set { wingspan = wingspan }; }
"#;

fn engine() -> Engine {
    let compiled = assert_ok(SOURCE);
    Engine::new(
        Arc::new(compiled.module),
        "module".into(),
        "schema".into(),
        Arc::new(MemBackend::new()),
    )
    .expect("the module evaluates")
}

fn ctx(standpoint: Option<&str>) -> RequestContext {
    let mut ctx = RequestContext::new(TenantId::parse("t").expect("tenant id"));
    ctx.standpoint = standpoint.map(str::to_owned);
    ctx
}

fn args(value: Json) -> Map<String, Json> {
    match value {
        Json::Object(map) => map,
        other => panic!("arguments must be an object, got {other}"),
    }
}

fn mutate(engine: &Engine, ctx: &RequestContext, name: &str, a: Json) {
    engine
        .mutate(ctx, name, &args(a), &MutateOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
}

fn rows(engine: &Engine, standpoint: Option<&str>, query: &str) -> Vec<Json> {
    match engine
        .query(&ctx(standpoint), query, &Map::new())
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .result
    {
        QueryResult::Rows(rows) => rows,
        QueryResult::Value(v) => panic!("expected rows, got {v}"),
    }
}

fn across(engine: &Engine, query: &str, standpoints: &[&str], strict: bool) -> Vec<Json> {
    let names: Vec<String> = standpoints.iter().map(|s| s.to_string()).collect();
    match engine
        .query_across(&ctx(None), query, &Map::new(), &names, strict)
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .result
    {
        QueryResult::Rows(rows) => rows,
        QueryResult::Value(v) => panic!("expected rows, got {v}"),
    }
}

/// A row's name: an individual's id, a one-column string, else its JSON.
fn name(row: &Json) -> String {
    match row {
        Json::String(s) => s.clone(),
        Json::Object(o) if o.contains_key("id") => name(&o["id"]),
        Json::Array(items) if items.len() == 1 => name(&items[0]),
        other => other.to_string(),
    }
}

/// The names of plain rows.
fn names(rows: &[Json]) -> Vec<String> {
    rows.iter().map(name).collect()
}

/// `(row, truth)` pairs of an `across` answer.
fn truths(rows: &[Json]) -> Vec<(String, String)> {
    rows.iter()
        .map(|r| {
            (
                name(&r["value"]),
                r["truth"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn seeded() -> Engine {
    let engine = engine();
    let default = ctx(None);
    mutate(
        &engine,
        &default,
        "bird",
        json!({"id": "tweety", "wingspan": 20}),
    );
    mutate(
        &engine,
        &default,
        "penguin",
        json!({"id": "pingu", "wingspan": 5}),
    );
    mutate(&engine, &default, "ostrich", json!({"id": "ozzy"}));
    engine
}

#[test]
fn standpoint_rules_are_visible_under_it_and_its_descendants_only() {
    let engine = seeded();
    let all = ["ozzy", "pingu", "tweety"];
    assert_eq!(rows(&engine, None, "flying"), Vec::<Json>::new());
    assert_eq!(names(&rows(&engine, Some("Ornithology"), "flying")), all);
    // A child of Ornithology sees its rules.
    assert_eq!(names(&rows(&engine, Some("Antarctica"), "flying")), all);
    // A sibling does not.
    assert_eq!(rows(&engine, Some("Zoology"), "flying"), Vec::<Json>::new());
    assert_eq!(names(&rows(&engine, Some("Folklore"), "flying")), ["pingu"]);
    // Back in the default layer nothing leaked from the cached standpoints.
    assert_eq!(rows(&engine, None, "flying"), Vec::<Json>::new());
}

#[test]
fn ground_facts_inside_a_standpoint_are_local_to_it() {
    let engine = engine();
    assert_eq!(rows(&engine, None, "mottos"), Vec::<Json>::new());
    assert_eq!(rows(&engine, Some("Zoology"), "mottos"), Vec::<Json>::new());
    assert_eq!(
        names(&rows(&engine, Some("Ornithology"), "mottos")),
        ["birds fly"]
    );
    assert_eq!(
        names(&rows(&engine, Some("Antarctica"), "mottos")),
        ["birds fly"]
    );
}

#[test]
fn a_check_inside_a_standpoint_runs_only_under_it() {
    let engine = seeded();
    let violations = |standpoint: Option<&str>| -> Vec<String> {
        let report = engine.checks(&ctx(standpoint)).expect("checks run");
        report["violations"]
            .as_array()
            .expect("violations")
            .iter()
            .map(|v| v["check"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(violations(None), Vec::<String>::new());
    assert_eq!(violations(Some("Ornithology")), Vec::<String>::new());
    assert_eq!(violations(Some("Antarctica")), vec!["penguins_stay_down"]);
}

#[test]
fn writes_under_a_standpoint_combine_with_its_rules() {
    let engine = seeded();
    // Under `Measured`, tweety's wingspan is rewritten to 150: only that layer
    // sees it, and only that layer has the rule reading it.
    mutate(
        &engine,
        &ctx(Some("Measured")),
        "grow",
        json!({"b": "tweety", "wingspan": 150}),
    );
    assert_eq!(
        names(&rows(&engine, Some("Measured"), "wide")),
        ["ozzy", "tweety"]
    );
    assert_eq!(rows(&engine, None, "wide"), Vec::<Json>::new());
    assert_eq!(
        rows(&engine, Some("Ornithology"), "wide"),
        Vec::<Json>::new()
    );
}

#[test]
fn across_merges_answers_into_four_values() {
    let engine = seeded();
    // Ornithology: every bird flies. Zoology: penguins and ostriches do not.
    assert_eq!(
        truths(&across(
            &engine,
            "flying",
            &["Ornithology", "Zoology"],
            false
        )),
        pairs(&[("ozzy", "Both"), ("pingu", "Both"), ("tweety", "Is")])
    );
    // Zoology alone refutes; nothing holds there.
    assert_eq!(
        truths(&across(&engine, "flying", &["Zoology"], false)),
        pairs(&[("ozzy", "Not"), ("pingu", "Not")])
    );
    // Folklore both asserts and refutes that the small penguin flies.
    assert_eq!(
        truths(&across(&engine, "flying", &["Folklore"], false)),
        pairs(&[("pingu", "Both")])
    );
    // The bodiless extent reads the strong negation's extent.
    assert_eq!(
        truths(&across(&engine, "flyers", &["Zoology", "Folklore"], false)),
        pairs(&[("pingu", "Both"), ("ozzy", "Not")])
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    );
    // Strict keeps only `Is`.
    assert_eq!(
        truths(&across(
            &engine,
            "flying",
            &["Ornithology", "Zoology"],
            true
        )),
        pairs(&[("tweety", "Is")])
    );
}

#[test]
fn limit_and_offset_apply_to_the_merged_rows() {
    let engine = seeded();
    // Merged: ozzy Not (Zoology), pingu Both (Folklore). Limited under each
    // standpoint first, Folklore's pingu would survive next to ozzy.
    assert_eq!(
        truths(&across(
            &engine,
            "first_flying",
            &["Zoology", "Folklore"],
            false
        )),
        pairs(&[("ozzy", "Not")])
    );
    // Strict keeps the `Is` rows, then the window applies: tweety. Limited
    // first, both standpoints would keep only ozzy (Both), and strict nothing.
    assert_eq!(
        truths(&across(
            &engine,
            "first_flying",
            &["Ornithology", "Zoology"],
            true
        )),
        pairs(&[("tweety", "Is")])
    );
}

#[test]
fn merged_rows_follow_the_query_order() {
    let engine = seeded();
    // Zoology contributes ozzy (200) and pingu (5), Ornithology then
    // tweety (20): merged, the rows are ordered by wingspan, descending.
    assert_eq!(
        truths(&across(
            &engine,
            "by_wingspan",
            &["Zoology", "Ornithology"],
            false
        )),
        pairs(&[("ozzy", "Both"), ("tweety", "Is"), ("pingu", "Both")])
    );
}

#[test]
fn undefined_answers_are_can() {
    let engine = seeded();
    let default = ctx(None);
    // tweety and pingu chase each other: under the well-founded semantics
    // neither `Flies` is decided in Mythology.
    mutate(
        &engine,
        &default,
        "chase",
        json!({"a": "tweety", "b": "pingu"}),
    );
    mutate(
        &engine,
        &default,
        "chase",
        json!({"a": "pingu", "b": "tweety"}),
    );
    assert_eq!(
        rows(&engine, Some("Mythology"), "flying"),
        Vec::<Json>::new()
    );
    assert_eq!(
        truths(&across(&engine, "flying", &["Mythology"], false)),
        pairs(&[("pingu", "Can"), ("tweety", "Can")])
    );
    // Zoology refutes pingu, so across both it is `Not`; tweety stays `Can`.
    assert_eq!(
        truths(&across(&engine, "flying", &["Mythology", "Zoology"], false)),
        pairs(&[("ozzy", "Not"), ("pingu", "Not"), ("tweety", "Can")])
    );
}

#[test]
fn a_declared_across_query_answers_four_valued_rows() {
    let engine = seeded();
    assert_eq!(
        truths(&rows(&engine, None, "verdicts")),
        pairs(&[("ozzy", "Both"), ("pingu", "Both"), ("tweety", "Is")])
    );
}

#[test]
fn across_refuses_unknown_standpoints_and_an_explicit_standpoint() {
    let engine = seeded();
    let names = vec!["Nowhere".to_string()];
    let e = engine
        .query_across(&ctx(None), "flying", &Map::new(), &names, false)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationFailed);
    assert!(e.message.contains("Nowhere"), "{}", e.message);
    let names = vec!["Zoology".to_string()];
    let e = engine
        .query_across(&ctx(Some("Folklore")), "flying", &Map::new(), &names, false)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationFailed);
    assert!(e.message.contains("cannot be combined"), "{}", e.message);
    let e = engine
        .query_across(&ctx(None), "flying", &Map::new(), &[], false)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationFailed);
    let e = engine
        .query(&ctx(Some("Zoology")), "verdicts", &Map::new())
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationFailed);
}

#[test]
fn incremental_updates_never_mix_standpoints() {
    let engine = {
        let compiled = assert_ok(SOURCE);
        Engine::new(
            Arc::new(compiled.module),
            "module".into(),
            "schema".into(),
            Arc::new(MemBackend::new()),
        )
        .expect("the module evaluates")
        .incremental(true)
    };
    let default = ctx(None);
    mutate(
        &engine,
        &default,
        "bird",
        json!({"id": "tweety", "wingspan": 20}),
    );
    assert_eq!(
        names(&rows(&engine, Some("Ornithology"), "flying")),
        ["tweety"]
    );
    assert_eq!(rows(&engine, None, "flying"), Vec::<Json>::new());
    // Each scope is brought up to date from its own previous fixpoint.
    mutate(
        &engine,
        &default,
        "penguin",
        json!({"id": "pingu", "wingspan": 5}),
    );
    assert_eq!(rows(&engine, None, "flying"), Vec::<Json>::new());
    assert_eq!(
        names(&rows(&engine, Some("Ornithology"), "flying")),
        ["pingu", "tweety"]
    );
    assert_eq!(names(&rows(&engine, Some("Folklore"), "flying")), ["pingu"]);
    mutate(
        &engine,
        &default,
        "bird",
        json!({"id": "robin", "wingspan": 25}),
    );
    assert_eq!(names(&rows(&engine, Some("Folklore"), "flying")), ["pingu"]);
    assert_eq!(
        names(&rows(&engine, Some("Antarctica"), "flying")),
        ["pingu", "robin", "tweety"]
    );
}
