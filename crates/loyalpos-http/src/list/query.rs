//! The `q` query language (api.md §5.1): a pure, hand-written recursive-descent parser and a
//! canonical printer.
//!
//! ```text
//! query    := or
//! or       := and ( "OR" and )*
//! and      := unary ( ["AND"] unary )*          ; juxtaposition means AND
//! unary    := ("NOT" | "!") unary | "(" or ")" | term
//! term     := path ":" value | path ":" range | value
//! path     := name ( "." name )*                ; name = [A-Za-z_][A-Za-z0-9_]*
//! value    := quoted | bare                     ; quoted = "..." with \" and \\ escapes
//! range    := "[" bound "TO" bound "]"          ; bound = value | "*"
//! ```
//!
//! Lexical decisions (there is no separate tokenizer, because what a character means depends on
//! where it stands):
//!
//! * A **bare value** is a run of characters that are not white space and not one of `( ) " [ ]`.
//!   Brackets are reserved for ranges (so a stray `]` is an "unbalanced bracket" error rather than
//!   silently part of a value); quote a value that needs them.
//! * `:` ends a **path** only when everything before it, from the start of the term, is a valid
//!   path. So `created:2020-09-01T00:00:00+02:00` is the path `created` with the value
//!   `2020-09-01T00:00:00+02:00` (the value keeps its own colons), while `10:30` or `a-b:c` are
//!   bare values. The value must follow the `:` directly (`status: ok` is an error).
//! * `-` and `+` have **no operator meaning** (unlike Lucene): `-5`, `2026-01-01`, `+02:00` are
//!   ordinary value characters. (A `+` that reached the query as a form-encoded space is the
//!   concern of [`super::parse_params`].)
//! * `AND`, `OR`, `NOT` and `TO` are operators only as whole upper-case words; `and`, `ANDROID`,
//!   `AND:x` (a path) and `"AND"` (quoted) are not. `TO` is only special inside a range.
//! * `!` starts a negation only at the start of a term; inside a value it is a plain character.
//! * In quoted values `\"` and `\\` are escapes; any other backslash is kept literally.
//! * Inside a range, a bare `*` is an open bound; a quoted `"*"` is the literal text `*`.
//! * Nesting (parentheses and negations) is limited to [`MAX_DEPTH`] levels so that no input can
//!   exhaust the stack, a query to [`MAX_TERMS`] terms and [`MAX_CHARS`] characters so that the SQL
//!   a query pushes down stays within the engines' expression depth (SQLite: 1000).

use std::fmt;

use super::{ListError, is_valid_path};

/// Deepest nesting of parentheses and negations accepted.
pub const MAX_DEPTH: usize = 100;
/// Most terms (`path:value`, ranges, bare values) a query may hold.
pub const MAX_TERMS: usize = 100;
/// Longest query accepted, in characters.
pub const MAX_CHARS: usize = 4000;

/// A parsed `q`.
///
/// The parser keeps the grouping the user wrote (it does not flatten `(a OR b) OR c`), never
/// builds an `Or`/`And` with fewer than two children, except that an empty query parses to
/// `And(vec![])`, which matches everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    Or(Vec<Query>),
    And(Vec<Query>),
    Not(Box<Query>),
    /// `path:value`, or a bare value (`path: None`) that searches the resource's main text fields.
    Term {
        path: Option<String>,
        value: Value,
    },
    /// `path:[lo TO hi]`, inclusive.
    Range {
        path: String,
        lo: Bound,
        hi: Bound,
    },
}

/// A term's value, quotes and escapes removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text; `*` (any run of characters) and `?` (exactly one character) are wildcards, in quoted
    /// values too.
    Text(String),
}

impl Value {
    pub fn as_str(&self) -> &str {
        match self {
            Value::Text(s) => s,
        }
    }

    /// Whether the value contains a wildcard (`*` or `?`).
    pub fn has_wildcards(&self) -> bool {
        self.as_str().contains(['*', '?'])
    }
}

/// One end of a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    /// `*`
    Open,
    Text(String),
}

