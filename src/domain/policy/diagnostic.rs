//! What `policy check` reports: each finding with where it is in the file
//! (from the TOML's own spans), how bad it is, a stable code for CI, and a
//! suggestion when one is close. Rendered as a compiler would
//! (`policy.toml:12:9: error: ...`) or as JSON for annotations.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// One finding, located by byte offsets into the policy text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable and kebab-case (`unknown-key`, `region-typo`): what CI filters on.
    pub code: &'static str,
    pub message: String,
    pub suggestion: Option<String>,
    pub span: std::ops::Range<usize>,
}

impl Diagnostic {
    pub fn new(
        severity: Severity,
        code: &'static str,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            suggestion: None,
            span,
        }
    }

    pub fn suggest(mut self, suggestion: Option<impl Into<String>>) -> Diagnostic {
        self.suggestion = suggestion.map(Into::into);
        self
    }
}

/// One-based line and column (in characters, as editors count them) of a
/// byte offset; an offset inside a character counts as that character.
pub fn position(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// A diagnostic with its positions resolved, as `--format json` prints it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Located {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub suggestion: Option<String>,
}

pub fn locate(file: &str, text: &str, d: &Diagnostic) -> Located {
    let (line, column) = position(text, d.span.start);
    let (end_line, end_column) = position(text, d.span.end.max(d.span.start));
    Located {
        file: file.to_string(),
        line,
        column,
        end_line,
        end_column,
        severity: d.severity,
        code: d.code,
        message: d.message.clone(),
        suggestion: d.suggestion.clone(),
    }
}

impl Located {
    /// `file:line:col: severity: message`, then `  = help: did you mean ...`.
    pub fn human(&self) -> String {
        let mut out = format!(
            "{}:{}:{}: {}: {} [{}]",
            self.file,
            self.line,
            self.column,
            self.severity.as_str(),
            self.message,
            self.code
        );
        if let Some(s) = &self.suggestion {
            out.push_str(&format!("\n  = help: did you mean `{s}`?"));
        }
        out
    }

    /// `12:9 message`: the short form for the one stderr summary line.
    pub fn short(&self) -> String {
        let hint = match &self.suggestion {
            Some(s) => format!(" (did you mean `{s}`?)"),
            None => String::new(),
        };
        format!("{}:{} {}{hint}", self.line, self.column, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let text = "a = 1\nbé = \"x\"\n\nlast";
        for (offset, want) in [
            (0, (1, 1)),
            (4, (1, 5)),
            (6, (2, 1)),
            (9, (2, 3)),
            (8, (2, 2)),
            (17, (4, 1)),
            (999, (4, 5)),
        ] {
            assert_eq!(position(text, offset), want, "offset {offset}");
        }
        assert_eq!(position("", 0), (1, 1));
    }

    #[test]
    fn renders_like_a_compiler() {
        let d = Diagnostic::new(
            Severity::Error,
            "unknown-key",
            6..13,
            "`regoins`: unknown key",
        )
        .suggest(Some("regions"));
        let l = locate("p.toml", "x = 1\nregoins = []\n", &d);
        assert_eq!(
            l.human(),
            "p.toml:2:1: error: `regoins`: unknown key [unknown-key]\n  = help: did you mean `regions`?"
        );
        assert_eq!((l.end_line, l.end_column), (2, 8));
        let json = serde_json::to_value(&l).unwrap();
        assert_eq!(json["severity"], "error");
        assert_eq!(json["suggestion"], "regions");
        assert_eq!(
            l.short(),
            "2:1 `regoins`: unknown key (did you mean `regions`?)"
        );
    }
}
