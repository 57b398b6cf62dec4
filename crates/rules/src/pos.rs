//! Positions: from a byte offset inside a decoded TOML string back to the line and column
//! of the TOML file, so an error inside `when` points at the character the analyst typed.

/// 1-based line and column (in characters) of byte `offset` in `src`. Offsets past the end
/// or inside a character are clamped.
pub(crate) fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// For a TOML string token `raw` (quotes included), the raw byte offset (relative to the
/// token's start) of every byte of the decoded string, plus one entry for its end.
///
/// Handles basic (`"…"`, with escapes), literal (`'…'`) and multi-line (`"""…"""`, `'''…'''`,
/// with the leading newline trimmed and line-ending backslashes) strings. Returns `None` if
/// `raw` does not decode to `decoded`, in which case callers fall back to the token's start.
pub(crate) fn string_offsets(raw: &str, decoded: &str) -> Option<Vec<usize>> {
    let bytes = raw.as_bytes();
    let (delim, basic) = if raw.starts_with("\"\"\"") {
        (3, true)
    } else if raw.starts_with("'''") {
        (3, false)
    } else if raw.starts_with('"') {
        (1, true)
    } else if raw.starts_with('\'') {
        (1, false)
    } else {
        return None;
    };
    let end = raw.len().checked_sub(delim)?;
    let mut i = delim;
    if delim == 3 {
        if bytes.get(i) == Some(&b'\n') {
            i += 1;
        } else if bytes.get(i) == Some(&b'\r') && bytes.get(i + 1) == Some(&b'\n') {
            i += 2;
        }
    }
    let mut map = Vec::with_capacity(decoded.len() + 1);
    let mut out = Vec::with_capacity(decoded.len());
    while i < end {
        let b = bytes[i];
        if basic && b == b'\\' {
            let esc = *bytes.get(i + 1)?;
            let (ch, len) = match esc {
                b'b' => ('\u{8}', 2),
                b't' => ('\t', 2),
                b'n' => ('\n', 2),
                b'f' => ('\u{c}', 2),
                b'r' => ('\r', 2),
                b'e' => ('\u{1b}', 2),
                b'"' => ('"', 2),
                b'\\' => ('\\', 2),
                b'x' | b'u' | b'U' => {
                    let n = match esc {
                        b'x' => 2,
                        b'u' => 4,
                        _ => 8,
                    };
                    let hex = raw.get(i + 2..i + 2 + n)?;
                    let code = u32::from_str_radix(hex, 16).ok()?;
                    (char::from_u32(code)?, 2 + n)
                }
                b' ' | b'\t' | b'\n' | b'\r' if delim == 3 => {
                    // Line-ending backslash: skip it and all whitespace after it.
                    i += 1;
                    while i < end && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
                        i += 1;
                    }
                    continue;
                }
                _ => return None,
            };
            let mut buf = [0u8; 4];
            for &byte in ch.encode_utf8(&mut buf).as_bytes() {
                out.push(byte);
                map.push(i);
            }
            i += len;
        } else {
            out.push(b);
            map.push(i);
            i += 1;
        }
    }
    map.push(end);
    (out == decoded.as_bytes()).then_some(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let s = "ab\ncé d";
        assert_eq!(line_col(s, 0), (1, 1));
        assert_eq!(line_col(s, 3), (2, 1));
        assert_eq!(line_col(s, 6), (2, 3));
        assert_eq!(line_col(s, 100), (2, 5));
    }

    #[test]
    fn basic_string_escapes() {
        let raw = r#""a\"b\u00e9c""#;
        let m = string_offsets(raw, "a\"béc").unwrap();
        assert_eq!(m[0], 1); // a
        assert_eq!(m[1], 2); // \"
        assert_eq!(m[2], 4); // b
        assert_eq!(m[3], 5); // é (2 bytes, both at the escape)
        assert_eq!(m[4], 5);
        assert_eq!(m[5], 11); // c
        assert_eq!(m[6], 12); // end
    }

    #[test]
    fn literal_and_multiline() {
        assert_eq!(string_offsets("'a\\b'", "a\\b").unwrap(), vec![1, 2, 3, 4]);
        let m = string_offsets("\"\"\"\nab \\\n   c\"\"\"", "ab c").unwrap();
        assert_eq!(m, vec![4, 5, 6, 12, 13]);
        assert_eq!(string_offsets("'''\nx'''", "x").unwrap(), vec![4, 5]);
        assert!(string_offsets("'x'", "y").is_none());
    }
}
