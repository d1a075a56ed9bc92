//! Phase 1: the module tree, every named item with its qualified path, id
//! assignment in path order, `use` imports and the prelude.

use std::collections::{BTreeMap, HashMap};

use ox_ir::{
    CheckId, ConceptId, EnumId, FnId, MutationId, QueryId, RelationId, StandpointId, StructId,
};
use ox_syntax::ast::{self, Ident, Item, ItemKind, Path, UseTree, Visibility};
use ox_syntax::{Diagnostic, Span};

use crate::codes;
use crate::loader::LoadedFile;
use crate::packages::Unit;
use crate::scope::{Entry, PackageScope, Scope, Symbol};

/// A named item with its module and qualified path.
#[derive(Clone, Copy)]
pub(crate) struct Decl<'a> {
    pub module: usize,
    pub item: &'a Item,
}

/// The clauses of one derived predicate (same module, same name).
pub(crate) struct DeriveGroup<'a> {
    pub module: usize,
    pub name: String,
    pub path: String,
    pub clauses: Vec<&'a Item>,
}

/// Everything phase 1 finds, each list sorted by path (ids are list indices).
#[derive(Default)]
pub(crate) struct Collected<'a> {
    pub concepts: Vec<Decl<'a>>,
    pub relations: Vec<Decl<'a>>,
    pub structs: Vec<Decl<'a>>,
    pub enums: Vec<Decl<'a>>,
    pub derives: Vec<DeriveGroup<'a>>,
    pub checks: Vec<Decl<'a>>,
    pub queries: Vec<Decl<'a>>,
    pub mutations: Vec<Decl<'a>>,
    pub fns: Vec<Decl<'a>>,
    pub standpoints: Vec<Decl<'a>>,
    pub tests: Vec<Decl<'a>>,
    /// Metaxis declarations, in [`Symbol::Metaxis`] index order.
    pub metaxes: Vec<Decl<'a>>,
    /// Metatype declarations; metatype `k` of the scope is `metatypes[k - 1]`
    /// (index 0 is the built-in `type`).
    pub metatypes: Vec<Decl<'a>>,
    /// Metarel declarations; metarel `k` is `metarels[k - 1]` (0 is `rel`).
    pub metarels: Vec<Decl<'a>>,
    /// Checks over declarations (`$iof`, `$sub`, `meta(T)`), run at build time.
    pub vocabulary_checks: Vec<Decl<'a>>,
    /// The standpoint of each rule and check declared inside one (by the
    /// item's span); items missing here are in the default layer.
    pub standpoint_of: HashMap<Span, StandpointId>,
}

impl Collected<'_> {
    /// The standpoint a `derive` clause or `check` belongs to.
    pub fn standpoint(&self, item: &Item) -> Option<StandpointId> {
        self.standpoint_of.get(&item.span).copied()
    }
}

/// The name an item declares, if it declares one.
pub(crate) fn item_name(item: &Item) -> Option<&Ident> {
    Some(match &item.kind {
        ItemKind::Use(_) | ItemKind::Test(_) => return None,
        ItemKind::Mod(d) => &d.name,
        ItemKind::Metaxis(d) => &d.name,
        ItemKind::Metatype(d) => &d.name,
        ItemKind::Metarel(d) => &d.name,
        ItemKind::Concept(d) => &d.name,
        ItemKind::Relation(d) => &d.name,
        ItemKind::Struct(d) => &d.name,
        ItemKind::Enum(d) => &d.name,
        ItemKind::Derive(d) => &d.name,
        ItemKind::Check(d) => &d.name,
        ItemKind::Query(d) => &d.name,
        ItemKind::Mutate(d) => &d.name,
        ItemKind::Fn(d) => &d.name,
        ItemKind::Standpoint(d) => &d.name,
    })
}

/// A package of the compilation, without its files.
pub(crate) struct PackageMeta {
    pub name: String,
    pub prelude: Vec<String>,
    pub prelude_span: Span,
    pub deps: Vec<(String, usize)>,
}

/// Splits the units into package descriptions and one list of files (each
/// file tagged with its package, parent indices made global).
pub(crate) fn flatten(units: Vec<Unit>) -> (Vec<PackageMeta>, Vec<LoadedFile>) {
    let mut packages = Vec::new();
    let mut files = Vec::new();
    for (p, unit) in units.into_iter().enumerate() {
        let offset = files.len();
        for mut f in unit.files {
            f.package = p;
            f.parent = f.parent.map(|i| i + offset);
            f.layer = f.layer.map(|(i, name)| (i + offset, name));
            files.push(f);
        }
        packages.push(PackageMeta {
            name: unit.name,
            prelude: unit.prelude,
            prelude_span: unit.prelude_span,
            deps: unit.deps,
        });
    }
    (packages, files)
}

