//! `ox new NAME`: scaffold a package (`ox.toml`, `src/root.ar` with a
//! concept, a rule, a query, a mutation and a test) that passes `ox check`
//! and `ox test` as written. `--vocab ufo` builds it on a UFO-style
//! vocabulary: a copy of `examples/ufo` under `vocab/ufo`, used as a path
//! dependency.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use crate::failure::Failure;

/// Arguments of `ox new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The folder to create; its last component is the package name.
    pub name: PathBuf,
    /// Build the package on a foundational vocabulary.
    #[arg(long, value_enum)]
    pub vocab: Option<Vocab>,
}

/// Vocabularies `ox new` can scaffold on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Vocab {
    /// Kinds, roles, phases, relators … with their axioms (examples/ufo).
    Ufo,
}

/// The UFO vocabulary package, the same text as `examples/ufo`.
const UFO_MANIFEST: &str = include_str!("../../../../examples/ufo/ox.toml");
const UFO_ROOT: &str = include_str!("../../../../examples/ufo/src/root.ar");

fn manifest(name: &str, vocab: Option<Vocab>) -> String {
    match vocab {
        None => format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nprelude = [\"std::core::type\", \"std::core::rel\"]\n"
        ),
        Some(Vocab::Ufo) => format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nprelude = [\"ufo::kind\", \"ufo::role\", \"ufo::relator\", \"ufo::mediation\"]\n\n[dependencies]\nufo = {{ path = \"vocab/ufo\" }}\n"
        ),
    }
}

fn root(name: &str, vocab: Option<Vocab>) -> String {
    let (person, member, membership, rel) = match vocab {
        None => ("type", "type", "type", "rel"),
        Some(Vocab::Ufo) => ("kind", "role", "relator", "mediation"),
    };
    format!(
        r#"//! The `{name}` package.

/// Someone known to the system.
pub {person} Person {{
    id: String,
    name: String,
}}

/// A club people can join.
pub {person} Club {{
    id: String,
}}

/// A person's membership of a club.
pub {membership} Membership {{
    id: String,
    since: Date,
}}

/// Who holds a membership, and of which club.
pub {rel} MembershipOf(membership: Membership, member: Person) [1..1] [0..*];
pub {rel} MembershipIn(membership: Membership, club: Club) [1..1] [0..*];

/// A member is anyone holding a membership.
pub {member} Member <: Person iff {{ holds_membership(self) }};

derive holds_membership(p: Person) :- MembershipOf(m, p);

/// The people of a club.
pub derive belongs(p: Person, c: Club) :- MembershipOf(m, p), MembershipIn(m, c);

/// Everyone.
pub query people() -> [Person];

/// The members of a club.
pub query members_of(c: Club) -> [Person] {{
    select p from belongs(p, c) order by p.name
}}

/// Registers a person.
pub mutate register(id: String, name: String) {{
    insert Person {{ id: id, name: name }};
}}

/// Adds a person to a club.
pub mutate join(id: String, person: Person, club: Club, since: Date) {{
    let m = insert Membership {{ id: id, since: since }};
    insert MembershipOf(m, person);
    insert MembershipIn(m, club);
}}

test "a person who joins a club belongs to it" {{
    let ada = insert Person {{ id: "ada", name: "Ada" }};
    let chess = insert Club {{ id: "chess" }};
    join("m-1", ada, chess, #2026-01-01#);
    assert belongs(ada, chess);
    assert Member(ada);
}}
"#
    )
}

fn write(path: &Path, text: &str) -> Result<(), Failure> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Failure::user(format!("cannot create {}: {e}", parent.display())))?;
    }
    std::fs::write(path, text)
        .map_err(|e| Failure::user(format!("cannot write {}: {e}", path.display())))
}

pub fn run(args: NewArgs) -> Result<(), Failure> {
    let dir = &args.name;
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Failure::usage(format!("{} has no package name", dir.display())))?;
    ox_compiler::Manifest::parse(&manifest(name, None))
        .map_err(|e| Failure::usage(format!("`{name}` cannot name a package: {e}")))?;
    let occupied = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
    if occupied {
        return Err(Failure::user(format!(
            "{} already exists and is not empty",
            dir.display()
        )));
    }
    write(&dir.join("ox.toml"), &manifest(name, args.vocab))?;
    write(&dir.join("src/root.ar"), &root(name, args.vocab))?;
    if args.vocab == Some(Vocab::Ufo) {
        write(&dir.join("vocab/ufo/ox.toml"), UFO_MANIFEST)?;
        write(&dir.join("vocab/ufo/src/root.ar"), UFO_ROOT)?;
    }
    eprintln!(
        "created package `{name}` in {}; try `ox check {}` and `ox test {}`",
        dir.display(),
        dir.display(),
        dir.display()
    );
    Ok(())
}
