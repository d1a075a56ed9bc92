//! The compiler's view of all declarations while bodies are lowered:
//! resolved declarations, predicate table, signatures, and type helpers.

use ox_ir::expr::FieldRef;
use ox_ir::{
    Check, Concept, ConceptId, EnumDecl, Param, PredId, Predicate, Relation, StructDecl, Type,
    TypeNames, Visibility,
};
use ox_syntax::ast::{self, BoundOp, TypeKind};
use ox_syntax::{Diagnostic, SourceMap, Span};

use crate::codes;
use crate::scope::{Scope, Symbol};
use crate::types::{self, primitive};

/// The signature of a query, mutation or function.
#[derive(Clone, Debug)]
pub(crate) struct Sig {
    pub name: String,
    pub path: String,
    pub params: Vec<Param>,
    /// Per parameter: may the caller omit it (queries only).
    pub optional: Vec<bool>,
    pub result: Type,
    pub visibility: Visibility,
}

/// A derived predicate and its (possibly still unknown) parameter types.
#[derive(Clone, Debug)]
pub(crate) struct Derived {
    pub name: String,
    pub pred: PredId,
    pub types: Vec<Option<Type>>,
    /// The strong negation `~name`, when some clause derives it.
    pub complement: Option<PredId>,
}

/// All declarations known once phase 2 (declarations) is done.
pub(crate) struct Env<'a> {
    pub sources: &'a SourceMap,
    pub scope: Scope,
    pub concepts: Vec<Concept>,
    /// Whether each concept is `iff`-defined.
    pub iff: Vec<bool>,
    pub relations: Vec<Relation>,
    pub structs: Vec<StructDecl>,
    pub enums: Vec<EnumDecl>,
    pub preds: Vec<Predicate>,
    pub derived: Vec<Derived>,
    pub checks: Vec<Check>,
    pub queries: Vec<Sig>,
    pub mutations: Vec<Sig>,
    pub fns: Vec<Sig>,
}

