//! Cutting text into sentence-sized pieces for the tagger.
//!
//! The pieces serve two purposes: the rule prefilter runs once per piece (so only the rules
//! that can match a piece are run on it), and a piece is the context whose cue words decide
//! the tense. A time expression never spans a sentence end, so a cut there loses nothing; the
//! cuts skip abbreviations ("Nov. 25", "Mr. Smith"). Pieces are capped in length so that a
//! pathological input (megabytes without a full stop) still costs linear time.

use crate::extract::text::tokens::is_abbreviation;

/// Longest piece, in bytes; longer runs are cut at a space.
const MAX_PIECE: usize = 4096;

/// The pieces of `text` as byte ranges, in order, covering all non-blank text.
pub(crate) fn sentences(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let cut = match b {
            b'\n' => {
                // A blank line ends a paragraph.
                let mut j = i + 1;
                while j < bytes.len() && matches!(bytes[j], b' ' | b'\t' | b'\r') {
                    j += 1;
                }
                j < bytes.len() && bytes[j] == b'\n'
            }
            b'.' | b'!' | b'?' => is_sentence_end(text, i),
            _ => false,
        };
        if cut || i + 1 - start >= MAX_PIECE && b == b' ' {
            push(&mut out, text, start, i + 1);
            start = i + 1;
        } else if i + 1 - start >= 2 * MAX_PIECE && text.is_char_boundary(i + 1) {
            // No space for a long stretch (binary-ish input): cut anywhere.
            push(&mut out, text, start, i + 1);
            start = i + 1;
        }
        i += 1;
    }
    push(&mut out, text, start, bytes.len());
    out
}

fn push(out: &mut Vec<(usize, usize)>, text: &str, start: usize, end: usize) {
    if let Some(s) = text.get(start..end)
        && !s.trim().is_empty()
    {
        out.push((start, end));
    }
}

/// True when the punctuation at byte `i` ends a sentence: followed by space and then an
/// upper-case letter, a digit or an opening quote, and (for a period) not after an abbreviation.
fn is_sentence_end(text: &str, i: usize) -> bool {
    let bytes = text.as_bytes();
    let mut j = i + 1;
    while j < bytes.len() && matches!(bytes[j], b'"' | b'\'' | b')' | b']') {
        j += 1;
    }
    if j >= bytes.len() || !bytes[j].is_ascii_whitespace() {
        return false;
    }
    while j < bytes.len() && bytes[j].is_ascii_whitespace() {
        j += 1;
    }
    let next = text.get(j..).and_then(|s| s.chars().next());
    let starts_sentence =
        next.is_some_and(|c| c.is_uppercase() || c == '"' || c == '`' || c == '“');
    if !starts_sentence {
        return false;
    }
    if bytes[i] != b'.' {
        return true;
    }
    let word_start = text[..i]
        .rfind(|c: char| c.is_whitespace() || c == '(' || c == '"')
        .map_or(0, |k| k + 1);
    !is_abbreviation(&text[word_start..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(t: &str) -> Vec<&str> {
        sentences(t)
            .into_iter()
            .map(|(s, e)| t[s..e].trim())
            .collect()
    }

    #[test]
    fn cuts_at_sentence_ends_not_abbreviations() {
        assert_eq!(
            pieces("They met on Nov. 25. Mr. Smith said so! Then\n\nNew para"),
            vec![
                "They met on Nov. 25.",
                "Mr. Smith said so!",
                "Then",
                "New para"
            ]
        );
    }

    #[test]
    fn long_runs_are_capped() {
        let t = "x".repeat(3 * MAX_PIECE);
        let p = sentences(&t);
        assert!(p.len() >= 2);
        assert_eq!(p.last().unwrap().1, t.len());
        let u = "é".repeat(MAX_PIECE * 3);
        assert!(sentences(&u).iter().all(|&(s, e)| u.get(s..e).is_some()));
    }
}
