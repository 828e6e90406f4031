//! Byte offsets to Unicode code-point offsets, for output spans.
//!
//! Output spans count code points (what JavaScript and Python users index by); internally
//! everything is bytes. A checkpoint every `STRIDE` (256) bytes makes each conversion O(STRIDE)
//! instead of O(n), so an article with thousands of mentions stays linear.

const STRIDE: usize = 256;

/// Converts byte offsets of one text to code-point offsets.
#[derive(Debug, Clone)]
pub struct CodePoints<'a> {
    text: &'a str,
    ascii: bool,
    /// Code points before byte `i * STRIDE` (rounded down to a char boundary).
    checkpoints: Vec<(usize, usize)>,
}

impl<'a> CodePoints<'a> {
    pub fn new(text: &'a str) -> CodePoints<'a> {
        let ascii = text.is_ascii();
        let mut checkpoints = Vec::new();
        if !ascii {
            let mut next = 0usize;
            for (count, (b, _)) in text.char_indices().enumerate() {
                if b >= next {
                    checkpoints.push((b, count));
                    next = b + STRIDE;
                }
            }
        }
        CodePoints {
            text,
            ascii,
            checkpoints,
        }
    }

    /// Code points in `text[..byte]`. A byte inside a character counts that character's start.
    pub fn at(&self, byte: usize) -> usize {
        let byte = byte.min(self.text.len());
        if self.ascii {
            return byte;
        }
        let i = self.checkpoints.partition_point(|&(b, _)| b <= byte);
        let (b0, c0) = if i == 0 {
            (0, 0)
        } else {
            self.checkpoints[i - 1]
        };
        let mut end = byte;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        c0 + self.text[b0..end].chars().count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_code_points() {
        let s = "İbrahim Kalın — “Yellow Line”".repeat(40);
        let cp = CodePoints::new(&s);
        for (b, _) in s.char_indices() {
            assert_eq!(cp.at(b), s[..b].chars().count());
        }
        assert_eq!(cp.at(s.len()), s.chars().count());
        assert_eq!(CodePoints::new("abc").at(2), 2);
    }
}
