//! The known section types and the CBOR records stored in them.

use serde::{Deserialize, Serialize};

use super::layout::SectionFlags;
use crate::logic::Rule;
use crate::module::{
    Check, Concept, EnumDecl, Function, Module, Mutation, PackageInfo, Predicate, Query, Relation,
    Standpoint, StructDecl,
};

/// Type id of the global control section ([`Control`]).
pub const CONTROL: u8 = 0x01;
/// Type id of the symbol table (a list of [`Symbol`]).
pub const SYMBOL_TABLE: u8 = 0x02;
/// Type id of the declarations ([`Declarations`]).
pub const DECLARATIONS: u8 = 0x03;
/// Type id of the standpoint lattice (a list of [`Standpoint`]).
pub const STANDPOINT_LATTICE: u8 = 0x04;
/// Type id of the tier table ([`TierTable`]).
pub const TIER_TABLE: u8 = 0x05;
/// Type id of the doc blocks (a list of [`DocBlock`]); optional and lazy.
pub const DOC_BLOCKS: u8 = 0x20;

/// The known section types: id, name, flags they are written with.
pub const KNOWN_SECTIONS: [(u8, &str, SectionFlags); 6] = [
    (CONTROL, "control", REQUIRED),
    (SYMBOL_TABLE, "symbol_table", REQUIRED),
    (DECLARATIONS, "declarations", REQUIRED),
    (STANDPOINT_LATTICE, "standpoint_lattice", REQUIRED),
    (TIER_TABLE, "tier_table", REQUIRED),
    (
        DOC_BLOCKS,
        "doc_blocks",
        SectionFlags::CONTENT_HASHED.union(SectionFlags::LAZY),
    ),
];

const REQUIRED: SectionFlags = SectionFlags::MANDATORY.union(SectionFlags::CONTENT_HASHED);

/// The name of a section type, `unknown` for types this reader does not know.
pub fn section_name(type_id: u8) -> &'static str {
    KNOWN_SECTIONS
        .iter()
        .find(|(id, _, _)| *id == type_id)
        .map_or("unknown", |(_, name, _)| name)
}

/// The flags a known section type is written with (none for unknown types).
pub fn section_flags(type_id: u8) -> SectionFlags {
    KNOWN_SECTIONS
        .iter()
        .find(|(id, _, _)| *id == type_id)
        .map_or(SectionFlags(0), |(_, _, flags)| *flags)
}

/// The value of [`Control::format`].
pub const FORMAT_NAME: &str = "oxbin";

/// The global control section: format name, tier cap and the schema sub-hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Control {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// The highest tier any rule or query of the artifact needs.
    pub required_tier: u32,
    /// The schema hash (hex) of the module, re-computed and compared at load.
    pub schema_hash: String,
}

/// The kinds of named items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SymbolKind {
    Concept,
    Relation,
    Struct,
    Enum,
    Predicate,
    Check,
    Query,
    Mutation,
    Function,
    Standpoint,
}

/// One entry of the symbol table; entries of a kind are in index order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Symbol {
    pub kind: SymbolKind,
    pub name: String,
    pub path: String,
}

/// The symbol table of a module: every named item, by kind, in index order.
pub fn symbols(module: &Module) -> Vec<Symbol> {
    fn push<T>(out: &mut Vec<Symbol>, kind: SymbolKind, items: &[T], key: fn(&T) -> (&str, &str)) {
        out.extend(items.iter().map(|item| {
            let (name, path) = key(item);
            Symbol {
                kind,
                name: name.to_owned(),
                path: path.to_owned(),
            }
        }));
    }
    use SymbolKind as K;
    let m = module;
    let mut out = Vec::new();
    push(&mut out, K::Concept, &m.concepts, |x| (&x.name, &x.path));
    push(&mut out, K::Relation, &m.relations, |x| (&x.name, &x.path));
    push(&mut out, K::Struct, &m.structs, |x| (&x.name, &x.path));
    push(&mut out, K::Enum, &m.enums, |x| (&x.name, &x.path));
    push(&mut out, K::Predicate, &m.predicates, |x| {
        (&x.name, &x.path)
    });
    push(&mut out, K::Check, &m.checks, |x| (&x.name, &x.path));
    push(&mut out, K::Query, &m.queries, |x| (&x.name, &x.path));
    push(&mut out, K::Mutation, &m.mutations, |x| (&x.name, &x.path));
    push(&mut out, K::Function, &m.functions, |x| (&x.name, &x.path));
    push(&mut out, K::Standpoint, &m.standpoints, |x| {
        (&x.name, &x.path)
    });
    out
}

