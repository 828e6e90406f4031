//! HTML removal and Unicode NFC, keeping a map from the cleaned text back to the original.
//!
//! Output spans must count code points of the article `text` exactly as received, while every
//! later stage wants clean text. So cleaning builds a new string plus an [`OffsetMap`].
//! Written here rather than with an HTML crate: we need the offsets, and a full HTML5 parser
//! (html5ever) costs more than the rest of extraction on a typical article; news bodies only need
//! tags dropped, block tags turned into line breaks, and entities decoded.

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// Maps byte offsets of a cleaned text back to byte offsets of the original.
///
/// Stored as the starts of runs that were copied unchanged: within a run offsets move together;
/// a byte inside replaced text maps to the start of what it replaced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OffsetMap {
    /// `(clean_start, original_start)`, sorted by both. Empty means identity.
    runs: Vec<(usize, usize)>,
    /// Length of the original text, to clamp.
    original_len: usize,
}

impl OffsetMap {
    fn identity(len: usize) -> OffsetMap {
        OffsetMap {
            runs: Vec::new(),
            original_len: len,
        }
    }

    /// True when the cleaned text is the original.
    pub fn is_identity(&self) -> bool {
        self.runs.is_empty()
    }

    /// The original byte offset for a cleaned byte offset.
    pub fn to_original(&self, clean: usize) -> usize {
        if self.runs.is_empty() {
            return clean.min(self.original_len);
        }
        let i = self.runs.partition_point(|&(c, _)| c <= clean);
        if i == 0 {
            return 0;
        }
        let (c, o) = self.runs[i - 1];
        let mut mapped = o + (clean - c);
        if let Some(&(_, next_o)) = self.runs.get(i) {
            mapped = mapped.min(next_o);
        }
        mapped.min(self.original_len)
    }
}

/// A cleaned text and how to get back to the original.
#[derive(Debug, Clone)]
pub struct Cleaned {
    pub text: String,
    pub map: OffsetMap,
}

struct Builder {
    out: String,
    runs: Vec<(usize, usize)>,
}

impl Builder {
    /// Copies original text starting at `orig` (a new run).
    fn copy(&mut self, s: &str, orig: usize) {
        if s.is_empty() {
            return;
        }
        self.runs.push((self.out.len(), orig));
        self.out.push_str(s);
    }
    /// Appends replacement text standing for original text starting at `orig`.
    fn replace(&mut self, s: &str, orig: usize) {
        self.runs.push((self.out.len(), orig));
        self.out.push_str(s);
    }
}

/// True when the text looks like HTML (tags or entities), so it needs [`strip_html`].
pub fn looks_like_html(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(p) = memchr_any(b, i) {
        let rest = &b[p..];
        if rest[0] == b'<' {
            if rest.len() > 1
                && (rest[1].is_ascii_alphabetic() || rest[1] == b'/' || rest[1] == b'!')
            {
                return true;
            }
        } else if let Some(end) = rest.iter().take(12).position(|&c| c == b';')
            && end > 1
            && rest[1..end]
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'#')
        {
            return true;
        }
        i = p + 1;
    }
    false
}

/// The next `<` or `&` from `from` on. Every article passes through here once and most have
/// neither: `memchr2` skips a vector of bytes per step where a byte loop takes one.
fn memchr_any(b: &[u8], from: usize) -> Option<usize> {
    memchr::memchr2(b'<', b'&', b.get(from..)?).map(|p| p + from)
}

/// Tags whose end starts a new line: block-level elements.
const BLOCK_TAGS: &[&str] = &[
    "p",
    "br",
    "div",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "blockquote",
    "section",
    "article",
    "header",
    "footer",
    "figcaption",
    "hr",
    "pre",
    "dd",
    "dt",
];
/// Tags whose content is dropped whole.
const SKIP_TAGS: &[&str] = &["script", "style", "noscript", "template", "svg", "iframe"];

/// Named entities news bodies actually use. Unknown ones are left as written.
const ENTITIES: &[(&str, &str)] = &[
    ("amp", "&"),
    ("lt", "<"),
    ("gt", ">"),
    ("quot", "\""),
    ("apos", "'"),
    ("nbsp", " "),
    ("mdash", "—"),
    ("ndash", "–"),
    ("hellip", "…"),
    ("lsquo", "‘"),
    ("rsquo", "’"),
    ("ldquo", "“"),
    ("rdquo", "”"),
    ("laquo", "«"),
    ("raquo", "»"),
    ("copy", "©"),
    ("reg", "®"),
    ("trade", "™"),
    ("deg", "°"),
    ("euro", "€"),
    ("pound", "£"),
    ("eacute", "é"),
    ("egrave", "è"),
    ("aacute", "á"),
    ("oacute", "ó"),
    ("iacute", "í"),
    ("uacute", "ú"),
    ("ntilde", "ñ"),
    ("ouml", "ö"),
    ("uuml", "ü"),
    ("auml", "ä"),
    ("ccedil", "ç"),
    ("szlig", "ß"),
    ("shy", ""),
    ("zwnj", ""),
    ("thinsp", " "),
    ("ensp", " "),
    ("emsp", " "),
];

