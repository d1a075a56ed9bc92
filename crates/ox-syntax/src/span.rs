//! Source positions: file ids, byte spans, source files and line/column lookup.

use serde::{Deserialize, Serialize};

/// Identifies one source file inside a [`SourceMap`].
#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct FileId(pub u32);

/// A half-open byte range `start..end` inside one file.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    /// The file the range belongs to.
    pub file: FileId,
    /// First byte of the range.
    pub start: u32,
    /// One past the last byte of the range.
    pub end: u32,
}

impl Span {
    /// Creates a span; `end` is clamped so that it is never before `start`.
    pub fn new(file: FileId, start: u32, end: u32) -> Span {
        Span {
            file,
            start,
            end: end.max(start),
        }
    }

    /// The smallest span covering both `self` and `other` (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span::new(
            self.file,
            self.start.min(other.start),
            self.end.max(other.end),
        )
    }

    /// An empty span at the end of `self`.
    pub fn end_point(self) -> Span {
        Span::new(self.file, self.end, self.end)
    }

    /// Length in bytes.
    pub fn len(self) -> u32 {
        self.end - self.start
    }

    /// True when the span covers no byte.
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// A 1-based line and column; the column counts Unicode scalar values.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineCol {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

/// One source file: its display name, its text and the byte offset of each line.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Display name, usually a path relative to the package.
    pub name: String,
    /// Full UTF-8 text.
    pub text: String,
    line_starts: Vec<u32>,
    /// Per line: true when the line is pure ASCII (columns equal byte offsets).
    ascii_lines: Vec<bool>,
}

impl SourceFile {
    /// Builds a source file and indexes its line starts.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        let mut line_starts = vec![0u32];
        let mut ascii_lines = Vec::new();
        let mut ascii = true;
        for (i, b) in text.bytes().enumerate() {
            ascii &= b.is_ascii();
            if b == b'\n' {
                line_starts.push(to_u32(i + 1));
                ascii_lines.push(ascii);
                ascii = true;
            }
        }
        ascii_lines.push(ascii);
        SourceFile {
            name: name.into(),
            text,
            line_starts,
            ascii_lines,
        }
    }

    /// Byte offsets at which each line starts (the first is always 0).
    pub fn line_starts(&self) -> &[u32] {
        &self.line_starts
    }

    /// Number of lines (an empty file has one empty line).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 0-based index of the line containing byte `offset` (clamped to the text).
    pub fn line_index(&self, offset: u32) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// 1-based line and column of byte `offset`.
    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = self.clamp(offset);
        let line = self.line_index(offset);
        let start = self.line_starts[line] as usize;
        let column = if self.ascii_lines.get(line).copied().unwrap_or(false) {
            offset as usize - start
        } else {
            self.text
                .get(start..offset as usize)
                .map_or(0, |s| s.chars().count())
        };
        LineCol {
            line: to_u32(line + 1),
            column: to_u32(column + 1),
        }
    }

    /// Text of the 0-based line `index`, without its line terminator.
    pub fn line_text(&self, index: usize) -> &str {
        let Some(&start) = self.line_starts.get(index) else {
            return "";
        };
        let end = self
            .line_starts
            .get(index + 1)
            .map_or(self.text.len(), |&e| e as usize);
        self.text
            .get(start as usize..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    /// The source text covered by `span` (empty if the span is out of range).
    pub fn slice(&self, span: Span) -> &str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }

    /// Clamps an offset to the text and moves it back to a character boundary.
    fn clamp(&self, offset: u32) -> u32 {
        let mut o = (offset as usize).min(self.text.len());
        while o > 0 && !self.text.is_char_boundary(o) {
            o -= 1;
        }
        to_u32(o)
    }
}

/// All source files of a compilation, addressed by [`FileId`].
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let id = FileId(to_u32(self.files.len()));
        self.files.push(SourceFile::new(name, text));
        id
    }

    /// The file with this id, if any.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// Iterates over all files with their ids.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(to_u32(i)), f))
    }

    /// Line and column of the start of `span`.
    pub fn line_col(&self, span: Span) -> Option<LineCol> {
        self.get(span.file).map(|f| f.line_col(span.start))
    }
}

/// Converts a length or offset to `u32`, saturating on (unsupported) huge inputs.
pub(crate) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_lookup() {
        let f = SourceFile::new("a.ar", "ab\ncdé\n\nx");
        assert_eq!(f.line_count(), 4);
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(3), LineCol { line: 2, column: 1 });
        // 'é' is two bytes; the column after it counts characters.
        assert_eq!(f.line_col(7), LineCol { line: 2, column: 4 });
        assert_eq!(f.line_col(9), LineCol { line: 4, column: 1 });
        assert_eq!(f.line_text(1), "cdé");
        assert_eq!(f.line_text(2), "");
        assert_eq!(f.line_text(9), "");
    }

    #[test]
    fn offsets_past_the_end_and_inside_chars_are_clamped() {
        let f = SourceFile::new("a.ar", "é");
        assert_eq!(f.line_col(1), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(100), LineCol { line: 1, column: 2 });
    }

    #[test]
    fn source_map_assigns_ids() {
        let mut map = SourceMap::new();
        let a = map.add("a.ar", "x");
        let b = map.add("b.ar", "y\nz");
        assert_eq!(a, FileId(0));
        assert_eq!(b, FileId(1));
        assert_eq!(map.get(b).map(|f| f.name.as_str()), Some("b.ar"));
        let span = Span::new(b, 2, 3);
        assert_eq!(map.line_col(span), Some(LineCol { line: 2, column: 1 }));
        assert_eq!(map.files().count(), 2);
    }

    #[test]
    fn span_helpers() {
        let a = Span::new(FileId(0), 4, 2);
        assert!(a.is_empty());
        let b = Span::new(FileId(0), 1, 9);
        assert_eq!(a.to(b), Span::new(FileId(0), 1, 9));
        assert_eq!(b.len(), 8);
        assert_eq!(b.end_point(), Span::new(FileId(0), 9, 9));
    }
}