/// Builds the scope and the sorted item lists.
pub(crate) fn collect<'a>(
    packages: &[PackageMeta],
    files: &'a [LoadedFile],
    sources: &ox_syntax::SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> (Scope, Collected<'a>) {
    let root_name = packages.first().map_or("", |p| p.name.as_str());
    let mut scope = Scope::new();
    // Modules: loaded file i is module index base + i.
    let base = scope.modules.len();
    for f in files {
        let package_name = packages
            .get(f.package)
            .map_or(root_name, |p| p.name.as_str());
        let mut path = vec![package_name.to_string()];
        path.extend(f.module_path.iter().cloned());
        let name = sources
            .get(f.file)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let m = scope.add_module(path, Some(f.file), name, f.parent.map(|p| base + p));
        scope.modules[m].package = Some(f.package);
    }
    scope.root = base;
    for (p, meta) in packages.iter().enumerate() {
        let root = files
            .iter()
            .position(|f| f.package == p && f.parent.is_none())
            .map_or(base, |i| base + i);
        scope.packages.push(PackageScope {
            name: meta.name.clone(),
            root,
            deps: meta.deps.iter().cloned().collect(),
            prelude: BTreeMap::new(),
        });
    }
    let mut out = Collected::default();
    // Pending items per kind: (path, decl).
    let mut pending: BTreeMap<&'static str, Vec<(String, Decl<'a>)>> = BTreeMap::new();
    let mut groups: BTreeMap<String, DeriveGroup<'a>> = BTreeMap::new();
    // Items inside a standpoint: (item span) → (declaring module, standpoint name).
    let mut layered: Vec<(Span, usize, &'a str)> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let m = base + i;
        for (item, layer) in layered_items(f, m, base, diags) {
            if let Some((module, name)) = layer {
                layered.push((item.span, module, name));
            }
            if let ItemKind::Test(_) = item.kind {
                out.tests.push(Decl { module: m, item });
                continue;
            }
            let Some(name) = item_name(item) else {
                continue;
            };
            let path = scope.item_path(m, &name.name);
            if let ItemKind::Derive(_) = item.kind {
                if let Some(g) = groups.get_mut(&path) {
                    g.clauses.push(item);
                    continue;
                }
            }
            if let Some(prev) = scope.modules[m].items.get(&name.name) {
                diags.push(
                    Diagnostic::error(
                        codes::DUPLICATE,
                        name.span,
                        format!("`{}` is defined twice in this module", name.name),
                    )
                    .with_label(prev.span, "first defined here"),
                );
                continue;
            }
            let sym = match &item.kind {
                ItemKind::Mod(d) => {
                    let child = scope
                        .modules
                        .iter()
                        .position(|c| c.parent == Some(m) && c.path.last() == Some(&d.name.name));
                    match child {
                        Some(c) => Symbol::Module(c),
                        None => continue,
                    }
                }
                ItemKind::Metaxis(axis) => {
                    out.metaxes.push(Decl { module: m, item });
                    scope.axis_values.push(match &axis.values {
                        ast::MetaxisValues::Unordered(ids) | ast::MetaxisValues::Chain(ids) => {
                            ids.iter().map(|v| v.name.clone()).collect()
                        }
                        _ => Vec::new(),
                    });
                    Symbol::Metaxis(out.metaxes.len() - 1)
                }
                ItemKind::Metatype(_) => {
                    out.metatypes.push(Decl { module: m, item });
                    scope.metatypes.push(name.name.clone());
                    Symbol::Metatype(scope.metatypes.len() - 1)
                }
                ItemKind::Metarel(_) => {
                    out.metarels.push(Decl { module: m, item });
                    scope.metarels.push(name.name.clone());
                    Symbol::Metarel(scope.metarels.len() - 1)
                }
                ItemKind::Check(check) if super::vocabulary::is_vocabulary_check(check) => {
                    out.vocabulary_checks.push(Decl { module: m, item });
                    Symbol::VocabularyCheck(out.vocabulary_checks.len() - 1)
                }
                ItemKind::Derive(_) => {
                    groups.insert(
                        path.clone(),
                        DeriveGroup {
                            module: m,
                            name: name.name.clone(),
                            path: path.clone(),
                            clauses: vec![item],
                        },
                    );
                    // Placeholder; the id is assigned after sorting.
                    Symbol::Derived(usize::MAX)
                }
                kind => {
                    let key = match kind {
                        ItemKind::Concept(_) => "concept",
                        ItemKind::Relation(_) => "relation",
                        ItemKind::Struct(_) => "struct",
                        ItemKind::Enum(_) => "enum",
                        ItemKind::Check(_) => "check",
                        ItemKind::Query(_) => "query",
                        ItemKind::Mutate(_) => "mutation",
                        ItemKind::Fn(_) => "fn",
                        _ => "standpoint",
                    };
                    pending
                        .entry(key)
                        .or_default()
                        .push((path, Decl { module: m, item }));
                    Symbol::Metaxis(usize::MAX) // replaced below once ids are known
                }
            };
            let vis = match item.kind {
                ItemKind::Mod(_) if item.vis == Visibility::Private => Visibility::Package,
                _ => item.vis,
            };
            scope.modules[m].items.insert(
                name.name.clone(),
                Entry {
                    sym,
                    vis,
                    span: name.span,
                },
            );
        }
    }
    let mut take = |key: &str| -> Vec<Decl<'a>> {
        let mut v = pending.remove(key).unwrap_or_default();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v.into_iter().map(|(_, d)| d).collect()
    };
    out.concepts = take("concept");
    out.relations = take("relation");
    out.structs = take("struct");
    out.enums = take("enum");
    out.checks = take("check");
    out.queries = take("query");
    out.mutations = take("mutation");
    out.fns = take("fn");
    out.standpoints = take("standpoint");
    out.derives = groups.into_values().collect();
    // Clauses in a canonical order (by their whitespace-normalised text), so
    // that reordering clauses in source changes neither clause indices nor
    // the Module.
    for g in &mut out.derives {
        g.clauses.sort_by_cached_key(|item| {
            let text = sources
                .get(item.span.file)
                .map(|f| f.slice(item.span))
                .unwrap_or("");
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        });
    }
    let assign = |scope: &mut Scope, decls: &[Decl<'a>], make: &dyn Fn(u32) -> Symbol| {
        for (i, d) in decls.iter().enumerate() {
            if let Some(name) = item_name(d.item) {
                if let Some(e) = scope.modules[d.module].items.get_mut(&name.name) {
                    e.sym = make(i as u32);
                }
            }
        }
    };
    assign(&mut scope, &out.concepts, &|i| {
        Symbol::Concept(ConceptId(i))
    });
    assign(&mut scope, &out.relations, &|i| {
        Symbol::Relation(RelationId(i))
    });
    assign(&mut scope, &out.structs, &|i| Symbol::Struct(StructId(i)));
    assign(&mut scope, &out.enums, &|i| Symbol::Enum(EnumId(i)));
    assign(&mut scope, &out.checks, &|i| Symbol::Check(CheckId(i)));
    assign(&mut scope, &out.queries, &|i| Symbol::Query(QueryId(i)));
    assign(&mut scope, &out.mutations, &|i| {
        Symbol::Mutation(MutationId(i))
    });
    assign(&mut scope, &out.fns, &|i| Symbol::Fn(FnId(i)));
    assign(&mut scope, &out.standpoints, &|i| {
        Symbol::Standpoint(StandpointId(i))
    });
    for (i, g) in out.derives.iter().enumerate() {
        if let Some(e) = scope.modules[g.module].items.get_mut(&g.name) {
            e.sym = Symbol::Derived(i);
        }
    }
    for (span, module, name) in layered {
        if let Some(Entry {
            sym: Symbol::Standpoint(id),
            ..
        }) = scope.modules[module].items.get(name)
        {
            out.standpoint_of.insert(span, *id);
        }
    }
    scope.variants = out
        .enums
        .iter()
        .map(|d| match &d.item.kind {
            ItemKind::Enum(e) => e.variants.iter().map(|v| v.name.name.clone()).collect(),
            _ => Vec::new(),
        })
        .collect();
    resolve_imports(&mut scope, files, base, diags);
    for (p, meta) in packages.iter().enumerate() {
        resolve_prelude(&mut scope, p, &meta.prelude, meta.prelude_span, diags);
    }
    (scope, out)
}