/// Parses a `q` value (already percent-decoded). White space only (or nothing) gives
/// `Query::And(vec![])`, which matches everything.
pub fn parse_query(q: &str) -> Result<Query, ListError> {
    let mut parser = Parser {
        chars: q.chars().collect(),
        pos: 0,
        depth: 0,
        terms: 0,
    };
    if parser.chars.len() > MAX_CHARS {
        return Err(parser.error_at(MAX_CHARS, &format!("longer than {MAX_CHARS} characters")));
    }
    parser.skip_ws();
    if parser.at_end() {
        return Ok(Query::And(Vec::new()));
    }
    let query = parser.parse_or("")?;
    parser.skip_ws();
    match parser.peek() {
        None => Ok(query),
        // parse_or stops only at the end or at a ')' it cannot close.
        Some(c) => Err(parser.error_at(parser.pos, &format!("unexpected '{c}'"))),
    }
}

/// Characters that may appear in a bare value.
fn is_value_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '(' | ')' | '"' | '[' | ']')
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
    terms: usize,
}

impl Parser {
    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn error_at(&self, pos: usize, what: &str) -> ListError {
        self.error_with_note(pos, what, "")
    }

    /// `q: {what} at position {pos}[ (end of query)]{note}`.
    fn error_with_note(&self, pos: usize, what: &str, note: &str) -> ListError {
        let end = if pos >= self.chars.len() {
            " (end of query)"
        } else {
            ""
        };
        ListError(format!("q: {what} at position {pos}{end}{note}"))
    }

    /// The run of value characters starting at `from`, as an end index.
    fn word_end(&self, from: usize) -> usize {
        let mut end = from;
        while end < self.chars.len() && is_value_char(self.chars[end]) {
            end += 1;
        }
        end
    }

    fn word_at(&self, from: usize) -> String {
        self.chars[from..self.word_end(from)].iter().collect()
    }

    /// Whether the word at the current position is exactly the operator `kw`.
    fn at_keyword(&self, kw: &str) -> bool {
        let end = self.word_end(self.pos);
        end - self.pos == kw.len() && self.chars[self.pos..end].iter().copied().eq(kw.chars())
    }

    /// If a valid path followed by ':' starts at the current position, returns the path and the
    /// position just after the ':'.
    fn path_prefix(&self) -> Option<(String, usize)> {
        let mut i = self.pos;
        loop {
            if !self.chars.get(i).is_some_and(|&c| is_name_start(c)) {
                return None;
            }
            i += 1;
            while self.chars.get(i).is_some_and(|&c| is_name_char(c)) {
                i += 1;
            }
            match self.chars.get(i) {
                Some('.') => i += 1,
                Some(':') => {
                    let path = self.chars[self.pos..i].iter().collect();
                    return Some((path, i + 1));
                }
                _ => return None,
            }
        }
    }

    /// `or := and ( "OR" and )*`. `ctx` describes what came before, for error messages.
    fn parse_or(&mut self, ctx: &str) -> Result<Query, ListError> {
        let mut items = vec![self.parse_and(ctx)?];
        loop {
            self.skip_ws();
            if !self.at_keyword("OR") {
                break;
            }
            self.pos += 2;
            items.push(self.parse_and(" after 'OR'")?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Query::Or(items)
        })
    }

