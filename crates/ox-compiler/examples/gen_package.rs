//! Writes a synthetic Argon package for compiler benchmarks.
//!
//! `cargo run --release -p ox-compiler --example gen_package -- DIR [LINES]`
//! writes `DIR/ox.toml` and `DIR/src/root.ar` plus one module file per 1,000
//! lines or so, about `LINES` lines in total (default 20,000): concepts with
//! fields and supertypes, relations with cardinalities, derived predicates
//! (joins, negation, comparisons), checks, queries and mutations. The output
//! is deterministic, compiles without errors, and is what BENCHMARKS.md
//! ("Compiler") measures `ox check` and `ox build` on.

use std::fmt::Write as _;
use std::path::PathBuf;

/// Lines of one generated "block" (a concept family and its rules).
const BLOCK_LINES: usize = 43;
/// Blocks per module file.
const BLOCKS_PER_MODULE: usize = 25;

fn block(i: usize) -> String {
    let mut s = String::new();
    let prev = i.saturating_sub(1);
    let _ = writeln!(s, "/// Entity family {i}.");
    let _ = writeln!(s, "pub type Thing{i} {{");
    let _ = writeln!(s, "    id: String,");
    let _ = writeln!(s, "    name: String,");
    let _ = writeln!(s, "    size: Int,");
    let _ = writeln!(s, "    since: Date,");
    let _ = writeln!(s, "    mut active: Bool,");
    let _ = writeln!(s, "}}");
    let _ = writeln!(s, "pub type Part{i} <: Thing{i} {{ weight: Int }}");
    let _ = writeln!(s, "pub type Group{i} {{ id: String, label: String }}");
    let _ = writeln!(
        s,
        "pub rel Member{i}(thing: Thing{i}, group: Group{i}) [0..*] [0..*];"
    );
    let _ = writeln!(
        s,
        "pub rel Link{i}(source: Thing{i}, target: Thing{i}) [0..*] [0..1];"
    );
    let _ = writeln!(
        s,
        "pub derive big{i}(t: Thing{i}) :- t: Thing{i}, t.size > 100;"
    );
    let _ = writeln!(
        s,
        "pub derive reach{i}(a: Thing{i}, b: Thing{i}) :- Link{i}(a, b);"
    );
    let _ = writeln!(
        s,
        "pub derive reach{i}(a: Thing{i}, c: Thing{i}) :- reach{i}(a, b), Link{i}(b, c);"
    );
    let _ = writeln!(
        s,
        "pub derive lonely{i}(t: Thing{i}) :- t: Thing{i}, not grouped{i}(t);"
    );
    let _ = writeln!(s, "derive grouped{i}(t: Thing{i}) :- Member{i}(t, g);");
    let _ = writeln!(
        s,
        "pub derive heavy{i}(p: Part{i}) :- p: Part{i}, p.weight >= 10, big{i}(p);"
    );
    let _ = writeln!(
        s,
        "pub derive old{i}(t: Thing{i}) :- t: Thing{i}, t.since < #2020-01-01#;"
    );
    let _ = writeln!(
        s,
        "pub derive peer{i}(a: Thing{i}, b: Thing{i}) :- Member{i}(a, g), Member{i}(b, g), a != b;"
    );
    let _ = writeln!(s, "#[severity(error)]");
    let _ = writeln!(
        s,
        "pub check negative_size{i}(t: Thing{i}) :- t: Thing{i}, t.size < 0 => \"{{t}} has a negative size\";"
    );
    let _ = writeln!(s, "pub query big_things{i}() -> [Thing{i}] {{");
    let _ = writeln!(s, "    select t from big{i}(t) order by t.name");
    let _ = writeln!(s, "}}");
    let _ = writeln!(s, "pub query members{i}(g: Group{i}) -> [Thing{i}] {{");
    let _ = writeln!(
        s,
        "    select t from Member{i}(t, g) where t.active == true"
    );
    let _ = writeln!(s, "}}");
    let _ = writeln!(s, "pub query lonely_things{i}() -> [Thing{i}];");
    let _ = writeln!(
        s,
        "pub mutate add_thing{i}(id: String, name: String, size: Int) -> Thing{i} {{"
    );
    let _ = writeln!(s, "    require {{ size >= 0 }}");
    let _ = writeln!(
        s,
        "    let t = insert Thing{i} {{ id: id, name: name, size: size, since: #2024-01-01#, active: true }};"
    );
    let _ = writeln!(s, "    return t;");
    let _ = writeln!(s, "}}");
    let _ = writeln!(
        s,
        "pub mutate join{i}(t: Thing{i}, g: Group{i}) {{ insert Member{i}(t, g); }}"
    );
    let _ = writeln!(
        s,
        "pub mutate link{i}(a: Thing{i}, b: Thing{i}) {{ insert Link{i}(a, b); }}"
    );
    let _ = writeln!(
        s,
        "pub mutate retire{i}(t: Thing{i}) {{ update t set {{ active = false }}; }}"
    );
    let _ = writeln!(
        s,
        "pub fn score{i}(t: Thing{i}) -> Int = if t.size > 10 {{ t.size * 2 }} else {{ t.size + {prev} }};"
    );
    let _ = writeln!(s, "test \"family {i}\" {{");
    let _ = writeln!(s, "    add_thing{i}(\"t{i}\", \"n\", 200);");
    let _ = writeln!(
        s,
        "    let t = insert Thing{i} {{ id: \"u{i}\", name: \"m\", size: 300, since: #2019-05-01#, active: true }};"
    );
    let _ = writeln!(s, "    assert big{i}(t) && old{i}(t);");
    let _ = writeln!(s, "}}");
    s
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: gen_package DIR [LINES]");
        std::process::exit(2);
    };
    let lines: usize = match args.next().map(|a| a.parse()) {
        None => 20_000,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("LINES must be a number");
            std::process::exit(2);
        }
    };
    let blocks = lines.div_ceil(BLOCK_LINES).max(1);
    let modules = blocks.div_ceil(BLOCKS_PER_MODULE);
    let src = dir.join("src");
    if let Err(e) = std::fs::create_dir_all(&src) {
        eprintln!("cannot create {}: {e}", src.display());
        std::process::exit(1);
    }
    let manifest = "[package]\nname = \"generated\"\nversion = \"0.1.0\"\nprelude = [\"std::core::type\", \"std::core::rel\"]\n";
    let mut root = String::from("//! A generated package for compiler benchmarks.\n");
    let mut written = 0;
    for m in 0..modules {
        let _ = writeln!(root, "pub mod m{m};");
        let mut text = String::new();
        for b in (m * BLOCKS_PER_MODULE)..((m + 1) * BLOCKS_PER_MODULE).min(blocks) {
            text.push_str(&block(b));
        }
        written += text.lines().count();
        if let Err(e) = std::fs::write(src.join(format!("m{m}.ar")), text) {
            eprintln!("cannot write module {m}: {e}");
            std::process::exit(1);
        }
    }
    written += root.lines().count();
    let result = std::fs::write(dir.join("ox.toml"), manifest)
        .and_then(|()| std::fs::write(src.join("root.ar"), root));
    if let Err(e) = result {
        eprintln!("cannot write the package: {e}");
        std::process::exit(1);
    }
    println!(
        "wrote {} ({written} lines, {blocks} concept families, {modules} modules)",
        dir.display()
    );
}
