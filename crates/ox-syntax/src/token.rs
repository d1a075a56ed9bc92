//! Tokens produced by the lexer.

use std::fmt;

use crate::span::Span;

/// A token with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// What was lexed.
    pub kind: TokenKind,
    /// Where.
    pub span: Span,
}

/// Hard keywords (they can never be identifiers).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Keyword {
    /// `use`
    Use,
    /// `mod`
    Mod,
    /// `let`
    Let,
    /// `derive`
    Derive,
    /// `query`
    Query,
    /// `mutate`
    Mutate,
    /// `mutation` (book alias of `mutate`)
    Mutation,
    /// `fn`
    Fn,
    /// `compute` (book alias of `fn`)
    Compute,
    /// `check`
    Check,
    /// `test`
    Test,
    /// `standpoint`
    Standpoint,
    /// `struct`
    Struct,
    /// `enum`
    Enum,
    /// `metaxis`
    Metaxis,
    /// `metatype`
    Metatype,
    /// `metarel`
    Metarel,
    /// `not` (also `¬`)
    Not,
    /// `in`
    In,
    /// `if`
    If,
    /// `else`
    Else,
    /// `match`
    Match,
    /// `for`
    For,
    /// `return`
    Return,
    /// `require`
    Require,
    /// `insert`
    Insert,
    /// `update`
    Update,
    /// `delete`
    Delete,
    /// `set`
    Set,
    /// `emit`
    Emit,
    /// `select`
    Select,
    /// `from`
    From,
    /// `where`
    Where,
    /// `as_of`
    AsOf,
    /// `across`
    Across,
    /// `true`
    True,
    /// `false`
    False,
}

const KEYWORDS: &[(&str, Keyword)] = &[
    ("use", Keyword::Use),
    ("mod", Keyword::Mod),
    ("let", Keyword::Let),
    ("derive", Keyword::Derive),
    ("query", Keyword::Query),
    ("mutate", Keyword::Mutate),
    ("mutation", Keyword::Mutation),
    ("fn", Keyword::Fn),
    ("compute", Keyword::Compute),
    ("check", Keyword::Check),
    ("test", Keyword::Test),
    ("standpoint", Keyword::Standpoint),
    ("struct", Keyword::Struct),
    ("enum", Keyword::Enum),
    ("metaxis", Keyword::Metaxis),
    ("metatype", Keyword::Metatype),
    ("metarel", Keyword::Metarel),
    ("not", Keyword::Not),
    ("in", Keyword::In),
    ("if", Keyword::If),
    ("else", Keyword::Else),
    ("match", Keyword::Match),
    ("for", Keyword::For),
    ("return", Keyword::Return),
    ("require", Keyword::Require),
    ("insert", Keyword::Insert),
    ("update", Keyword::Update),
    ("delete", Keyword::Delete),
    ("set", Keyword::Set),
    ("emit", Keyword::Emit),
    ("select", Keyword::Select),
    ("from", Keyword::From),
    ("where", Keyword::Where),
    ("as_of", Keyword::AsOf),
    ("across", Keyword::Across),
    ("true", Keyword::True),
    ("false", Keyword::False),
];

impl Keyword {
    /// The keyword for `word`, if it is one.
    pub fn from_word(word: &str) -> Option<Keyword> {
        KEYWORDS.iter().find(|(w, _)| *w == word).map(|&(_, k)| k)
    }

    /// The keyword as written.
    pub fn as_str(self) -> &'static str {
        KEYWORDS
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("?", |&(w, _)| w)
    }

    /// True for keywords that can only start a declaration.
    pub fn starts_item(self) -> bool {
        matches!(
            self,
            Keyword::Use
                | Keyword::Mod
                | Keyword::Derive
                | Keyword::Query
                | Keyword::Mutate
                | Keyword::Mutation
                | Keyword::Fn
                | Keyword::Compute
                | Keyword::Check
                | Keyword::Test
                | Keyword::Standpoint
                | Keyword::Struct
                | Keyword::Enum
                | Keyword::Metaxis
                | Keyword::Metatype
                | Keyword::Metarel
        )
    }
}