/// The items of a file with the standpoint each belongs to (declaring
/// module, name), `m` being the file's module: a standpoint's own items are listed after it, and every
/// item of a file loaded by a `mod` inside a standpoint belongs to that
/// standpoint. Items a standpoint cannot hold are reported (`OE1212`) and
/// left out.
fn layered_items<'a>(
    f: &'a LoadedFile,
    m: usize,
    base: usize,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(&'a Item, Option<(usize, &'a str)>)> {
    let file_layer = f.layer.as_ref().map(|(i, name)| (base + i, name.as_str()));
    let mut out = Vec::new();
    for item in &f.ast.items {
        match (&item.kind, file_layer) {
            (ItemKind::Standpoint(sp), None) => {
                out.push((item, None));
                let layer = Some((m, sp.name.name.as_str()));
                for inner in &sp.items {
                    if allowed_in_standpoint(inner, false, &sp.name.name, diags) {
                        out.push((inner, layer));
                    }
                }
            }
            (_, Some((_, name))) => {
                if allowed_in_standpoint(item, true, name, diags) {
                    out.push((item, file_layer));
                }
            }
            (_, None) => out.push((item, None)),
        }
    }
    out
}

/// Whether `item` may be part of standpoint `name` (rules, checks, `mod`s;
/// `use` too in a module file of the standpoint); else `OE1212`.
fn allowed_in_standpoint(
    item: &Item,
    in_module_file: bool,
    name: &str,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let what = match &item.kind {
        ItemKind::Derive(_) | ItemKind::Mod(_) => return true,
        ItemKind::Check(c) if !super::vocabulary::is_vocabulary_check(c) => return true,
        ItemKind::Use(_) if in_module_file => return true,
        ItemKind::Use(_) => "a `use` import",
        ItemKind::Check(_) => "a check over declarations",
        ItemKind::Test(_) => "a test",
        ItemKind::Standpoint(_) => "a standpoint",
        ItemKind::Query(_) => "a query",
        ItemKind::Mutate(_) => "a mutation",
        ItemKind::Fn(_) => "a fn",
        ItemKind::Relation(_) => "a relation",
        ItemKind::Struct(_) => "a struct",
        ItemKind::Enum(_) => "an enum",
        ItemKind::Concept(_) => "a concept",
        _ => "a declaration",
    };
    let span = item_name(item).map_or(item.span, |n| n.span);
    diags.push(
        Diagnostic::error(
            codes::NOT_IN_STANDPOINT,
            span,
            format!("{what} cannot be part of standpoint `{name}`"),
        )
        .with_help(
            "a standpoint holds rules, checks and `mod`s; declare it outside the standpoint",
        ),
    );
    false
}

