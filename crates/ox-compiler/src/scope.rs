//! Module scopes and name resolution: items, `use` imports, the prelude,
//! `std::core`, visibility and qualified paths.

use std::collections::BTreeMap;

use ox_ir::{
    CheckId, ConceptId, EnumId, FnId, MutationId, QueryId, RelationId, StandpointId, StructId,
};
use ox_syntax::ast::{Path, Visibility};
use ox_syntax::{Diagnostic, FileId, Span};

use crate::codes;

/// What a name stands for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Symbol {
    Module(usize),
    Concept(ConceptId),
    Relation(RelationId),
    Struct(StructId),
    Enum(EnumId),
    Variant(EnumId, u32),
    /// A derived predicate: index into the compiler's derived table.
    Derived(usize),
    Check(CheckId),
    Query(QueryId),
    Mutation(MutationId),
    Fn(FnId),
    Standpoint(StandpointId),
    /// A metatype (concept introducer): index into [`Scope::metatypes`].
    Metatype(usize),
    /// A metarel (relation introducer): index into [`Scope::metarels`].
    Metarel(usize),
    /// A metaxis: index into the compiler's substrate table of axes.
    Metaxis(usize),
    /// A value of a metaxis: axis index, value index.
    AxisValue(usize, usize),
    /// A vocabulary check (runs over declarations at build time).
    VocabularyCheck(usize),
}

impl Symbol {
    /// What kind of item this is, for messages ("a query", "a concept" …).
    pub fn describe(self) -> &'static str {
        match self {
            Symbol::Module(_) => "a module",
            Symbol::Concept(_) => "a concept",
            Symbol::Relation(_) => "a relation",
            Symbol::Struct(_) => "a struct",
            Symbol::Enum(_) => "an enum",
            Symbol::Variant(..) => "an enum variant",
            Symbol::Derived(_) => "a derived predicate",
            Symbol::Check(_) => "a check",
            Symbol::Query(_) => "a query",
            Symbol::Mutation(_) => "a mutation",
            Symbol::Fn(_) => "a function",
            Symbol::Standpoint(_) => "a standpoint",
            Symbol::Metatype(_) => "a metatype",
            Symbol::Metarel(_) => "a metarel",
            Symbol::Metaxis(_) => "a metaxis",
            Symbol::AxisValue(..) => "a metaxis value",
            Symbol::VocabularyCheck(_) => "a vocabulary check",
        }
    }
}

/// A name bound in a module.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Entry {
    pub sym: Symbol,
    pub vis: Visibility,
    pub span: Span,
}

/// One module: a source file of the package, or a built-in `std` module.
#[derive(Debug)]
pub(crate) struct ModuleScope {
    /// Full path including the package (`["lease", "billing"]`).
    pub path: Vec<String>,
    /// The source file (None for built-in modules).
    pub file: Option<FileId>,
    /// Display name of the file, for visibility messages.
    pub file_name: String,
    pub parent: Option<usize>,
    /// The package of the module (index into [`Scope::packages`]; `None` for `std`).
    pub package: Option<usize>,
    /// Declared items (including child modules).
    pub items: BTreeMap<String, Entry>,
    /// Names brought in by `use`.
    pub imports: BTreeMap<String, Entry>,
}

/// One package of the compilation as seen by name resolution.
#[derive(Debug, Default)]
pub(crate) struct PackageScope {
    pub name: String,
    /// Root module of the package.
    pub root: usize,
    /// Dependencies by the name this package uses for them → package index.
    pub deps: BTreeMap<String, usize>,
    /// Names in scope in every file of the package (its manifest's `prelude`).
    pub prelude: BTreeMap<String, Symbol>,
}

/// All modules of a compilation plus the preludes.
#[derive(Debug, Default)]
pub(crate) struct Scope {
    pub modules: Vec<ModuleScope>,
    /// Index of the package's root module.
    pub root: usize,
    /// Index of the `std` module.
    pub std_root: usize,
    /// The packages of the compilation (0 = the package being built).
    pub packages: Vec<PackageScope>,
    /// Metatype names (`type` first).
    pub metatypes: Vec<String>,
    /// Metarel names (`rel` first).
    pub metarels: Vec<String>,
    /// Variant names per enum.
    pub variants: Vec<Vec<String>>,
    /// Value names per metaxis.
    pub axis_values: Vec<Vec<String>>,
}

