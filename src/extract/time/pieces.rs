//! Cutting text into sentence-sized pieces for the tagger.
//!
//! The pieces serve two purposes: the rule prefilter runs once per piece (so only the rules
//! that can match a piece are run on it), and a piece is the context whose cue words decide
//! the tense. A time expression never spans a sentence end, so a cut there loses nothing; the
//! cuts skip abbreviations ("Nov. 25", "Mr. Smith"). Pieces are capped in length so that a
//! pathological input (megabytes without a full stop) still costs linear time.

use crate::extract::text::tokens::{LONGEST_ABBREVIATION, is_abbreviation};

/// Longest piece, in bytes; longer runs are cut at a space.
const MAX_PIECE: usize = 4096;

/// The pieces of `text` as byte ranges, in order, covering all non-blank text.
pub(crate) fn sentences(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Jump to the next byte that can end a piece.
        let next = bytes[i..]
            .iter()
            .position(|&b| matches!(b, b'\n' | b'.' | b'!' | b'?'))
            .map_or(bytes.len(), |k| i + k);
        if next - start > MAX_PIECE {
            // Too long without an end: cut at the first space after the cap, or anywhere
            // (on a character boundary) when there is none for another cap's length.
            let from = start + MAX_PIECE;
            let cut = bytes[from..next]
                .iter()
                .position(|&b| b == b' ')
                .map(|k| from + k + 1)
                .filter(|&c| c - start <= 2 * MAX_PIECE)
                .or_else(|| (start + 2 * MAX_PIECE..next).find(|&c| text.is_char_boundary(c)));
            if let Some(cut) = cut {
                push(&mut out, text, start, cut);
                start = cut;
                i = cut;
                continue;
            }
        }
        if next >= bytes.len() {
            break;
        }
        let cut = match bytes[next] {
            b'\n' => {
                // A blank line ends a paragraph.
                let mut j = next + 1;
                while j < bytes.len() && matches!(bytes[j], b' ' | b'\t' | b'\r') {
                    j += 1;
                }
                j < bytes.len() && bytes[j] == b'\n'
            }
            _ => is_sentence_end(text, next),
        };
        if cut {
            push(&mut out, text, start, next + 1);
            start = next + 1;
        }
        i = next + 1;
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
        .char_indices()
        .rev()
        .find(|&(_, c)| c.is_whitespace() || c == '(' || c == '"')
        .map_or(0, |(k, c)| k + c.len_utf8());
    let word = &text[word_start..i];
    // Abbreviations are short ("Nov", "Mr", "U.S", "Calif"): a longer word ends the sentence
    // even when it looks like initials ("U.S.A.F").
    word.len() > LONGEST_ABBREVIATION || !is_abbreviation(word)
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
