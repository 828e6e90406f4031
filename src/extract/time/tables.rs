//! Reading the rule tables of `data/time/`: tab-separated rows, `#` comments, blank lines.
//!
//! Columns are separated by one or more tabs, so the files can be aligned for reading; an
//! intentionally empty column is written `-`.

use super::TimeRulesError;

/// The tables embedded at compile time: the product reads no file at run time.
pub(crate) const VOCABULARY: &str = include_str!("../../../data/time/vocabulary.tsv");
pub(crate) const PATTERNS: &str = include_str!("../../../data/time/patterns.tsv");
pub(crate) const RULES: &str = include_str!("../../../data/time/rules.tsv");
pub(crate) const CUES: &str = include_str!("../../../data/time/cues.tsv");

/// One data row: its 1-based line number and its fields (`-` already turned into "").
pub(crate) struct Row<'a> {
    pub line: usize,
    pub fields: Vec<&'a str>,
}

impl Row<'_> {
    /// Field `i`, or "" when the row is shorter.
    pub fn get(&self, i: usize) -> &str {
        self.fields.get(i).copied().unwrap_or("")
    }
}

/// Splits a table into rows, checking that each has at least `min_fields` fields.
pub(crate) fn rows<'a>(
    file: &'static str,
    text: &'a str,
    min_fields: usize,
) -> Result<Vec<Row<'a>>, TimeRulesError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line
            .split('\t')
            .filter(|f| !f.is_empty())
            .map(|f| if f == "-" { "" } else { f })
            .collect();
        if fields.len() < min_fields {
            return Err(TimeRulesError::Table {
                file,
                line: i + 1,
                reason: format!(
                    "expected at least {min_fields} tab-separated columns, found {}",
                    fields.len()
                ),
            });
        }
        out.push(Row {
            line: i + 1,
            fields,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_skip_comments_and_align_tabs() {
        let rows = rows("t", "# c\n\na\t\tb\t-\n", 2).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].line, 3);
        assert_eq!(rows[0].fields, vec!["a", "b", ""]);
        assert_eq!(rows[0].get(5), "");
    }

    #[test]
    fn short_rows_are_errors() {
        let err = super::rows("t.tsv", "a\n", 2).err().unwrap();
        assert!(err.to_string().contains("t.tsv"));
    }
}