impl Scope {
    /// A scope containing only `std` and `std::core` (with `type` and `rel`).
    pub fn new() -> Scope {
        let mut scope = Scope {
            metatypes: vec!["type".to_string()],
            metarels: vec!["rel".to_string()],
            ..Scope::default()
        };
        let std_root = scope.add_module(vec!["std".into()], None, "<std>".into(), None);
        let core = scope.add_module(
            vec!["std".into(), "core".into()],
            None,
            "<std::core>".into(),
            Some(std_root),
        );
        let builtin = Span::default();
        scope.modules[std_root].items.insert(
            "core".into(),
            Entry {
                sym: Symbol::Module(core),
                vis: Visibility::Public,
                span: builtin,
            },
        );
        scope.modules[core].items.insert(
            "type".into(),
            Entry {
                sym: Symbol::Metatype(0),
                vis: Visibility::Public,
                span: builtin,
            },
        );
        scope.modules[core].items.insert(
            "rel".into(),
            Entry {
                sym: Symbol::Metarel(0),
                vis: Visibility::Public,
                span: builtin,
            },
        );
        scope.std_root = std_root;
        scope
    }

    /// Adds a module and returns its index.
    pub fn add_module(
        &mut self,
        path: Vec<String>,
        file: Option<FileId>,
        file_name: String,
        parent: Option<usize>,
    ) -> usize {
        self.modules.push(ModuleScope {
            path,
            file,
            file_name,
            parent,
            package: None,
            items: BTreeMap::new(),
            imports: BTreeMap::new(),
        });
        self.modules.len() - 1
    }

    /// The qualified path of an item named `name` declared in module `m`.
    pub fn item_path(&self, m: usize, name: &str) -> String {
        let mut s = self.modules[m].path.join("::");
        s.push_str("::");
        s.push_str(name);
        s
    }

    /// Looks a single name up as written in module `m`: its items, its
    /// imports, then the prelude.
    pub fn lookup_local(&self, m: usize, name: &str) -> Option<Symbol> {
        let module = &self.modules[m];
        module
            .items
            .get(name)
            .or_else(|| module.imports.get(name))
            .map(|e| e.sym)
            .or_else(|| self.package_of(m)?.prelude.get(name).copied())
    }

    /// The package of module `m` (`None` for `std`).
    pub fn package_of(&self, m: usize) -> Option<&PackageScope> {
        self.packages.get(self.modules.get(m)?.package?)
    }

    /// The root module of a package named from module `m`: its own package
    /// (by `pkg` or its name) or one of its dependencies.
    fn package_root(&self, m: usize, name: &str) -> Option<usize> {
        let own = self.package_of(m)?;
        if name == "pkg" || name == own.name {
            return Some(own.root);
        }
        own.deps
            .get(name)
            .and_then(|p| self.packages.get(*p))
            .map(|p| p.root)
    }

    /// Resolves a path written in module `m`.
    pub fn resolve(&self, m: usize, path: &Path) -> Result<Symbol, Diagnostic> {
        let Some(first) = path.segments.first() else {
            return Err(Diagnostic::error(
                codes::UNRESOLVED,
                path.span,
                "empty path",
            ));
        };
        let mut current = match first.name.as_str() {
            "self" => Symbol::Module(m),
            "super" => match self.modules[m].parent {
                Some(p) => Symbol::Module(p),
                None => {
                    return Err(Diagnostic::error(
                        codes::UNRESOLVED,
                        first.span,
                        "`super` used in the root module, which has no parent",
                    ))
                }
            },
            "pkg" => Symbol::Module(self.package_root(m, "pkg").unwrap_or(self.root)),
            "std" if self.lookup_local(m, "std").is_none() => Symbol::Module(self.std_root),
            name if self.lookup_local(m, name).is_none()
                && self.package_root(m, name).is_some() =>
            {
                Symbol::Module(self.package_root(m, name).unwrap_or(self.root))
            }
            name => match self.lookup_local(m, name) {
                Some(sym) => sym,
                None => return Err(self.unresolved(m, &first.name, first.span)),
            },
        };
        for seg in &path.segments[1..] {
            current = match current {
                Symbol::Module(target) => self.lookup_in(m, target, &seg.name, seg.span)?,
                Symbol::Enum(e) => {
                    let variants = self
                        .variants
                        .get(e.index())
                        .map(Vec::as_slice)
                        .unwrap_or(&[]);
                    match variants.iter().position(|v| *v == seg.name) {
                        Some(i) => Symbol::Variant(e, i as u32),
                        None => {
                            return Err(Diagnostic::error(
                                codes::UNRESOLVED,
                                seg.span,
                                format!("enum has no variant `{}`", seg.name),
                            )
                            .with_help(format!("variants are: {}", variants.join(", "))))
                        }
                    }
                }
                Symbol::Metaxis(a) => {
                    let values = self.axis_values.get(a).map(Vec::as_slice).unwrap_or(&[]);
                    match values.iter().position(|v| *v == seg.name) {
                        Some(i) => Symbol::AxisValue(a, i),
                        None => {
                            return Err(Diagnostic::error(
                                codes::INVALID_AXIS_VALUE,
                                seg.span,
                                format!("the metaxis has no value `{}`", seg.name),
                            )
                            .with_help(format!("values are: {}", values.join(", "))))
                        }
                    }
                }
                other => {
                    return Err(Diagnostic::error(
                        codes::WRONG_KIND,
                        seg.span,
                        format!("cannot look up `{}` inside {}", seg.name, other.describe()),
                    ))
                }
            };
        }
        Ok(current)
    }