    /// `and := unary ( ["AND"] unary )*`.
    fn parse_and(&mut self, ctx: &str) -> Result<Query, ListError> {
        let mut items = vec![self.parse_unary(ctx)?];
        loop {
            self.skip_ws();
            if self.at_end() || self.peek() == Some(')') || self.at_keyword("OR") {
                break;
            }
            if self.at_keyword("AND") {
                self.pos += 3;
                items.push(self.parse_unary(" after 'AND'")?);
            } else {
                items.push(self.parse_unary("")?);
            }
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Query::And(items)
        })
    }

    /// `unary := ("NOT" | "!") unary | "(" or ")" | term`, with a depth guard.
    fn parse_unary(&mut self, ctx: &str) -> Result<Query, ListError> {
        self.skip_ws();
        if self.depth >= MAX_DEPTH {
            return Err(self.error_at(
                self.pos,
                &format!("nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        self.depth += 1;
        let result = self.parse_unary_inner(ctx);
        self.depth -= 1;
        result
    }

    /// Counts one more term starting at `start`, refusing the one past [`MAX_TERMS`].
    fn count_term(&mut self, start: usize) -> Result<(), ListError> {
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(self.error_at(start, &format!("more than {MAX_TERMS} terms")));
        }
        Ok(())
    }

    fn parse_unary_inner(&mut self, ctx: &str) -> Result<Query, ListError> {
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Err(self.error_at(start, &format!("expected a term{ctx}")));
        };
        match c {
            '!' => {
                self.pos += 1;
                Ok(Query::Not(Box::new(self.parse_unary(" after '!'")?)))
            }
            '(' => {
                self.pos += 1;
                self.skip_ws();
                if self.peek() == Some(')') {
                    return Err(self.error_at(self.pos, "expected a term inside '( )'"));
                }
                let inner = self.parse_or(" after '('")?;
                self.skip_ws();
                if self.peek() == Some(')') {
                    self.pos += 1;
                    Ok(inner)
                } else {
                    Err(self.error_with_note(
                        self.pos,
                        "expected ')'",
                        &format!(" to close the '(' at position {start}"),
                    ))
                }
            }
            ')' if !ctx.is_empty() => Err(self.error_at(start, &format!("expected a term{ctx}"))),
            ')' | '[' | ']' => Err(self.error_at(
                start,
                &format!(
                    "unexpected '{c}'{}",
                    if c == '[' {
                        " (a range needs a field: 'field:[a TO b]')"
                    } else {
                        ""
                    }
                ),
            )),
            '"' => {
                self.count_term(start)?;
                let text = self.parse_quoted()?;
                Ok(Query::Term {
                    path: None,
                    value: Value::Text(text),
                })
            }
            _ => {
                if let Some((path, after_colon)) = self.path_prefix() {
                    self.count_term(start)?;
                    self.pos = after_colon;
                    return self.parse_field_term(path);
                }
                let word = self.word_at(start);
                match word.as_str() {
                    "NOT" => {
                        self.pos += 3;
                        Ok(Query::Not(Box::new(self.parse_unary(" after 'NOT'")?)))
                    }
                    "AND" | "OR" => {
                        Err(self
                            .error_at(start, &format!("unexpected '{word}', expected a term{ctx}")))
                    }
                    _ => {
                        self.count_term(start)?;
                        self.pos += word.chars().count();
                        Ok(Query::Term {
                            path: None,
                            value: Value::Text(word),
                        })
                    }
                }
            }
        }
    }

    /// What follows `path:` — a quoted value, a range or a bare value.
    fn parse_field_term(&mut self, path: String) -> Result<Query, ListError> {
        match self.peek() {
            Some('"') => {
                let text = self.parse_quoted()?;
                Ok(Query::Term {
                    path: Some(path),
                    value: Value::Text(text),
                })
            }
            Some('[') => self.parse_range(path),
            Some(c) if is_value_char(c) => {
                let word = self.word_at(self.pos);
                self.pos += word.chars().count();
                Ok(Query::Term {
                    path: Some(path),
                    value: Value::Text(word),
                })
            }
            _ => Err(self.error_at(self.pos, &format!("expected a value right after '{path}:'"))),
        }
    }

    /// `range := "[" bound "TO" bound "]"`; the current character is '['.
    fn parse_range(&mut self, path: String) -> Result<Query, ListError> {
        let open = self.pos;
        self.pos += 1;
        self.skip_ws();
        let lo = self.parse_bound("lower", true)?;
        self.skip_ws();
        if !self.at_keyword("TO") {
            return Err(self.error_at(self.pos, "expected 'TO' in the range"));
        }
        self.pos += 2;
        self.skip_ws();
        let hi = self.parse_bound("upper", false)?;
        self.skip_ws();
        if self.peek() != Some(']') {
            return Err(self.error_with_note(
                self.pos,
                "expected ']'",
                &format!(" to close the '[' at position {open}"),
            ));
        }
        self.pos += 1;
        Ok(Query::Range { path, lo, hi })
    }

    fn parse_bound(&mut self, which: &str, lower: bool) -> Result<Bound, ListError> {
        match self.peek() {
            Some('"') => Ok(Bound::Text(self.parse_quoted()?)),
            Some(c) if is_value_char(c) && !(lower && self.at_keyword("TO")) => {
                let word = self.word_at(self.pos);
                self.pos += word.chars().count();
                Ok(if word == "*" {
                    Bound::Open
                } else {
                    Bound::Text(word)
                })
            }
            _ => Err(self.error_at(
                self.pos,
                &format!("empty {which} range bound (use '*' for an open bound)"),
            )),
        }
    }

    /// A quoted value; the current character is '"'.
    fn parse_quoted(&mut self) -> Result<String, ListError> {
        let open = self.pos;
        self.pos += 1;
        let mut text = String::new();
        loop {
            match self.peek() {
                None => {
                    return Err(ListError(format!(
                        "q: unterminated quoted value starting at position {open}"
                    )));
                }
                Some('"') => {
                    self.pos += 1;
                    return Ok(text);
                }
                Some('\\') => match self.chars.get(self.pos + 1) {
                    Some(&e @ ('"' | '\\')) => {
                        text.push(e);
                        self.pos += 2;
                    }
                    _ => {
                        text.push('\\');
                        self.pos += 1;
                    }
                },
                Some(c) => {
                    text.push(c);
                    self.pos += 1;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Canonical printing

fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        if c == '"' || c == '\\' {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

fn all_value_chars(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_value_char)
}

/// Whether `s` would be read back as a path prefix (`a.b:…`) at the start of a term.
fn starts_with_path_prefix(s: &str) -> bool {
    s.split_once(':')
        .is_some_and(|(before, _)| is_valid_path(before))
}

/// A bare value standing alone (no path) prints unquoted only if it reads back as itself.
fn bare_term_is_plain(s: &str) -> bool {
    all_value_chars(s)
        && !s.starts_with('!')
        && !matches!(s, "AND" | "OR" | "NOT")
        && !starts_with_path_prefix(s)
}

fn write_value(f: &mut fmt::Formatter<'_>, s: &str, plain: bool) -> fmt::Result {
    if plain {
        f.write_str(s)
    } else {
        write_quoted(f, s)
    }
}

fn write_bound(f: &mut fmt::Formatter<'_>, b: &Bound) -> fmt::Result {
    match b {
        Bound::Open => f.write_str("*"),
        Bound::Text(s) => write_value(f, s, all_value_chars(s) && s != "TO" && s != "*"),
    }
}

fn write_child(f: &mut fmt::Formatter<'_>, q: &Query, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({q})")
    } else {
        write!(f, "{q}")
    }
}

/// Prints the query in canonical form: operators spelled out (`AND`, `OR`, `NOT`), values quoted
/// only when needed, parentheses only where the tree needs them. Every tree the parser produces
/// prints to a string that parses back to the same tree. (`Or(vec![])` has no textual form; it is
/// printed as `()`, which does not parse.)
impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Query::Or(items) if items.is_empty() => f.write_str("()"),
            Query::Or(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" OR ")?;
                    }
                    write_child(f, item, matches!(item, Query::Or(_)))?;
                }
                Ok(())
            }
            Query::And(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" AND ")?;
                    }
                    write_child(f, item, matches!(item, Query::Or(_) | Query::And(_)))?;
                }
                Ok(())
            }
            Query::Not(inner) => {
                f.write_str("NOT ")?;
                write_child(f, inner, matches!(**inner, Query::Or(_) | Query::And(_)))
            }
            Query::Term { path: None, value } => {
                write_value(f, value.as_str(), bare_term_is_plain(value.as_str()))
            }
            Query::Term {
                path: Some(path),
                value,
            } => {
                write!(f, "{path}:")?;
                write_value(f, value.as_str(), all_value_chars(value.as_str()))
            }
            Query::Range { path, lo, hi } => {
                write!(f, "{path}:[")?;
                write_bound(f, lo)?;
                f.write_str(" TO ")?;
                write_bound(f, hi)?;
                f.write_str("]")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn term(path: &str, value: &str) -> Query {
        Query::Term {
            path: Some(path.to_string()),
            value: Value::Text(value.to_string()),
        }
    }

    fn bare(value: &str) -> Query {
        Query::Term {
            path: None,
            value: Value::Text(value.to_string()),
        }
    }

    fn range(path: &str, lo: Option<&str>, hi: Option<&str>) -> Query {
        let b = |s: Option<&str>| s.map_or(Bound::Open, |s| Bound::Text(s.to_string()));
        Query::Range {
            path: path.to_string(),
            lo: b(lo),
            hi: b(hi),
        }
    }

    fn not(q: Query) -> Query {
        Query::Not(Box::new(q))
    }

    fn parse(q: &str) -> Query {
        parse_query(q).unwrap_or_else(|e| panic!("{q:?} should parse: {e}"))
    }

    fn err(q: &str) -> String {
        match parse_query(q) {
            Ok(parsed) => panic!("{q:?} should fail, parsed as {parsed:?}"),
            Err(e) => e.0,
        }
    }

    #[test]
    fn a_field_term_is_a_path_and_a_value() {
        assert_eq!(
            parse("card.cardnumber:9276004428481652"),
            term("card.cardnumber", "9276004428481652")
        );
    }

    #[test]
    fn a_quoted_value_loses_its_quotes() {
        assert_eq!(
            parse(r#"card.cardnumber:"9276004428481652""#),
            term("card.cardnumber", "9276004428481652")
        );
    }

    #[test]
    fn quoted_values_keep_spaces_and_operators_literally() {
        assert_eq!(
            parse(r#"name:"Max AND (Moritz) OR [x]""#),
            term("name", "Max AND (Moritz) OR [x]")
        );
    }

    #[test]
    fn quoted_values_unescape_quote_and_backslash_and_keep_other_backslashes() {
        assert_eq!(parse(r#"a:"x\"y\\z\n""#), term("a", r#"x"y\z\n"#));
    }

    #[test]
    fn a_quoted_bare_term_has_no_path() {
        assert_eq!(parse(r#""a:b c""#), bare("a:b c"));
    }

    #[test]
    fn bare_words_are_bare_terms() {
        assert_eq!(parse("testnr"), bare("testnr"));
        assert_eq!(parse("1"), bare("1"));
        assert_eq!(parse("card.cardnumber"), bare("card.cardnumber"));
    }

    #[test]
    fn a_colon_after_something_that_is_not_a_path_is_part_of_a_bare_value() {
        assert_eq!(parse("10:30"), bare("10:30"));
        assert_eq!(parse("a-b:c"), bare("a-b:c"));
        assert_eq!(parse("a.:c"), bare("a.:c"));
        assert_eq!(parse(":x"), bare(":x"));
    }

    #[test]
    fn values_keep_their_own_colons_dashes_and_pluses() {
        assert_eq!(
            parse("created:2020-09-01T00:00:00+02:00"),
            term("created", "2020-09-01T00:00:00+02:00")
        );
        assert_eq!(parse("a:b:c"), term("a", "b:c"));
        assert_eq!(parse("amount:-5"), term("amount", "-5"));
        assert_eq!(parse("-5"), bare("-5"));
        assert_eq!(parse("+x"), bare("+x"));
    }

    #[test]
    fn wildcards_stay_in_the_value() {
        assert_eq!(
            parse("card.cardnumber:92760044*"),
            term("card.cardnumber", "92760044*")
        );
        assert_eq!(parse(r#"a:"x?y*""#), term("a", "x?y*"));
        assert!(Value::Text("x?".into()).has_wildcards());
        assert!(!Value::Text("x".into()).has_wildcards());
    }

    #[test]
    fn juxtaposition_means_and() {
        assert_eq!(
            parse("a:1 b:2"),
            Query::And(vec![term("a", "1"), term("b", "2")])
        );
        assert_eq!(
            parse("a:1 AND b:2"),
            Query::And(vec![term("a", "1"), term("b", "2")])
        );
    }

    #[test]
    fn and_binds_tighter_than_or() {
        assert_eq!(
            parse("a:1 OR b:2 AND c:3 OR d:4"),
            Query::Or(vec![
                term("a", "1"),
                Query::And(vec![term("b", "2"), term("c", "3")]),
                term("d", "4"),
            ])
        );
        assert_eq!(
            parse("a:1 b:2 OR c:3"),
            Query::Or(vec![
                Query::And(vec![term("a", "1"), term("b", "2")]),
                term("c", "3")
            ])
        );
    }

    #[test]
    fn parentheses_group_and_are_kept_as_nesting() {
        assert_eq!(
            parse("(a:1 OR b:2) c:3"),
            Query::And(vec![
                Query::Or(vec![term("a", "1"), term("b", "2")]),
                term("c", "3")
            ])
        );
        assert_eq!(
            parse("(a:1 OR b:2) OR c:3"),
            Query::Or(vec![
                Query::Or(vec![term("a", "1"), term("b", "2")]),
                term("c", "3")
            ])
        );
        assert_eq!(parse("((a:1))"), term("a", "1"));
        assert_eq!(
            parse("(a:1)(b:2)"),
            Query::And(vec![term("a", "1"), term("b", "2")])
        );
    }

    #[test]
    fn not_and_bang_negate_the_next_unary() {
        assert_eq!(parse("NOT a:1"), not(term("a", "1")));
        assert_eq!(parse("!a:1"), not(term("a", "1")));
        assert_eq!(parse("! a:1"), not(term("a", "1")));
        assert_eq!(parse("!!a:1"), not(not(term("a", "1"))));
        assert_eq!(parse("NOT(a:1)"), not(term("a", "1")));
        assert_eq!(
            parse("NOT a:1 b:2"),
            Query::And(vec![not(term("a", "1")), term("b", "2")])
        );
        assert_eq!(
            parse("!customer.object:loyalty.customers"),
            not(term("customer.object", "loyalty.customers"))
        );
    }

    #[test]
    fn the_specs_negated_group_example_parses() {
        assert_eq!(
            parse("(NOT customer.name:meier*) AND passcode:2"),
            Query::And(vec![
                not(term("customer.name", "meier*")),
                term("passcode", "2")
            ])
        );
    }

    #[test]
    fn operators_are_only_whole_upper_case_words() {
        assert_eq!(
            parse("a and b"),
            Query::And(vec![bare("a"), bare("and"), bare("b")])
        );
        assert_eq!(parse("ANDROID"), bare("ANDROID"));
        assert_eq!(parse("NOTE"), bare("NOTE"));
        assert_eq!(parse("AND:x"), term("AND", "x"));
        assert_eq!(parse("state:OR"), term("state", "OR"));
        assert_eq!(parse(r#""AND""#), bare("AND"));
        assert_eq!(parse("TO"), bare("TO"));
        assert_eq!(parse("a!b"), bare("a!b"));
    }

    #[test]
    fn a_range_has_two_inclusive_bounds() {
        assert_eq!(
            parse("bonus_balance:[50 TO 100]"),
            range("bonus_balance", Some("50"), Some("100"))
        );
        assert_eq!(
            parse("bonus_balance:[ 50   TO 100 ]"),
            range("bonus_balance", Some("50"), Some("100"))
        );
    }

    #[test]
    fn a_star_bound_is_open_but_a_quoted_star_is_text() {
        assert_eq!(
            parse("created:[2020-09-01T00:00:00+02:00 TO *]"),
            range("created", Some("2020-09-01T00:00:00+02:00"), None)
        );
        assert_eq!(parse("a:[* TO *]"), range("a", None, None));
        assert_eq!(
            parse(r#"a:["*" TO "TO"]"#),
            range("a", Some("*"), Some("TO"))
        );
    }

    #[test]
    fn date_ranges_combine_with_other_terms() {
        assert_eq!(
            parse("status:ok AND created:[2026-01-01 TO 2026-12-31]"),
            Query::And(vec![
                term("status", "ok"),
                range("created", Some("2026-01-01"), Some("2026-12-31"))
            ])
        );
    }

    #[test]
    fn the_empty_query_is_an_empty_and() {
        assert_eq!(parse(""), Query::And(vec![]));
        assert_eq!(parse("   "), Query::And(vec![]));
    }

    #[test]
    fn an_unclosed_parenthesis_points_at_the_end_and_the_opening() {
        assert_eq!(
            err("(card.cardnumber"),
            "q: expected ')' at position 16 (end of query) to close the '(' at position 0"
        );
        assert_eq!(
            err("a:1 (b:2 c:3"),
            "q: expected ')' at position 12 (end of query) to close the '(' at position 4"
        );
    }

    #[test]
    fn a_stray_closing_parenthesis_is_an_error_at_its_position() {
        assert_eq!(err("a:1)"), "q: unexpected ')' at position 3");
        assert_eq!(err(")"), "q: unexpected ')' at position 0");
        assert_eq!(err("()"), "q: expected a term inside '( )' at position 1");
    }

    #[test]
    fn dangling_operators_are_errors() {
        assert_eq!(
            err("a:1 AND"),
            "q: expected a term after 'AND' at position 7 (end of query)"
        );
        assert_eq!(
            err("a:1 OR "),
            "q: expected a term after 'OR' at position 7 (end of query)"
        );
        assert_eq!(
            err("NOT"),
            "q: expected a term after 'NOT' at position 3 (end of query)"
        );
        assert_eq!(
            err("!"),
            "q: expected a term after '!' at position 1 (end of query)"
        );
        assert_eq!(
            err("OR a:1"),
            "q: unexpected 'OR', expected a term at position 0"
        );
        assert_eq!(
            err("a:1 AND OR b:2"),
            "q: unexpected 'OR', expected a term after 'AND' at position 8"
        );
        assert_eq!(
            err("(a:1 AND)"),
            "q: expected a term after 'AND' at position 8"
        );
    }

    #[test]
    fn a_path_needs_a_value_right_after_the_colon() {
        assert_eq!(
            err("status:"),
            "q: expected a value right after 'status:' at position 7 (end of query)"
        );
        assert_eq!(
            err("status: ok"),
            "q: expected a value right after 'status:' at position 7"
        );
        assert_eq!(
            err("status:(ok)"),
            "q: expected a value right after 'status:' at position 7"
        );
    }

    #[test]
    fn an_unterminated_quote_points_at_the_opening_quote() {
        assert_eq!(
            err(r#"a:1 b:"xyz"#),
            "q: unterminated quoted value starting at position 6"
        );
        assert_eq!(
            err(r#""abc\""#),
            "q: unterminated quoted value starting at position 0"
        );
    }

    #[test]
    fn broken_ranges_are_errors_at_their_position() {
        assert_eq!(
            err("a:[1 TO 2"),
            "q: expected ']' at position 9 (end of query) to close the '[' at position 2"
        );
        assert_eq!(
            err("a:[1 TO 2 3]"),
            "q: expected ']' at position 10 to close the '[' at position 2"
        );
        assert_eq!(
            err("a:[ TO 5]"),
            "q: empty lower range bound (use '*' for an open bound) at position 4"
        );
        assert_eq!(
            err("a:[1 TO ]"),
            "q: empty upper range bound (use '*' for an open bound) at position 8"
        );
        assert_eq!(
            err("a:[1 5]"),
            "q: expected 'TO' in the range at position 5"
        );
        assert_eq!(
            err("a:[1TO 5]"),
            "q: expected 'TO' in the range at position 7"
        );
        assert_eq!(
            err("[1 TO 2]"),
            "q: unexpected '[' (a range needs a field: 'field:[a TO b]') at position 0"
        );
        assert_eq!(err("a:1]"), "q: unexpected ']' at position 3");
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_an_error_not_a_stack_overflow() {
        let deep = "(".repeat(MAX_CHARS);
        assert!(err(&deep).contains("nested more than 100 levels deep"));
        let bangs = "!".repeat(MAX_CHARS - 1) + "a";
        assert!(err(&bangs).contains("nested more than 100 levels deep"));
        let ok = "(".repeat(MAX_DEPTH - 1) + "a" + &")".repeat(MAX_DEPTH - 1);
        assert_eq!(parse(&ok), bare("a"));
    }

    #[test]
    fn a_query_with_more_terms_or_characters_than_the_limits_is_an_error_with_its_position() {
        let at_limit = vec!["a:1"; MAX_TERMS].join(" OR ");
        assert!(parse_query(&at_limit).is_ok());
        let over = vec!["a:1"; 500].join(" ");
        assert_eq!(
            err(&over),
            format!(
                "q: more than {MAX_TERMS} terms at position {}",
                MAX_TERMS * 4
            )
        );
        let long = format!("\"{}\"", "x".repeat(MAX_CHARS));
        assert_eq!(
            err(&long),
            format!("q: longer than {MAX_CHARS} characters at position {MAX_CHARS}")
        );
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        assert_eq!(
            err("ä:ü AND"),
            "q: expected a term after 'AND' at position 7 (end of query)"
        );
    }

    #[test]
    fn printing_quotes_only_what_needs_quotes() {
        let q = Query::And(vec![
            term("a", "x y"),
            bare("AND"),
            bare("!x"),
            bare("a:b"),
            bare("10:30"),
            not(Query::Or(vec![bare("p"), bare("")])),
            range("r", Some("TO"), None),
        ]);
        assert_eq!(
            q.to_string(),
            r#"a:"x y" AND "AND" AND "!x" AND "a:b" AND 10:30 AND NOT (p OR "") AND r:["TO" TO *]"#
        );
        assert_eq!(parse(&q.to_string()), q);
    }

    // ----- properties ------------------------------------------------------------------------

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9 :*?!\"\\\\()\\[\\]._+-]{0,8}",
            Just("AND".to_string()),
            Just("OR".to_string()),
            Just("NOT".to_string()),
            Just("TO".to_string()),
            Just("*".to_string()),
            Just("a:b".to_string()),
            "\\PC{0,4}",
        ]
    }

    fn path() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Za-z_][A-Za-z0-9_]{0,3}(\\.[A-Za-z_][A-Za-z0-9_]{0,3}){0,2}",
            Just("NOT".to_string()),
            Just("OR".to_string()),
        ]
    }

    fn bound() -> impl Strategy<Value = Bound> {
        prop_oneof![Just(Bound::Open), text().prop_map(Bound::Text)]
    }

    fn leaf() -> impl Strategy<Value = Query> {
        prop_oneof![
            (proptest::option::of(path()), text()).prop_map(|(path, v)| Query::Term {
                path,
                value: Value::Text(v)
            }),
            (path(), bound(), bound()).prop_map(|(path, lo, hi)| Query::Range { path, lo, hi }),
        ]
    }

    fn query() -> impl Strategy<Value = Query> {
        leaf().prop_recursive(5, 40, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 2..4).prop_map(Query::Or),
                proptest::collection::vec(inner.clone(), 2..4).prop_map(Query::And),
                inner.prop_map(|q| Query::Not(Box::new(q))),
            ]
        })
    }

    proptest! {
        #[test]
        fn arbitrary_strings_never_panic(s in "\\PC{0,60}") {
            let _ = parse_query(&s);
        }

        #[test]
        fn arbitrary_query_like_strings_never_panic(
            s in "[ a-zA-Z0-9:*?!\"\\\\()\\[\\]._+-]{0,60}|((AND|OR|NOT|TO|\\(|\\)|\\[|\\]|\"|a:|b|\\*| )){0,30}"
        ) {
            if let Ok(q) = parse_query(&s) {
                // Whatever parses also prints and re-parses to the same tree.
                prop_assert_eq!(parse_query(&q.to_string()), Ok(q));
            }
        }

        #[test]
        fn a_printed_random_query_parses_back_to_itself(q in query()) {
            let printed = q.to_string();
            prop_assert_eq!(parse_query(&printed), Ok(q), "printed: {}", printed);
        }
    }
}
