//! Word tokenization, Penn-Treebank style, with byte offsets into the source text.
//!
//! Hand-written rather than taken from a crate: it is on the hot path of every article (each
//! byte passes through here once), and the tokens must line up with what the actor tagger was
//! trained on (CoNLL/PTB conventions: `U.S.` is one token, `Qatar's` is `Qatar` + `'s`,
//! hyphenated words stay whole, quotes and brackets are their own tokens). Crates such as
//! `unicode-segmentation` split on UAX #29 word boundaries, which breaks `U.S.` and `3.5`.

/// One token: a half-open byte range `[start, end)` of the text it was cut from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
}

impl Token {
    /// The token's text.
    #[inline]
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        &src[self.start..self.end]
    }
}

/// Abbreviations that keep their final period. Lower-cased, without the period.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "sgt", "capt", "cmdr", "adm", "maj",
    "gov", "sen", "rep", "reps", "sens", "pres", "st", "jr", "sr", "inc", "corp", "co", "ltd",
    "bros", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "mon", "tue", "tues", "wed", "thu", "thurs", "fri", "sat", "sun", "vs", "etc", "no", "nos",
    "vol", "fig", "approx", "dept", "est", "mt", "ft", "ave", "blvd", "rd", "hon", "rev", "fr",
    "messrs", "mme", "mlle", "cf", "al", "e.g", "i.e", "a.m", "p.m", "u.s", "u.k", "u.n", "e.u",
    "d.c", "ariz", "calif", "colo", "conn", "fla", "ga", "ill", "ind", "kan", "ky", "la", "md",
    "mass", "mich", "minn", "miss", "mo", "mont", "neb", "nev", "okla", "ore", "pa", "tenn", "tex",
    "va", "vt", "wash", "wis", "wyo",
];

/// The word id of a token outside a vocabulary of frequent words (the tagger hands out the
/// ids, [`crate::extract::actors::ner::NerTagger::tag_with_ids`]; the trigger lexicon reads
/// them).
pub const NO_WORD: u32 = u32::MAX;

/// The length in bytes of the longest of [`ABBREVIATIONS`]. A longer word is none of them,
/// also after lower-casing: the one character that lower-cases to ASCII other than `A`–`Z`
/// is KELVIN SIGN (3 bytes, to `k`), and the listed abbreviations with a `k` (`ky`, `kan`)
/// written with it are still no longer than this.
pub(crate) const LONGEST_ABBREVIATION: usize = {
    let mut longest = 0;
    let mut k = 0;
    while k < ABBREVIATIONS.len() {
        if ABBREVIATIONS[k].len() > longest {
            longest = ABBREVIATIONS[k].len();
        }
        k += 1;
    }
    longest
};

/// True when `word` (without its final period) is a known abbreviation or looks like one:
/// an initial (`J.`), or letters separated by periods (`U.S`, `a.m`).
pub fn is_abbreviation(word: &str) -> bool {
    if word.is_empty() {
        return false;
    }
    let mut chars = word.chars();
    if let (Some(c), None) = (chars.next(), chars.next())
        && c.is_alphabetic()
    {
        return true; // an initial: "J." in "J. Smith"
    }
    if word.contains('.')
        && word
            .split('.')
            .all(|p| p.chars().count() <= 2 && !p.is_empty())
    {
        return true; // "U.S", "a.m", "U.N"
    }
    if word.len() > LONGEST_ABBREVIATION {
        // Most words before a period are longer than any listed abbreviation (a sentence's
        // last word): no need to compare them with each.
        return false;
    }
    if word.is_ascii() {
        // The list is ASCII: no allocation for the common case.
        return ABBREVIATIONS.iter().any(|a| a.eq_ignore_ascii_case(word));
    }
    let lower = word.to_lowercase();
    ABBREVIATIONS.contains(&lower.as_str())
}

#[inline]
fn is_open_punct(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '(' | '[' | '{' | '“' | '‘' | '«' | '‹' | '¿' | '¡' | '`'
    )
}

#[inline]
fn is_close_punct(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | ')' | ']' | '}' | '”' | '’' | '»' | '›' | ',' | ';' | ':' | '!' | '?' | '…'
    )
}

#[inline]
fn is_dash(c: char) -> bool {
    matches!(c, '—' | '–' | '―')
}

/// Splits `text` into tokens. Never panics; linear in the length of the text.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut out = Vec::with_capacity(text.len() / 5);
    tokenize_into(text, 0, text.len(), &mut out);
    out
}

/// [`BYTE_CLASSES`]: an ASCII letter, digit or hyphen (a chunk of only these is one token).
const PLAIN: u8 = 0;
/// Other ASCII, not white space.
const OTHER: u8 = 1;
/// ASCII white space (as [`u8::is_ascii_whitespace`]).
const SPACE: u8 = 2;
/// The first or a later byte of a non-ASCII character: the character must be decoded.
const NON_ASCII: u8 = 3;

