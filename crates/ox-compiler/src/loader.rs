//! Loading the module tree of a package: the entry file and every `mod` file.
//!
//! Layout rule (Rust style): `mod x;` written in the entry file `dir/root.ar`
//! loads `dir/x.ar`; written in any other file `dir/f.ar` it loads `dir/f/x.ar`.
//! The module path of `x` is its parent's path plus `x`; the entry file is the
//! package's root module.

use std::collections::BTreeSet;

use ox_syntax::ast::{File, ItemKind};
use ox_syntax::{Diagnostic, SourceMap, Span};

use crate::codes;

/// One loaded and parsed source file.
pub(crate) struct LoadedFile {
    /// Module path below the package (empty for the root module).
    pub module_path: Vec<String>,
    /// Index of the parent module in the loaded list.
    pub parent: Option<usize>,
    /// The parsed file.
    pub ast: File,
    /// The file's id in the source map.
    pub file: ox_syntax::FileId,
    /// Index of the package the file belongs to (0 = the package being built,
    /// then its dependencies).
    pub package: usize,
    /// For a file loaded by a `mod` inside `standpoint S { … }` (or below
    /// such a file): the loaded index of the file declaring S, and S's name.
    /// Its rules and checks belong to S.
    pub layer: Option<(usize, String)>,
}

/// Reads and parses the entry file and, recursively, every `mod` child.
///
/// `read` returns the text of a path relative to the package root. Missing
/// files are reported as `OE0902` at the `mod` declaration (or at `manifest_span`
/// for the entry file).
#[allow(clippy::type_complexity)]
pub(crate) fn load(
    entry: &str,
    name_prefix: &str,
    read: &dyn Fn(&str) -> Option<String>,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
    manifest_span: Span,
) -> Vec<LoadedFile> {
    let mut out: Vec<LoadedFile> = Vec::new();
    let Some(text) = read(entry) else {
        let span = manifest_span;
        diags.push(Diagnostic::error(
            codes::MISSING_MODULE_FILE,
            span,
            format!("entry file `{entry}` not found"),
        ));
        return out;
    };
    let mut queue: Vec<Pending> = vec![Pending {
        rel: entry.to_string(),
        module_path: Vec::new(),
        parent: None,
        text,
        layer: None,
    }];
    let mut seen: BTreeSet<String> = BTreeSet::new();
    while let Some(Pending {
        rel,
        module_path,
        parent,
        text,
        layer,
    }) = queue.pop()
    {
        if !seen.insert(rel.clone()) {
            continue;
        }
        let file = sources.add(format!("{name_prefix}{rel}"), text.clone());
        let (ast, parse_diags) = ox_syntax::parse_file(file, &text);
        diags.extend(parse_diags);
        let index = out.len();
        let child_dir = child_dir(&rel, parent.is_none());
        let mut names: BTreeSet<String> = BTreeSet::new();
        let mut children = Vec::new();
        for (item, item_layer) in mod_items(&ast, index, &layer) {
            let ItemKind::Mod(decl) = &item.kind else {
                continue;
            };
            let name = decl.name.name.clone();
            if !names.insert(name.clone()) {
                diags.push(Diagnostic::error(
                    codes::DUPLICATE,
                    decl.name.span,
                    format!("module `{name}` is declared twice"),
                ));
                continue;
            }
            let child = format!("{child_dir}{name}.ar");
            match read(&child) {
                Some(text) => {
                    let mut path = module_path.clone();
                    path.push(name);
                    children.push(Pending {
                        rel: child,
                        module_path: path,
                        parent: Some(index),
                        text,
                        layer: item_layer,
                    });
                }
                None => diags.push(
                    Diagnostic::error(
                        codes::MISSING_MODULE_FILE,
                        item.span,
                        format!("file `{child}` for module `{name}` not found"),
                    )
                    .with_help(format!(
                        "create `{child}` or remove the `mod {name};` declaration"
                    )),
                ),
            }
        }
        out.push(LoadedFile {
            module_path,
            parent,
            ast,
            file,
            package: 0,
            layer,
        });
        // The queue is a stack: push in reverse so children load in declaration order.
        queue.extend(children.into_iter().rev());
    }
    out
}

/// A file waiting to be parsed.
struct Pending {
    /// Path relative to the package root.
    rel: String,
    module_path: Vec<String>,
    parent: Option<usize>,
    text: String,
    layer: Option<(usize, String)>,
}

/// The items of a file that may be `mod` declarations, each with the layer
/// its child file belongs to: the file's own layer, or the standpoint the
/// declaration is written in (`index` is the file's loaded index).
fn mod_items<'a>(
    ast: &'a File,
    index: usize,
    layer: &Option<(usize, String)>,
) -> Vec<(&'a ox_syntax::ast::Item, Option<(usize, String)>)> {
    let mut out = Vec::new();
    for item in &ast.items {
        match &item.kind {
            ItemKind::Standpoint(sp) => out.extend(
                sp.items
                    .iter()
                    .map(|inner| (inner, Some((index, sp.name.name.clone())))),
            ),
            _ => out.push((item, layer.clone())),
        }
    }
    out
}

/// The directory (with trailing `/`, or empty) in which the children of `rel` live.
fn child_dir(rel: &str, is_entry: bool) -> String {
    let (dir, file) = match rel.rfind('/') {
        Some(i) => (&rel[..=i], &rel[i + 1..]),
        None => ("", rel),
    };
    if is_entry {
        dir.to_string()
    } else {
        let stem = file.strip_suffix(".ar").unwrap_or(file);
        format!("{dir}{stem}/")
    }
}

#[cfg(test)]
mod tests {
    use super::child_dir;

    #[test]
    fn child_directories_follow_the_rust_layout() {
        assert_eq!(child_dir("src/root.ar", true), "src/");
        assert_eq!(child_dir("root.ar", true), "");
        assert_eq!(child_dir("src/a.ar", false), "src/a/");
        assert_eq!(child_dir("src/a/b.ar", false), "src/a/b/");
    }
}