/// Token kinds.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenKind {
    /// An identifier (including contextual keywords and `$builtin` names).
    Ident(String),
    /// A hard keyword.
    Keyword(Keyword),
    /// An integer literal.
    Int(u64),
    /// A decimal literal, as written (without `_` separators).
    Decimal(String),
    /// A string literal with escapes resolved.
    Str(String),
    /// `#YYYY-MM-DD#`: the text between the `#`s.
    Date(String),
    /// `#…T…#`: the RFC 3339 text between the `#`s.
    DateTime(String),
    /// `/// text`: outer doc comment line.
    OuterDoc(String),
    /// `//! text`: inner doc comment line.
    InnerDoc(String),
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `,`
    Comma,
    /// `;`
    Semi,
    /// `:`
    Colon,
    /// `::`
    ColonColon,
    /// `:-`
    ColonDash,
    /// `.`
    Dot,
    /// `..`
    DotDot,
    /// `=`
    Eq,
    /// `==`
    EqEq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<:` (also `⊑`)
    SubType,
    /// `->` (also `→`)
    Arrow,
    /// `=>`
    FatArrow,
    /// `+`
    Plus,
    /// `+=`
    PlusEq,
    /// `-`
    Minus,
    /// `-=`
    MinusEq,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `%`
    Percent,
    /// `!`
    Bang,
    /// `&&`
    AndAnd,
    /// `||`
    OrOr,
    /// `|`
    Pipe,
    /// `#[`
    HashBracket,
    /// `?`
    Question,
    /// `~`
    Tilde,
    /// End of input.
    Eof,
}

impl TokenKind {
    /// Fixed spelling of punctuation tokens.
    fn punct(&self) -> Option<&'static str> {
        use TokenKind::*;
        Some(match self {
            LParen => "(",
            RParen => ")",
            LBrace => "{",
            RBrace => "}",
            LBracket => "[",
            RBracket => "]",
            Comma => ",",
            Semi => ";",
            Colon => ":",
            ColonColon => "::",
            ColonDash => ":-",
            Dot => ".",
            DotDot => "..",
            Eq => "=",
            EqEq => "==",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            SubType => "<:",
            Arrow => "->",
            FatArrow => "=>",
            Plus => "+",
            PlusEq => "+=",
            Minus => "-",
            MinusEq => "-=",
            Star => "*",
            Slash => "/",
            Percent => "%",
            Bang => "!",
            AndAnd => "&&",
            OrOr => "||",
            Pipe => "|",
            HashBracket => "#[",
            Question => "?",
            Tilde => "~",
            _ => return None,
        })
    }
}

impl fmt::Display for TokenKind {
    /// Describes the token for messages: `` `;` ``, `identifier `x``, `end of file`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = self.punct() {
            return write!(f, "`{p}`");
        }
        match self {
            TokenKind::Ident(name) => write!(f, "identifier `{name}`"),
            TokenKind::Keyword(k) => write!(f, "keyword `{}`", k.as_str()),
            TokenKind::Int(n) => write!(f, "integer `{n}`"),
            TokenKind::Decimal(d) => write!(f, "decimal `{d}`"),
            TokenKind::Str(_) => write!(f, "string literal"),
            TokenKind::Date(d) => write!(f, "date `#{d}#`"),
            TokenKind::DateTime(d) => write!(f, "date-time `#{d}#`"),
            TokenKind::OuterDoc(_) | TokenKind::InnerDoc(_) => write!(f, "doc comment"),
            _ => write!(f, "end of file"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_round_trip() {
        for &(word, kw) in KEYWORDS {
            assert_eq!(Keyword::from_word(word), Some(kw));
            assert_eq!(kw.as_str(), word);
        }
        assert_eq!(Keyword::from_word("type"), None);
        assert_eq!(Keyword::from_word("forget"), None);
    }

    #[test]
    fn display_describes_tokens() {
        assert_eq!(TokenKind::Semi.to_string(), "`;`");
        assert_eq!(TokenKind::Ident("x".into()).to_string(), "identifier `x`");
        assert_eq!(
            TokenKind::Keyword(Keyword::Where).to_string(),
            "keyword `where`"
        );
        assert_eq!(TokenKind::Eof.to_string(), "end of file");
    }
}