/// The class of each byte, for the tokenizer's scan (every byte of the text passes through it).
const BYTE_CLASSES: [u8; 256] = {
    let mut classes = [NON_ASCII; 256];
    let mut b = 0u8;
    while b < 0x80 {
        classes[b as usize] = if b.is_ascii_alphanumeric() || b == b'-' {
            PLAIN
        } else if b.is_ascii_whitespace() {
            SPACE
        } else {
            OTHER
        };
        b += 1;
    }
    classes
};

/// Tokenizes `text[from..to]`, appending to `out` (offsets stay relative to `text`).
pub fn tokenize_into(text: &str, from: usize, to: usize, out: &mut Vec<Token>) {
    let bytes = text.as_bytes();
    let to = to.min(text.len());
    let mut i = from;
    // Byte-wise scan with an ASCII fast path: chunk boundaries are white space, an ASCII
    // byte's class is one table read, and only non-ASCII characters need decoding (Unicode
    // spaces such as U+2000 also separate chunks).
    let char_at = |k: usize| -> (bool, usize) {
        match text.get(k..).and_then(|s| s.chars().next()) {
            Some(c) => (c.is_whitespace(), c.len_utf8()),
            None => (false, 1),
        }
    };
    while i < to {
        match BYTE_CLASSES[usize::from(bytes[i])] {
            SPACE => {
                i += 1;
                continue;
            }
            NON_ASCII => {
                let (space, len) = char_at(i);
                if space {
                    i += len;
                    continue;
                }
            }
            _ => {}
        }
        let mut j = i;
        // A chunk of ASCII letters, digits and hyphens has nothing to split ("said", "2025",
        // "US-backed"): it is one token, and most chunks are such words.
        let mut plain = true;
        while j < to {
            match BYTE_CLASSES[usize::from(bytes[j])] {
                PLAIN => j += 1,
                OTHER => {
                    plain = false;
                    j += 1;
                }
                SPACE => break,
                _ => {
                    let (space, len) = char_at(j);
                    if space {
                        break;
                    }
                    plain = false;
                    j += len;
                }
            }
        }
        let j = j.min(to);
        if plain && j > i {
            out.push(Token { start: i, end: j });
        } else if text.is_char_boundary(i) && text.is_char_boundary(j) {
            split_chunk(text, i, j, out);
        }
        i = j.max(i + 1);
    }
}

/// Splits one white-space delimited chunk `text[start..end]` into tokens.
fn split_chunk(text: &str, mut start: usize, mut end: usize, out: &mut Vec<Token>) {
    // Leading punctuation, one token each.
    while start < end {
        let c = match text[start..end].chars().next() {
            Some(c) => c,
            None => return,
        };
        if is_open_punct(c) || is_dash(c) {
            out.push(Token {
                start,
                end: start + c.len_utf8(),
            });
            start += c.len_utf8();
        } else {
            break;
        }
    }
    // Trailing punctuation, collected in reverse (on the stack: this runs for every word).
    let mut trailing: [Token; 8] = [Token { start: 0, end: 0 }; 8];
    let mut n_trailing = 0usize;
    while start < end && n_trailing < 8 {
        let c = match text[start..end].chars().next_back() {
            Some(c) => c,
            None => break,
        };
        let cl = c.len_utf8();
        if is_close_punct(c) || is_dash(c) {
            // Keep a final apostrophe of a plural possessive ("officials'") as its own token,
            // which is also what PTB does.
            push_trailing(
                &mut trailing,
                &mut n_trailing,
                Token {
                    start: end - cl,
                    end,
                },
            );
            end -= cl;
        } else if c == '.' {
            let word = &text[start..end - 1];
            if word.is_empty() || word.ends_with('.') {
                // "..." : an ellipsis is one token.
                let mut s = end;
                while s > start && text.as_bytes()[s - 1] == b'.' {
                    s -= 1;
                }
                push_trailing(&mut trailing, &mut n_trailing, Token { start: s, end });
                end = s;
            } else if is_abbreviation(word) && !has_inner_close(word) {
                break; // keep the period on the abbreviation
            } else {
                push_trailing(
                    &mut trailing,
                    &mut n_trailing,
                    Token {
                        start: end - 1,
                        end,
                    },
                );
                end -= 1;
            }
        } else {
            break;
        }
    }
    if start < end {
        split_inner(text, start, end, out);
    }
    out.extend(trailing[..n_trailing].iter().rev().copied());
}

/// Keeps a trailing punctuation token; the caller stops stripping at 8 ("word!!!!!!!!!!" keeps
/// the rest in the word), which is harmless and keeps this allocation-free.
fn push_trailing(buf: &mut [Token; 8], n: &mut usize, t: Token) {
    if *n < buf.len() {
        buf[*n] = t;
        *n += 1;
    }
}

