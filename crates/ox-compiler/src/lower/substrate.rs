//! The substrate: metaxes, metatypes and metarels declared by vocabulary
//! packages. Validates axis values (`OE0632`), abstract introducers
//! (`OE0633`) and relation endpoint metatypes (`OE0631`), and answers the
//! meta-level questions of vocabulary checks (`meta(T).axis`, `$iof`).

use std::collections::BTreeMap;

use ox_ir::{ConceptId, Type};
use ox_syntax::ast::{AxisValueKind, ItemKind, MetaxisTargetKind, MetaxisValues};
use ox_syntax::Diagnostic;

use super::collect::Collected;
use super::env::Env;
use crate::codes;
use crate::scope::Symbol;

/// One metaxis.
#[derive(Debug, Default)]
pub(crate) struct Axis {
    pub name: String,
    /// Named values; for a chain, least first.
    pub values: Vec<String>,
    /// Whether the values form a chain (`a < b < c`).
    pub ordered: bool,
    /// Whether metatypes may give this axis a value.
    pub for_metatypes: bool,
}

/// One metatype with its axis values (axis index → value index).
#[derive(Debug, Default)]
pub(crate) struct Metatype {
    pub name: String,
    pub is_abstract: bool,
    pub values: BTreeMap<usize, usize>,
}

/// The validated substrate of a compilation.
#[derive(Debug, Default)]
pub(crate) struct Substrate {
    pub axes: Vec<Axis>,
    /// Index 0 is the built-in `type`.
    pub metatypes: Vec<Metatype>,
    /// The metatype of every concept (by concept index).
    pub concept_metatype: Vec<usize>,
}

impl Substrate {
    /// Whether metatype `m` is `n` or a sub-metatype of it: `n` is `type`, or
    /// `n` is `abstract`, fixes at least one axis, and `m` gives every axis of
    /// `n` the same value. Concrete metatypes only match themselves.
    pub fn is_sub_metatype(&self, m: usize, n: usize) -> bool {
        if m == n || n == 0 {
            return true;
        }
        let (Some(sub), Some(sup)) = (self.metatypes.get(m), self.metatypes.get(n)) else {
            return false;
        };
        sup.is_abstract
            && !sup.values.is_empty()
            && sup
                .values
                .iter()
                .all(|(axis, value)| sub.values.get(axis) == Some(value))
    }

    /// The value index of `axis` for a concept's metatype.
    pub fn axis_value(&self, concept: ConceptId, axis: usize) -> Option<usize> {
        let m = *self.concept_metatype.get(concept.index())?;
        self.metatypes.get(m)?.values.get(&axis).copied()
    }
}

/// Builds and validates the substrate; reports problems into `diags`.
pub(crate) fn build(env: &Env<'_>, c: &Collected<'_>, diags: &mut Vec<Diagnostic>) -> Substrate {
    let mut sub = Substrate {
        axes: axes(c),
        ..Substrate::default()
    };
    sub.metatypes.push(Metatype {
        name: "type".into(),
        ..Metatype::default()
    });
    for d in &c.metatypes {
        let ItemKind::Metatype(decl) = &d.item.kind else {
            continue;
        };
        let mut values = BTreeMap::new();
        for av in &decl.values {
            let axis = match env.scope.lookup_local(d.module, &av.axis.name) {
                Some(Symbol::Metaxis(a)) if a < sub.axes.len() => a,
                _ => {
                    diags.push(Diagnostic::error(
                        codes::INVALID_AXIS_VALUE,
                        av.axis.span,
                        format!("`{}` is not a metaxis in scope", av.axis.name),
                    ));
                    continue;
                }
            };
            let info = &sub.axes[axis];
            if !info.for_metatypes {
                diags.push(Diagnostic::error(
                    codes::INVALID_AXIS_VALUE,
                    av.axis.span,
                    format!("metaxis `{}` does not apply to metatypes", info.name),
                ));
                continue;
            }
            let value = match &av.value {
                AxisValueKind::Ident(v) => match info.values.iter().position(|n| *n == v.name) {
                    Some(i) => i,
                    None => {
                        diags.push(
                            Diagnostic::error(
                                codes::INVALID_AXIS_VALUE,
                                v.span,
                                format!("`{}` is not a value of metaxis `{}`", v.name, info.name),
                            )
                            .with_help(format!("values are: {}", info.values.join(", "))),
                        );
                        continue;
                    }
                },
                AxisValueKind::Lit(_) => {
                    if info.values.is_empty() {
                        // Typed axes accept literals; they take no part in sub-metatyping.
                        continue;
                    }
                    diags.push(Diagnostic::error(
                        codes::INVALID_AXIS_VALUE,
                        av.span,
                        format!(
                            "metaxis `{}` takes one of its named values, not a literal",
                            info.name
                        ),
                    ));
                    continue;
                }
            };
            if values.insert(axis, value).is_some() {
                diags.push(Diagnostic::error(
                    codes::INVALID_AXIS_VALUE,
                    av.span,
                    format!("metaxis `{}` is given twice", info.name),
                ));
            }
        }
        sub.metatypes.push(Metatype {
            name: decl.name.name.clone(),
            is_abstract: decl.is_abstract,
            values,
        });
    }
    concept_metatypes(env, c, &mut sub, diags);
    relation_endpoints(env, c, &sub, diags);
    sub
}