impl Env<'_> {
    /// The source text of a span.
    pub fn text(&self, span: Span) -> String {
        self.sources
            .get(span.file)
            .map(|f| f.slice(span).to_string())
            .unwrap_or_default()
    }

    /// Whether concept `sub` is `sup` or specialises it transitively.
    pub fn is_sub(&self, sub: ConceptId, sup: ConceptId) -> bool {
        self.ancestors(sub).contains(&sup)
    }

    /// The concept and all its transitive supertypes, the concept first (cycle-safe).
    pub fn ancestors(&self, id: ConceptId) -> Vec<ConceptId> {
        let mut out = vec![id];
        let mut seen = std::collections::BTreeSet::from([id]);
        let mut i = 0;
        while i < out.len() {
            if let Some(c) = self.concepts.get(out[i].index()) {
                for s in &c.supertypes {
                    if seen.insert(*s) {
                        out.push(*s);
                    }
                }
            }
            i += 1;
        }
        out
    }

    /// All fields of a concept including inherited ones, in `ancestors` order.
    /// The position in this list is the field index used by `InsertIndividual`.
    pub fn all_fields(&self, id: ConceptId) -> Vec<(FieldRef, &ox_ir::Field)> {
        self.ancestors(id)
            .into_iter()
            .flat_map(|c| {
                self.concepts[c.index()]
                    .fields
                    .iter()
                    .enumerate()
                    .map(move |(i, f)| {
                        (
                            FieldRef {
                                concept: c,
                                field: i as u32,
                            },
                            f,
                        )
                    })
            })
            .collect()
    }

    /// A field of a concept (own or inherited) by name.
    pub fn find_field(&self, id: ConceptId, name: &str) -> Option<(FieldRef, &ox_ir::Field)> {
        self.all_fields(id)
            .into_iter()
            .find(|(_, f)| f.name == name)
    }

    /// Whether `found` may be used where `expected` is required.
    pub fn assignable(&self, found: &Type, expected: &Type) -> bool {
        types::assignable(found, expected, &|a, b| self.is_sub(a, b))
    }

    /// Whether values of the two types can be compared.
    pub fn comparable(&self, a: &Type, b: &Type) -> bool {
        types::comparable(a, b, &|x, y| self.is_sub(x, y))
    }

    /// A type as written in source.
    pub fn type_name(&self, ty: &Type) -> String {
        ty.render(&TypeNames {
            concepts: &self.concepts,
            structs: &self.structs,
            enums: &self.enums,
            predicates: &self.preds,
        })
    }

    /// `OE0203` "expected `A`, found `B`".
    pub fn mismatch(&self, span: Span, expected: &Type, found: &Type) -> Diagnostic {
        Diagnostic::error(
            codes::TYPE_MISMATCH,
            span,
            format!(
                "expected `{}`, found `{}`",
                self.type_name(expected),
                self.type_name(found)
            ),
        )
    }

    /// Resolves a written type in module `m`; unknown names are reported.
    pub fn resolve_type(
        &self,
        m: usize,
        ty: &ast::Type,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Type> {
        match &ty.kind {
            TypeKind::Named(path) => {
                if path.segments.len() == 1 {
                    if let Some(p) = primitive(&path.segments[0].name) {
                        return Some(p);
                    }
                }
                match self.scope.resolve(m, path) {
                    Ok(Symbol::Concept(c)) => Some(Type::Concept(c)),
                    Ok(Symbol::Struct(s)) => Some(Type::Struct(s)),
                    Ok(Symbol::Enum(e)) => Some(Type::Enum(e)),
                    Ok(Symbol::Relation(r)) => self.relations.get(r.index()).map(|r| {
                        // A tuple of a relation with fields carries their values.
                        let stored = r
                            .field_values
                            .map_or(r.pred, |h| self.relations[h.index()].pred);
                        Type::Tuple(stored)
                    }),
                    Ok(Symbol::Derived(d)) => self.derived.get(d).map(|d| Type::Tuple(d.pred)),
                    Ok(other) => {
                        diags.push(Diagnostic::error(
                            codes::WRONG_KIND,
                            path.span,
                            format!(
                                "expected a type, found {} `{}`",
                                other.describe(),
                                path_text(path)
                            ),
                        ));
                        None
                    }
                    Err(d) => {
                        diags.push(d);
                        None
                    }
                }
            }
            TypeKind::Option(t) => Some(Type::Option(Box::new(self.resolve_type(m, t, diags)?))),
            TypeKind::List { elem, bound } => {
                let card = match bound {
                    None => ox_ir::Cardinality::ANY,
                    Some(b) => match b.op {
                        BoundOp::AtLeast => ox_ir::Cardinality {
                            min: b.n,
                            max: None,
                        },
                        BoundOp::AtMost => ox_ir::Cardinality {
                            min: 0,
                            max: Some(b.n),
                        },
                        BoundOp::Exactly => ox_ir::Cardinality {
                            min: b.n,
                            max: Some(b.n),
                        },
                    },
                };
                Some(Type::List(
                    Box::new(self.resolve_type(m, elem, diags)?),
                    card,
                ))
            }
            TypeKind::Set(t) => Some(Type::Set(Box::new(self.resolve_type(m, t, diags)?))),
            TypeKind::Map(k, v) => {
                let k = self.resolve_type(m, k, diags);
                let v = self.resolve_type(m, v, diags);
                Some(Type::Map(Box::new(k?), Box::new(v?)))
            }
        }
    }

    /// The membership / relation / derived predicate a symbol stands for, with
    /// its parameter types (`None` = not inferred yet).
    pub fn predicate_of(&self, sym: Symbol) -> Option<(PredId, Vec<Option<Type>>)> {
        match sym {
            Symbol::Concept(id) => {
                let c = self.concepts.get(id.index())?;
                Some((c.pred, vec![Some(Type::Concept(id))]))
            }
            Symbol::Relation(r) => {
                let r = self.relations.get(r.index())?;
                Some((
                    r.pred,
                    r.params.iter().map(|p| Some(p.ty.clone())).collect(),
                ))
            }
            Symbol::Derived(d) => {
                let d = self.derived.get(d)?;
                Some((d.pred, d.types.clone()))
            }
            _ => None,
        }
    }

    /// The predicate an atom `P(args)` with `arity` arguments reads: for a
    /// relation with per-tuple fields, `R(endpoints…, fields…)` reads the
    /// tuples with their field values; otherwise as [`Env::predicate_of`].
    pub fn atom_predicate(&self, sym: Symbol, arity: usize) -> Option<(PredId, Vec<Option<Type>>)> {
        if let Symbol::Relation(r) = sym {
            let r = self.relations.get(r.index())?;
            if let Some(h) = r.field_values {
                if arity == r.params.len() + r.fields.len() {
                    return self.predicate_of(Symbol::Relation(h));
                }
            }
        }
        self.predicate_of(sym)
    }
}

/// `a::b::c` as text.
pub(crate) fn path_text(path: &ast::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join("::")
}

/// The value type of a field predicate: element type for collections, inner type for options.
pub(crate) fn field_value_type(ty: &Type) -> Type {
    match ty {
        Type::List(t, _) | Type::Set(t) => (**t).clone(),
        Type::Option(t) => (**t).clone(),
        t => t.clone(),
    }
}