fn has_inner_close(word: &str) -> bool {
    word.ends_with(')') || word.ends_with('"')
}

/// Splits the core of a chunk: em-dashes inside a word, possessives and `n't` contractions.
fn split_inner(text: &str, start: usize, end: usize, out: &mut Vec<Token>) {
    let word = &text[start..end];
    // Dashes glued between words ("coordination—particularly"), and slashes between words are
    // kept; only long dashes split. (They are not ASCII: plain ASCII words skip the search.)
    if let Some((pos, c)) = (!word.is_ascii())
        .then(|| word.char_indices().find(|&(p, c)| p > 0 && is_dash(c)))
        .flatten()
    {
        split_inner(text, start, start + pos, out);
        out.push(Token {
            start: start + pos,
            end: start + pos + c.len_utf8(),
        });
        if start + pos + c.len_utf8() < end {
            split_chunk(text, start + pos + c.len_utf8(), end, out);
        }
        return;
    }
    // Every suffix split below has an apostrophe (' or ’, whose last UTF-8 byte is 0x99): a
    // word with neither byte is one token, without trying each suffix.
    if !word.bytes().any(|b| b == b'\'' || b == 0x99) {
        out.push(Token { start, end });
        return;
    }
    // Possessive 's / ’s.
    for suffix in ["'s", "’s", "'S", "’S"] {
        if word.len() > suffix.len() && word.ends_with(suffix) {
            let cut = end - suffix.len();
            out.push(Token { start, end: cut });
            out.push(Token { start: cut, end });
            return;
        }
    }
    // Contractions: n't, 're, 've, 'll, 'd, 'm. Compared ASCII-case-insensitively in place:
    // this runs for every word, and lower-casing a copy would cost an allocation each time.
    let lower = word.as_bytes();
    let ends = |suffix: &str| ends_with_ignore_ascii_case(lower, suffix.as_bytes());
    if lower.len() > 3 && (ends("n't") || ends("n’t")) {
        let suffix_len = if ends("n't") { 3 } else { 5 };
        let cut = end - suffix_len;
        out.push(Token { start, end: cut });
        out.push(Token { start: cut, end });
        return;
    }
    for suffix in [
        "'re", "'ve", "'ll", "'d", "'m", "’re", "’ve", "’ll", "’d", "’m",
    ] {
        if lower.len() > suffix.len() && ends(suffix) {
            let cut = end - suffix.len();
            out.push(Token { start, end: cut });
            out.push(Token { start: cut, end });
            return;
        }
    }
    out.push(Token { start, end });
}

/// `word.to_ascii_lowercase().ends_with(suffix)` for a lower-case `suffix`, without the copy.
#[inline]
fn ends_with_ignore_ascii_case(word: &[u8], suffix: &[u8]) -> bool {
    word.len() >= suffix.len() && word[word.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The shortcut for plain chunks cuts them as the full splitter does.
        #[test]
        fn plain_chunks_split_as_any_chunk(text in "([A-Za-z0-9\\-]{1,6}|[ .,'’—()\"]|\\PC){0,30}") {
            let mut fast = Vec::new();
            tokenize_into(&text, 0, text.len(), &mut fast);
            let mut full = Vec::new();
            for (start, chunk) in text.split_whitespace().map(|w| (w.as_ptr() as usize - text.as_ptr() as usize, w)) {
                split_chunk(&text, start, start + chunk.len(), &mut full);
            }
            proptest::prop_assert_eq!(fast, full);
        }
    }

    fn toks(s: &str) -> Vec<&str> {
        tokenize(s).iter().map(|t| t.text(s)).collect()
    }

    #[test]
    fn ptb_conventions() {
        assert_eq!(
            toks("Qatar’s Prime Minister met U.S. officials (MİT), didn't he?"),
            vec![
                "Qatar",
                "’s",
                "Prime",
                "Minister",
                "met",
                "U.S.",
                "officials",
                "(",
                "MİT",
                ")",
                ",",
                "did",
                "n't",
                "he",
                "?"
            ]
        );
        assert_eq!(
            toks("the “Yellow Line” in 2023. Dr. Smith said—then left..."),
            vec![
                "the", "“", "Yellow", "Line", "”", "in", "2023", ".", "Dr.", "Smith", "said", "—",
                "then", "left", "..."
            ]
        );
        assert_eq!(
            toks("US-backed 69,775 3.5%"),
            vec!["US-backed", "69,775", "3.5%"]
        );
    }

    #[test]
    fn never_panics_on_odd_input() {
        for s in [
            "", ".", "...", "'", "’s", "—", "a—", "—a", "(.)", "n't", "..a..",
        ] {
            let _ = tokenize(s);
        }
    }
}