    /// Looks up `name` inside module `target` from module `from`, checking visibility.
    pub fn lookup_in(
        &self,
        from: usize,
        target: usize,
        name: &str,
        span: Span,
    ) -> Result<Symbol, Diagnostic> {
        let module = &self.modules[target];
        let entry = module.items.get(name).or_else(|| {
            module
                .imports
                .get(name)
                .filter(|e| e.vis != Visibility::Private)
        });
        match entry {
            Some(e) => {
                let other_package =
                    self.modules[from].package != module.package && module.package.is_some();
                if e.vis == Visibility::Package && other_package {
                    let owner = self.package_of(target).map_or("?", |p| p.name.as_str());
                    Err(Diagnostic::error(
                        codes::PRIVATE,
                        span,
                        format!("`{name}` is `pub(pkg)`: visible only inside package `{owner}`"),
                    )
                    .with_label(e.span, "declared here with `pub(pkg)`")
                    .with_help("mark it `pub` in its package to export it"))
                } else if e.vis == Visibility::Private && !self.same_file(from, target) {
                    Err(Diagnostic::error(
                        codes::PRIVATE,
                        span,
                        format!("`{name}` is private to `{}`", module.file_name),
                    )
                    .with_label(e.span, "declared here without `pub`")
                    .with_help("mark it `pub` (exported) or `pub(pkg)` (package-wide)"))
                } else {
                    Ok(e.sym)
                }
            }
            None => {
                let mut d = Diagnostic::error(
                    codes::UNRESOLVED,
                    span,
                    format!("cannot find `{name}` in `{}`", module.path.join("::")),
                );
                if let Some(s) = closest(name, module.items.keys().map(String::as_str)) {
                    d = d.with_help(format!("a similar name exists: `{s}`"));
                }
                Err(d)
            }
        }
    }

    fn same_file(&self, a: usize, b: usize) -> bool {
        a == b || (self.modules[a].file.is_some() && self.modules[a].file == self.modules[b].file)
    }

    /// An `OE0101` diagnostic for `name` in module `m`, with a suggestion.
    pub fn unresolved(&self, m: usize, name: &str, span: Span) -> Diagnostic {
        let mut d = Diagnostic::error(
            codes::UNRESOLVED,
            span,
            format!("cannot find `{name}` in this scope"),
        );
        let module = &self.modules[m];
        let candidates = module
            .items
            .keys()
            .chain(module.imports.keys())
            .chain(
                self.package_of(m)
                    .into_iter()
                    .flat_map(|p| p.prelude.keys()),
            )
            .map(String::as_str)
            .chain(crate::types::PRIMITIVES.iter().copied());
        if let Some(s) = closest(name, candidates) {
            d = d.with_help(format!("a similar name exists: `{s}`"));
        }
        d
    }
}

/// The candidate closest to `name` by edit distance, if it is close enough.
pub(crate) fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let length = name.chars().count();
    let limit = (length / 3).max(1);
    let lower = name.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        // The distance is at least the difference in length: skip the
        // (many) candidates that cannot be close enough without computing it.
        if c == name || c.chars().count().abs_diff(length) > limit {
            continue;
        }
        let d = edit_distance(&lower, &c.to_lowercase());
        if d <= limit && best.is_none_or(|(bd, bs)| d < bd || (d == bd && c < bs)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, s)| s.to_string())
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_use_edit_distance() {
        assert_eq!(
            closest("Persn", ["Person", "Lease"].into_iter()),
            Some("Person".into())
        );
        assert_eq!(closest("xyz", ["Person"].into_iter()), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