/// Resolves every `use` of every module into the module's imports.
fn resolve_imports(
    scope: &mut Scope,
    files: &[LoadedFile],
    base: usize,
    diags: &mut Vec<Diagnostic>,
) {
    // Explicit imports first (all modules), then globs, so globs never shadow.
    // A `use` may name a `pub use` of another module (or package) that is
    // resolved later in the same pass, so each pass repeats until it adds
    // nothing; only the last round's errors are reported.
    for globs in [false, true] {
        loop {
            let before = import_count(scope);
            let mut round = Vec::new();
            import_pass(scope, files, base, globs, &mut round);
            if import_count(scope) == before {
                diags.append(&mut round);
                break;
            }
        }
    }
}

fn import_count(scope: &Scope) -> usize {
    scope.modules.iter().map(|m| m.imports.len()).sum()
}

/// One pass over every `use` (explicit ones, or globs).
fn import_pass(
    scope: &mut Scope,
    files: &[LoadedFile],
    base: usize,
    globs: bool,
    diags: &mut Vec<Diagnostic>,
) {
    {
        for (i, f) in files.iter().enumerate() {
            let m = base + i;
            for item in &f.ast.items {
                let ItemKind::Use(u) = &item.kind else {
                    continue;
                };
                let vis = item.vis;
                let add = |scope: &mut Scope,
                           name: &Ident,
                           sym: Symbol,
                           explicit: bool,
                           diags: &mut Vec<Diagnostic>| {
                    if let Some(d) = add_import(scope, m, vis, name, sym, explicit) {
                        diags.push(d);
                    }
                };
                match &u.tree {
                    UseTree::Single if !globs => match scope.resolve(m, &u.path) {
                        Ok(sym) => {
                            if let Some(last) = u.path.segments.last() {
                                add(scope, last, sym, true, diags);
                            }
                        }
                        Err(d) => diags.push(d),
                    },
                    UseTree::Group(names) if !globs => match scope.resolve(m, &u.path) {
                        Ok(prefix) => {
                            for name in names {
                                match lookup_member(scope, m, prefix, name) {
                                    Ok(sym) => add(scope, name, sym, true, diags),
                                    Err(d) => diags.push(d),
                                }
                            }
                        }
                        Err(d) => diags.push(d),
                    },
                    UseTree::Glob if globs => match scope.resolve(m, &u.path) {
                        Ok(Symbol::Module(target)) => {
                            let members: Vec<(String, Entry)> = scope.modules[target]
                                .items
                                .iter()
                                .filter(|(_, e)| match e.vis {
                                    Visibility::Public => true,
                                    Visibility::Package => {
                                        scope.modules[target].package == scope.modules[m].package
                                    }
                                    Visibility::Private => {
                                        scope.modules[target].file == scope.modules[m].file
                                    }
                                })
                                .map(|(k, e)| (k.clone(), *e))
                                .collect();
                            for (name, e) in members {
                                add(
                                    scope,
                                    &Ident {
                                        name,
                                        span: u.path.span,
                                    },
                                    e.sym,
                                    false,
                                    diags,
                                );
                            }
                        }
                        Ok(Symbol::Enum(e)) => {
                            let variants =
                                scope.variants.get(e.index()).cloned().unwrap_or_default();
                            for (vi, name) in variants.into_iter().enumerate() {
                                add(
                                    scope,
                                    &Ident {
                                        name,
                                        span: u.path.span,
                                    },
                                    Symbol::Variant(e, vi as u32),
                                    false,
                                    diags,
                                );
                            }
                        }
                        Ok(other) => diags.push(Diagnostic::error(
                            codes::WRONG_KIND,
                            u.path.span,
                            format!("cannot glob-import from {}", other.describe()),
                        )),
                        Err(d) => diags.push(d),
                    },
                    _ => {}
                }
            }
        }
    }
}