fn axes(c: &Collected<'_>) -> Vec<Axis> {
    c.metaxes
        .iter()
        .map(|d| match &d.item.kind {
            ItemKind::Metaxis(decl) => {
                let (values, ordered) = match &decl.values {
                    MetaxisValues::Unordered(ids) => (ids.clone(), false),
                    MetaxisValues::Chain(ids) => (ids.clone(), true),
                    _ => (Vec::new(), false),
                };
                Axis {
                    name: decl.name.name.clone(),
                    values: values.into_iter().map(|v| v.name).collect(),
                    ordered,
                    for_metatypes: decl
                        .targets
                        .iter()
                        .any(|t| t.kind == MetaxisTargetKind::Metatype),
                }
            }
            _ => Axis::default(),
        })
        .collect()
}

/// The metatype of each concept; concepts introduced by an abstract metatype are `OE0633`.
fn concept_metatypes(
    env: &Env<'_>,
    c: &Collected<'_>,
    sub: &mut Substrate,
    diags: &mut Vec<Diagnostic>,
) {
    for d in &c.concepts {
        let ItemKind::Concept(decl) = &d.item.kind else {
            sub.concept_metatype.push(0);
            continue;
        };
        let m = match env.scope.lookup_local(d.module, &decl.introducer.name) {
            Some(Symbol::Metatype(k)) => k,
            _ => 0,
        };
        if sub.metatypes.get(m).is_some_and(|mt| mt.is_abstract) {
            diags.push(
                Diagnostic::error(
                    codes::ABSTRACT_METATYPE,
                    decl.introducer.span,
                    format!(
                        "`{}` is an abstract metatype and cannot introduce a type",
                        decl.introducer.name
                    ),
                )
                .with_help("use one of its concrete sub-metatypes"),
            );
        }
        sub.concept_metatype.push(m);
    }
}

/// `OE0631`: each endpoint type of a relation must be of (a sub-metatype of)
/// the metatype its metarel requires.
fn relation_endpoints(
    env: &Env<'_>,
    c: &Collected<'_>,
    sub: &Substrate,
    diags: &mut Vec<Diagnostic>,
) {
    // Required endpoint metatypes per metarel (index 0 is `rel`: anything).
    let mut required: Vec<Vec<(String, Option<usize>)>> = vec![Vec::new()];
    for d in &c.metarels {
        let ItemKind::Metarel(decl) = &d.item.kind else {
            required.push(Vec::new());
            continue;
        };
        let ends = decl
            .endpoints
            .iter()
            .map(|e| {
                let m = match env.scope.lookup_local(d.module, &e.metatype.name) {
                    Some(Symbol::Metatype(k)) => Some(k),
                    _ => {
                        diags.push(Diagnostic::error(
                            codes::UNKNOWN_METATYPE,
                            e.metatype.span,
                            format!("`{}` is not a metatype in scope", e.metatype.name),
                        ));
                        None
                    }
                };
                (e.name.name.clone(), m)
            })
            .collect();
        required.push(ends);
    }
    for (i, d) in c.relations.iter().enumerate() {
        let ItemKind::Relation(decl) = &d.item.kind else {
            continue;
        };
        let Some(Symbol::Metarel(k)) = env.scope.lookup_local(d.module, &decl.introducer.name)
        else {
            continue;
        };
        let Some(ends) = required.get(k).filter(|e| !e.is_empty()) else {
            continue;
        };
        if ends.len() != decl.endpoints.len() {
            diags.push(Diagnostic::error(
                codes::SIGNATURE_MISMATCH,
                decl.name.span,
                format!(
                    "metarel `{}` relates {} endpoints, but `{}` has {}",
                    decl.introducer.name,
                    ends.len(),
                    decl.name.name,
                    decl.endpoints.len()
                ),
            ));
            continue;
        }
        let params = env
            .relations
            .get(i)
            .map(|r| r.params.as_slice())
            .unwrap_or(&[]);
        for ((end, (role, want)), param) in decl.endpoints.iter().zip(ends).zip(params) {
            let Some(want) = *want else { continue };
            let want_name = &sub.metatypes[want].name;
            let ok = match &param.ty {
                Type::Concept(cid) => sub
                    .concept_metatype
                    .get(cid.index())
                    .is_some_and(|m| sub.is_sub_metatype(*m, want)),
                _ => false,
            };
            if !ok {
                let found = match &param.ty {
                    Type::Concept(cid) => {
                        let m = sub.concept_metatype.get(cid.index()).copied().unwrap_or(0);
                        format!(
                            "`{}` is a `{}`",
                            env.type_name(&param.ty),
                            sub.metatypes[m].name
                        )
                    }
                    other => format!("`{}` is not a concept", env.type_name(other)),
                };
                diags.push(Diagnostic::error(
                    codes::ENDPOINT_METATYPE,
                    end.ty.span,
                    format!(
                        "endpoint `{}` of a `{}` must be a `{want_name}` (metarel endpoint `{role}`), but {found}",
                        end.name.name, decl.introducer.name
                    ),
                ));
            }
        }
    }
}
