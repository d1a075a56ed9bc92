//! Reordering items in source does not change the Module.

mod common;

const ITEMS: &[&str] = &[
    "pub type Person { id: String, age: Nat, friends: [Person] }",
    "pub type Adult <: Person iff { self.age >= 18 };",
    "pub rel Knows(a: Person, b: Person);",
    "pub enum Color { Red, Green }",
    "pub struct Point { x: Int, y: Int }",
    "derive reach(a, b) :- Knows(a, b);",
    "derive reach(a, c) :- reach(a, b), Knows(b, c);",
    "derive lonely(p) :- p: Person, not Knows(p, q);",
    "check young(p) :- p: Person, p.age < 1;",
    "pub query adults() -> [Adult];",
    "pub query friends_of(p: Person) -> [Person] { select f from reach(p, f) }",
    "pub fn twice(n: Int) -> Int = n * 2;",
    "pub mutate add(id: String) -> Person { let p = insert Person { id: id, age: 1 }; return p; }",
    "standpoint Legal {}",
    "standpoint Tax <: Legal {}",
];

fn module_of(order: &[usize]) -> ox_ir::Module {
    let src: Vec<&str> = order.iter().map(|&i| ITEMS[i]).collect();
    let src = src.join("\n");
    match common::compile_root(&src) {
        Ok(c) => c.module,
        Err(f) => panic!(
            "{}",
            ox_syntax::render::render_text(&f.sources, &f.diagnostics)
        ),
    }
}

#[test]
fn reordering_items_gives_an_identical_module() {
    let forward: Vec<usize> = (0..ITEMS.len()).collect();
    let backward: Vec<usize> = forward.iter().rev().copied().collect();
    let interleaved: Vec<usize> = forward
        .iter()
        .step_by(2)
        .chain(forward.iter().skip(1).step_by(2))
        .copied()
        .collect();
    let a = module_of(&forward);
    assert_eq!(a, module_of(&backward));
    assert_eq!(a, module_of(&interleaved));
    // Vectors are sorted by path.
    let paths: Vec<&str> = a.predicates.iter().map(|p| p.path.as_str()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    assert_eq!(a.standpoints[1].parents, vec![ox_ir::StandpointId(0)]);
}

#[test]
fn compilation_is_deterministic() {
    let order: Vec<usize> = (0..ITEMS.len()).collect();
    assert_eq!(
        format!("{:?}", module_of(&order)),
        format!("{:?}", module_of(&order))
    );
}
