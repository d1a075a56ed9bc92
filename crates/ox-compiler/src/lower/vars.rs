//! Variable tables of rule bodies, queries, mutations, functions and tests.

use ox_ir::{Type, VarId};

/// Numbered variables with display names, types and lexical scopes.
#[derive(Clone, Debug)]
pub(crate) struct Vars {
    pub names: Vec<String>,
    /// `None` while a variable's type is not known (yet).
    pub types: Vec<Option<Type>>,
    scopes: Vec<Vec<(String, VarId)>>,
}

impl Vars {
    /// An empty table with one scope.
    pub fn new() -> Vars {
        Vars {
            names: Vec::new(),
            types: Vec::new(),
            scopes: vec![Vec::new()],
        }
    }

    /// The innermost variable called `name`.
    pub fn lookup(&self, name: &str) -> Option<VarId> {
        self.scopes
            .iter()
            .rev()
            .flat_map(|s| s.iter().rev())
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }

    /// A new variable visible as `name` in the innermost scope.
    pub fn declare(&mut self, name: &str, ty: Option<Type>) -> VarId {
        let v = self.fresh(name, ty);
        if let Some(scope) = self.scopes.last_mut() {
            scope.push((name.to_string(), v));
        }
        v
    }

    /// The named variables numbered `first` or later, innermost last.
    pub fn named_since(&self, first: u32) -> Vec<(String, VarId)> {
        self.scopes
            .iter()
            .flatten()
            .filter(|(_, v)| v.0 >= first)
            .cloned()
            .collect()
    }

    /// A new anonymous variable (not reachable by name), displayed as `display`.
    pub fn fresh(&mut self, display: &str, ty: Option<Type>) -> VarId {
        self.names.push(display.to_string());
        self.types.push(ty);
        VarId(self.names.len() as u32 - 1)
    }

    /// The type of a variable, if known.
    pub fn ty(&self, v: VarId) -> Option<&Type> {
        self.types.get(v.0 as usize).and_then(Option::as_ref)
    }

    /// Sets the type of a variable.
    pub fn set_ty(&mut self, v: VarId, ty: Type) {
        if let Some(slot) = self.types.get_mut(v.0 as usize) {
            *slot = Some(ty);
        }
    }

    /// The display name of a variable.
    pub fn name(&self, v: VarId) -> &str {
        self.names.get(v.0 as usize).map_or("?", String::as_str)
    }

    /// Number of variables.
    pub fn count(&self) -> u32 {
        self.names.len() as u32
    }

    /// Opens a scope.
    pub fn push(&mut self) {
        self.scopes.push(Vec::new());
    }

    /// Closes the innermost scope.
    pub fn pop(&mut self) {
        if self.scopes.len() > 1 {
            self.scopes.pop();
        }
    }
}
