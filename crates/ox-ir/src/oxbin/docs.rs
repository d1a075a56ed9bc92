//! Moving doc comments out of a module (into the doc-blocks section) and back.

use super::error::{OxbinError, SYMBOL_RESOLUTION_FAILED};
use super::sections::{DocBlock, SymbolKind};
use crate::module::Module;

/// Removes every doc comment from `module`, returning them ordered by kind and index.
pub fn take_docs(module: &mut Module) -> Vec<DocBlock> {
    let mut blocks = Vec::new();
    for kind in DOCUMENTED_KINDS {
        for_each_doc(module, kind, |index, member, doc| {
            if let Some(text) = doc.take() {
                blocks.push(DocBlock {
                    kind,
                    index: index as u32,
                    member: member.map(|m| m as u32),
                    text,
                });
            }
        });
    }
    // Taken struct field docs leave no trace in the declarations.
    for s in &mut module.structs {
        s.field_docs.clear();
    }
    blocks
}

/// Puts doc comments back; a block naming a missing item (or an item kind
/// without docs) is `OE1210`, two blocks for one item are `OE1200`.
pub fn apply_docs(module: &mut Module, blocks: Vec<DocBlock>) -> Result<(), OxbinError> {
    for block in blocks {
        let what = match block.member {
            Some(m) => format!("{:?} #{} member #{m}", block.kind, block.index),
            None => format!("{:?} #{}", block.kind, block.index),
        };
        let missing = || {
            OxbinError::new(
                SYMBOL_RESOLUTION_FAILED,
                format!("doc block for {what} names no documented item"),
            )
        };
        let index = block.index as usize;
        let slot = match block.member {
            None => doc_slot(module, block.kind, index),
            Some(m) => member_doc_slot(module, block.kind, index, m as usize),
        }
        .ok_or_else(missing)?;
        if slot.is_some() {
            return Err(OxbinError::malformed(format!("two doc blocks for {what}")));
        }
        *slot = Some(block.text);
    }
    Ok(())
}

/// Item kinds that carry a `doc` field.
const DOCUMENTED_KINDS: [SymbolKind; 8] = [
    SymbolKind::Concept,
    SymbolKind::Relation,
    SymbolKind::Struct,
    SymbolKind::Enum,
    SymbolKind::Predicate,
    SymbolKind::Query,
    SymbolKind::Mutation,
    SymbolKind::Function,
];

/// Calls `f` with every doc slot of `kind`: each item's own (member `None`),
/// then its members' in order.
fn for_each_doc(
    module: &mut Module,
    kind: SymbolKind,
    mut f: impl FnMut(usize, Option<usize>, &mut Option<String>),
) {
    let count = kind_len(module, kind);
    for index in 0..count {
        if let Some(slot) = doc_slot(module, kind, index) {
            f(index, None, slot);
        }
        let mut member = 0;
        while let Some(slot) = member_doc_slot(module, kind, index, member) {
            f(index, Some(member), slot);
            member += 1;
        }
    }
}

/// The `doc` of member `member` of item `index`: a concept's field, an enum's
/// variant or a struct's field (struct field docs are created on demand).
fn member_doc_slot(
    module: &mut Module,
    kind: SymbolKind,
    index: usize,
    member: usize,
) -> Option<&mut Option<String>> {
    match kind {
        SymbolKind::Concept => module
            .concepts
            .get_mut(index)?
            .fields
            .get_mut(member)
            .map(|f| &mut f.doc),
        SymbolKind::Enum => module
            .enums
            .get_mut(index)?
            .variants
            .get_mut(member)
            .map(|v| &mut v.doc),
        SymbolKind::Struct => {
            let s = module.structs.get_mut(index)?;
            if member >= s.fields.len() {
                return None;
            }
            if s.field_docs.len() < s.fields.len() {
                s.field_docs.resize(s.fields.len(), None);
            }
            s.field_docs.get_mut(member)
        }
        _ => None,
    }
}

fn kind_len(module: &Module, kind: SymbolKind) -> usize {
    match kind {
        SymbolKind::Concept => module.concepts.len(),
        SymbolKind::Relation => module.relations.len(),
        SymbolKind::Struct => module.structs.len(),
        SymbolKind::Enum => module.enums.len(),
        SymbolKind::Predicate => module.predicates.len(),
        SymbolKind::Check => module.checks.len(),
        SymbolKind::Query => module.queries.len(),
        SymbolKind::Mutation => module.mutations.len(),
        SymbolKind::Function => module.functions.len(),
        SymbolKind::Standpoint => module.standpoints.len(),
    }
}

/// The `doc` field of item `index` of `kind`, if it exists and has one.
fn doc_slot(module: &mut Module, kind: SymbolKind, index: usize) -> Option<&mut Option<String>> {
    match kind {
        SymbolKind::Concept => module.concepts.get_mut(index).map(|x| &mut x.doc),
        SymbolKind::Relation => module.relations.get_mut(index).map(|x| &mut x.doc),
        SymbolKind::Struct => module.structs.get_mut(index).map(|x| &mut x.doc),
        SymbolKind::Enum => module.enums.get_mut(index).map(|x| &mut x.doc),
        SymbolKind::Predicate => module.predicates.get_mut(index).map(|x| &mut x.doc),
        SymbolKind::Query => module.queries.get_mut(index).map(|x| &mut x.doc),
        SymbolKind::Mutation => module.mutations.get_mut(index).map(|x| &mut x.doc),
        SymbolKind::Function => module.functions.get_mut(index).map(|x| &mut x.doc),
        SymbolKind::Check | SymbolKind::Standpoint => None,
    }
}