/// Adds one import to module `m`; an explicit import that clashes with a
/// different existing name is an error, a glob import never overrides.
fn add_import(
    scope: &mut Scope,
    m: usize,
    vis: Visibility,
    name: &Ident,
    sym: Symbol,
    explicit: bool,
) -> Option<Diagnostic> {
    let module = &mut scope.modules[m];
    if let Some(existing) = module
        .items
        .get(&name.name)
        .or_else(|| module.imports.get(&name.name))
    {
        if explicit && existing.sym != sym {
            return Some(Diagnostic::error(
                codes::DUPLICATE,
                name.span,
                format!(
                    "`{}` is already defined or imported in this module",
                    name.name
                ),
            ));
        }
        return None;
    }
    module.imports.insert(
        name.name.clone(),
        Entry {
            sym,
            vis,
            span: name.span,
        },
    );
    None
}

/// Resolves `name` as a member of `prefix` (a module or an enum).
fn lookup_member(
    scope: &Scope,
    m: usize,
    prefix: Symbol,
    name: &Ident,
) -> Result<Symbol, Diagnostic> {
    match prefix {
        Symbol::Module(target) => scope.lookup_in(m, target, &name.name, name.span),
        Symbol::Enum(e) => scope
            .variants
            .get(e.index())
            .and_then(|v| v.iter().position(|n| *n == name.name))
            .map(|i| Symbol::Variant(e, i as u32))
            .ok_or_else(|| {
                Diagnostic::error(
                    codes::UNRESOLVED,
                    name.span,
                    format!("enum has no variant `{}`", name.name),
                )
            }),
        other => Err(Diagnostic::error(
            codes::WRONG_KIND,
            name.span,
            format!("cannot import `{}` from {}", name.name, other.describe()),
        )),
    }
}

/// Resolves a package's prelude paths (from its root module).
fn resolve_prelude(
    scope: &mut Scope,
    package: usize,
    prelude: &[String],
    span: Span,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(root) = scope.packages.get(package).map(|p| p.root) else {
        return;
    };
    for entry in prelude {
        let segments: Vec<Ident> = entry
            .split("::")
            .map(|s| Ident {
                name: s.to_string(),
                span,
            })
            .collect();
        let Some(last) = segments.last().map(|s| s.name.clone()) else {
            continue;
        };
        let path = Path { segments, span };
        match scope.resolve(root, &path) {
            Ok(sym) => {
                if let Some(p) = scope.packages.get_mut(package) {
                    p.prelude.insert(last, sym);
                }
            }
            Err(d) => diags.push(Diagnostic::error(
                codes::BAD_MANIFEST,
                span,
                format!("prelude entry `{entry}` does not resolve: {}", d.message),
            )),
        }
    }
}
