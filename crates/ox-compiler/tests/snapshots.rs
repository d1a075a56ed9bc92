//! Rendered diagnostics of a few bad packages (insta snapshots).

mod common;

#[test]
fn unresolved_and_mismatched() {
    let src = "pub type Person { id: String, born: Date }\nderive old(p) :- p: Persn, p.born < 1990;\nfn f(p: Person) -> Int = p.born;\n";
    insta::assert_snapshot!(common::rendered(&[("src/root.ar", src)]));
}

#[test]
fn private_item_and_missing_module() {
    let root = "mod billing;\nmod absent;\nderive x(i) :- i: billing::Invoice;\n";
    let billing = "type Invoice { id: String }\n";
    insta::assert_snapshot!(common::rendered(&[
        ("src/root.ar", root),
        ("src/billing.ar", billing)
    ]));
}

#[test]
fn rule_safety_and_mutation_errors() {
    let src = "pub type Person { id: String, name: String }\nderive pair(p, q) :- p: Person;\nderive fact(x: Person);\nmutate rename(p: Person) { update p set { name = \"x\" }; forget p; }\nkind Thing;\n";
    insta::assert_snapshot!(common::rendered(&[("src/root.ar", src)]));
}