/// Removes tags, turns block tags into line breaks and decodes entities. Linear time.
pub fn strip_html(text: &str) -> Cleaned {
    let mut b = Builder {
        out: String::with_capacity(text.len()),
        runs: Vec::new(),
    };
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut copy_from = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => {
                let Some(close) = bytes[i..].iter().position(|&c| c == b'>') else {
                    break; // a stray '<' to the end: keep it as text
                };
                let tag = &text[i + 1..i + close];
                if tag.is_empty()
                    || !(tag.as_bytes()[0].is_ascii_alphabetic()
                        || tag.starts_with('/')
                        || tag.starts_with('!'))
                {
                    i += 1; // "a < b": not a tag
                    continue;
                }
                b.copy(&text[copy_from..i], copy_from);
                let name: String = tag
                    .trim_start_matches('/')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect::<String>()
                    .to_ascii_lowercase();
                let mut end = i + close + 1;
                if !tag.starts_with('/') && SKIP_TAGS.contains(&name.as_str()) {
                    // Drop everything up to the matching close tag.
                    let closing = format!("</{name}");
                    let lower_rest = text[end..].to_ascii_lowercase();
                    end = match lower_rest.find(&closing) {
                        Some(p) => {
                            let after = end + p;
                            after
                                + text[after..]
                                    .find('>')
                                    .map(|q| q + 1)
                                    .unwrap_or(text.len() - after)
                        }
                        None => text.len(),
                    };
                } else if tag.starts_with("!--") {
                    end = match text[i..].find("-->") {
                        Some(p) => i + p + 3,
                        None => text.len(),
                    };
                }
                if BLOCK_TAGS.contains(&name.as_str()) {
                    b.replace("\n", i);
                }
                i = end;
                copy_from = end;
            }
            b'&' => {
                let rest = &text[i + 1..];
                let semi = rest.as_bytes().iter().take(10).position(|&c| c == b';');
                let decoded = semi.and_then(|s| decode_entity(&rest[..s]).map(|d| (d, s)));
                match decoded {
                    Some((d, s)) => {
                        b.copy(&text[copy_from..i], copy_from);
                        b.replace(&d, i);
                        i += s + 2;
                        copy_from = i;
                    }
                    None => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    b.copy(
        &text[copy_from.min(text.len())..],
        copy_from.min(text.len()),
    );
    Cleaned {
        text: b.out,
        map: OffsetMap {
            runs: b.runs,
            original_len: text.len(),
        },
    }
}

fn decode_entity(name: &str) -> Option<String> {
    if let Some(num) = name.strip_prefix('#') {
        let code = if let Some(hex) = num.strip_prefix(['x', 'X']) {
            u32::from_str_radix(hex, 16).ok()?
        } else {
            num.parse::<u32>().ok()?
        };
        let c = char::from_u32(code)?;
        return Some(if c == '\u{a0}' {
            ' '.to_string()
        } else {
            c.to_string()
        });
    }
    ENTITIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| (*v).to_string())
}

/// Brings text to Unicode NFC, word by word, so offsets inside unchanged words stay exact.
pub fn nfc(cleaned: Cleaned) -> Cleaned {
    if is_nfc_quick(cleaned.text.chars()) == IsNormalized::Yes {
        return cleaned;
    }
    let src = &cleaned.text;
    let mut b = Builder {
        out: String::with_capacity(src.len()),
        runs: Vec::new(),
    };
    let mut copy_from = 0;
    for (start, word) in words(src) {
        if is_nfc_quick(word.chars()) == IsNormalized::Yes {
            continue;
        }
        b.copy(&src[copy_from..start], copy_from);
        let normalized: String = word.nfc().collect();
        b.replace(&normalized, start);
        copy_from = start + word.len();
    }
    b.copy(&src[copy_from..], copy_from);
    // Compose with the map of the previous step.
    let runs = b
        .runs
        .into_iter()
        .map(|(c, o)| (c, cleaned.map.to_original(o)))
        .collect();
    Cleaned {
        text: b.out,
        map: OffsetMap {
            runs,
            original_len: cleaned.map.original_len,
        },
    }
}

fn words(s: &str) -> impl Iterator<Item = (usize, &str)> {
    s.split_inclusive(char::is_whitespace)
        .scan(0usize, |pos, w| {
            let start = *pos;
            *pos += w.len();
            Some((start, w.trim_end_matches(char::is_whitespace)))
        })
        .filter(|(_, w)| !w.is_empty())
}

/// HTML (when it looks like HTML) then NFC.
pub fn clean(text: &str) -> Cleaned {
    let stripped = if looks_like_html(text) {
        strip_html(text)
    } else {
        Cleaned {
            text: text.to_string(),
            map: OffsetMap::identity(text.len()),
        }
    };
    nfc(stripped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tags_and_entities_with_offsets() {
        let src = "<p>Tom &amp; Jerry</p><script>x()</script><p>met&nbsp;today.</p>";
        let c = clean(src);
        assert_eq!(c.text, "\nTom & Jerry\n\nmet today.\n");
        let tom = c.text.find("Tom").unwrap();
        assert_eq!(
            &src[c.map.to_original(tom)..c.map.to_original(tom) + 3],
            "Tom"
        );
        let met = c.text.find("met").unwrap();
        assert_eq!(
            &src[c.map.to_original(met)..c.map.to_original(met) + 3],
            "met"
        );
    }

    #[test]
    fn plain_text_is_identity() {
        let c = clean("A < B and C & D.");
        assert_eq!(c.text, "A < B and C & D.");
        assert!(c.map.is_identity());
    }

    #[test]
    fn nfc_composes_and_maps() {
        let src = "Kalin\u{0306} x Erdog\u{306}an met";
        let c = clean(src);
        assert!(c.text.contains("Erdoğan"));
        let met = c.text.find("met").unwrap();
        assert_eq!(&src[c.map.to_original(met)..], "met");
    }

    #[test]
    fn odd_html_never_panics() {
        for s in [
            "<",
            "<<>>",
            "&",
            "&#;",
            "&#99999999;",
            "<script>",
            "<!--",
            "<p",
            "&amp",
            "<a href='x'>é</a>",
        ] {
            let _ = clean(s);
        }
    }
}
