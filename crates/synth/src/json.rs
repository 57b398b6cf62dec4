//! A minimal, allocation-light JSON object writer for event lines.
//!
//! Building a `serde_json::Value` per event costs a map node and a key string per field;
//! the generator writes tens of millions of lines, so it writes the text directly. Every
//! string goes through [`escape_into`], and the tests parse every line with `serde_json`.

use std::fmt::{self, Write as _};

/// One JSON object being written; nested objects and arrays are opened and closed in order.
#[derive(Debug)]
pub(crate) struct Line {
    s: String,
    comma: bool,
    /// The event time of the line being written (set by whoever starts the event).
    pub(crate) at: i64,
}

/// Appends `v` as a JSON string literal (quotes included).
pub(crate) fn escape_into(s: &mut String, v: &str) {
    s.push('"');
    escape_raw(s, v);
    s.push('"');
}

fn escape_raw(s: &mut String, v: &str) {
    if !v.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        s.push_str(v);
        return;
    }
    for c in v.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(s, "\\u{:04x}", c as u32);
            }
            c => s.push(c),
        }
    }
}

/// Escapes whatever `format_args!` produces, so formatted values can never break the line.
struct Esc<'a>(&'a mut String);

impl fmt::Write for Esc<'_> {
    fn write_str(&mut self, v: &str) -> fmt::Result {
        escape_raw(self.0, v);
        Ok(())
    }
}

impl Line {
    /// Starts an object in a recycled buffer.
    pub(crate) fn new(mut s: String) -> Self {
        s.clear();
        s.push('{');
        Line {
            s,
            comma: false,
            at: 0,
        }
    }

    fn sep(&mut self) {
        if self.comma {
            self.s.push(',');
        }
        self.comma = true;
    }

    fn key(&mut self, k: &str) {
        self.sep();
        self.s.push('"');
        self.s.push_str(k);
        self.s.push_str("\":");
    }

    pub(crate) fn str(&mut self, k: &str, v: &str) {
        self.key(k);
        escape_into(&mut self.s, v);
    }

    pub(crate) fn fmt(&mut self, k: &str, args: fmt::Arguments<'_>) {
        self.key(k);
        self.s.push('"');
        let _ = Esc(&mut self.s).write_fmt(args);
        self.s.push('"');
    }

    pub(crate) fn disp(&mut self, k: &str, v: &dyn fmt::Display) {
        self.fmt(k, format_args!("{v}"));
    }

    pub(crate) fn int(&mut self, k: &str, v: i64) {
        self.key(k);
        let _ = write!(self.s, "{v}");
    }

    pub(crate) fn bool(&mut self, k: &str, v: bool) {
        self.key(k);
        self.s.push_str(if v { "true" } else { "false" });
    }

    pub(crate) fn null(&mut self, k: &str) {
        self.key(k);
        self.s.push_str("null");
    }

    pub(crate) fn ts(&mut self, k: &str, ts: i64) {
        self.key(k);
        self.s.push('"');
        crate::clock::push_ts(&mut self.s, ts);
        self.s.push('"');
    }

    pub(crate) fn begin_obj(&mut self, k: &str) {
        self.key(k);
        self.s.push('{');
        self.comma = false;
    }

    pub(crate) fn end_obj(&mut self) {
        self.s.push('}');
        self.comma = true;
    }

    pub(crate) fn begin_arr(&mut self, k: &str) {
        self.key(k);
        self.s.push('[');
        self.comma = false;
    }

    pub(crate) fn end_arr(&mut self) {
        self.s.push(']');
        self.comma = true;
    }

    /// Opens an object as the next element of the current array.
    pub(crate) fn elem_obj(&mut self) {
        self.sep();
        self.s.push('{');
        self.comma = false;
    }

    pub(crate) fn elem_str(&mut self, v: &str) {
        self.sep();
        escape_into(&mut self.s, v);
    }

    pub(crate) fn elem_fmt(&mut self, args: fmt::Arguments<'_>) {
        self.sep();
        self.s.push('"');
        let _ = Esc(&mut self.s).write_fmt(args);
        self.s.push('"');
    }

    /// Closes the top-level object and hands back the text.
    pub(crate) fn finish(mut self) -> String {
        self.s.push('}');
        self.s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_nests() {
        let mut j = Line::new(String::from("junk"));
        j.str("a", "q\"uo\\te\n\u{1}•");
        j.fmt("b", format_args!("x{}y", "\""));
        j.begin_arr("c");
        j.elem_obj();
        j.int("n", -3);
        j.end_obj();
        j.elem_str("s");
        j.end_arr();
        j.begin_obj("d");
        j.null("z");
        j.bool("t", true);
        j.end_obj();
        j.ts("ts", 0);
        let s = j.finish();
        assert_eq!(
            s,
            r#"{"a":"q\"uo\\te\n\u0001•","b":"x\"y","c":[{"n":-3},"s"],"d":{"z":null,"t":true},"ts":"1970-01-01T00:00:00Z"}"#
        );
        let v: serde_json::Value = serde_json::from_str(&s).unwrap_or_default();
        assert!(v.is_object());
    }
}