/// The declarations section: the package and every item (except standpoints,
/// which live in the lattice section) as a tagged record, doc comments removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declarations {
    pub package: PackageInfo,
    pub items: Vec<Declaration>,
}

/// One declaration, tagged with its kind. Items of one kind keep their index order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Declaration {
    Concept(Concept),
    Relation(Relation),
    Struct(StructDecl),
    Enum(EnumDecl),
    Predicate(Predicate),
    Rule(Rule),
    Check(Check),
    Query(Query),
    Mutation(Mutation),
    Function(Function),
}

impl Declarations {
    /// Splits a module into its declarations and its standpoint lattice.
    pub fn from_module(module: Module) -> (Declarations, Vec<Standpoint>) {
        use Declaration as D;
        let items = std::iter::empty()
            .chain(module.concepts.into_iter().map(D::Concept))
            .chain(module.relations.into_iter().map(D::Relation))
            .chain(module.structs.into_iter().map(D::Struct))
            .chain(module.enums.into_iter().map(D::Enum))
            .chain(module.predicates.into_iter().map(D::Predicate))
            .chain(module.rules.into_iter().map(D::Rule))
            .chain(module.checks.into_iter().map(D::Check))
            .chain(module.queries.into_iter().map(D::Query))
            .chain(module.mutations.into_iter().map(D::Mutation))
            .chain(module.functions.into_iter().map(D::Function))
            .collect();
        let declarations = Declarations {
            package: module.package,
            items,
        };
        (declarations, module.standpoints)
    }

    /// Reassembles the module; items of each kind take indices in order of appearance.
    pub fn into_module(self, standpoints: Vec<Standpoint>) -> Module {
        let mut module = Module {
            package: self.package,
            concepts: Vec::new(),
            relations: Vec::new(),
            structs: Vec::new(),
            enums: Vec::new(),
            predicates: Vec::new(),
            rules: Vec::new(),
            checks: Vec::new(),
            queries: Vec::new(),
            mutations: Vec::new(),
            functions: Vec::new(),
            standpoints,
        };
        for item in self.items {
            match item {
                Declaration::Concept(x) => module.concepts.push(x),
                Declaration::Relation(x) => module.relations.push(x),
                Declaration::Struct(x) => module.structs.push(x),
                Declaration::Enum(x) => module.enums.push(x),
                Declaration::Predicate(x) => module.predicates.push(x),
                Declaration::Rule(x) => module.rules.push(x),
                Declaration::Check(x) => module.checks.push(x),
                Declaration::Query(x) => module.queries.push(x),
                Declaration::Mutation(x) => module.mutations.push(x),
                Declaration::Function(x) => module.functions.push(x),
            }
        }
        module
    }
}

/// The tier table: the tier each rule and each query needs, and their maximum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierTable {
    /// `rules[i]` is the tier of rule `i`.
    pub rules: Vec<u32>,
    /// `queries[i]` is the tier of query `i`.
    pub queries: Vec<u32>,
    pub max_tier: u32,
}

/// A doc comment of one item (kept out of the declarations and the schema hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocBlock {
    pub kind: SymbolKind,
    /// The item's index among items of its kind.
    pub index: u32,
    /// A member of the item, by position: a concept's field, an enum's
    /// variant or a struct's field. `None` for the item itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<u32>,
    pub text: String,
}
