//! Finding where JSON values end, without building them: the sync splits a provider's large
//! array into its elements as the bytes arrive (each element is then parsed from its own slice),
//! and the read API splices stored objects member by member instead of parsing them into maps.
//!
//! The scanner tracks strings and nesting only; it does not validate. Callers either parse what
//! it delimits (the sync, with serde_json) or scan text Joinery wrote itself (stored rows).

use memchr::memchr2;

/// Where one JSON value ends, fed in pieces: the state survives between calls to
/// [`ValueEnd::scan`], so a value may span any number of network chunks.
#[derive(Debug, Clone, Default)]
pub struct ValueEnd {
    started: bool,
    /// A number, `true`, `false` or `null`: it ends at the first delimiter after it.
    scalar: bool,
    depth: u32,
    in_string: bool,
    escaped: bool,
    whitespace: bool,
}

/// What [`ValueEnd::scan`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// The value ends after this many bytes of the slice just scanned.
    End(usize),
    /// The slice ended inside the value.
    More,
    /// A `}` or `]` closed nothing, or the value started with one.
    Invalid(usize),
}

impl ValueEnd {
    /// Scans the next piece of the value (leading whitespace before it is skipped).
    pub fn scan(&mut self, bytes: &[u8]) -> Scan {
        let mut i = 0;
        while i < bytes.len() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                match memchr2(b'"', b'\\', &bytes[i..]) {
                    None => return Scan::More,
                    Some(k) => {
                        i += k;
                        if bytes[i] == b'\\' {
                            self.escaped = true;
                        } else {
                            self.in_string = false;
                            if self.depth == 0 {
                                return Scan::End(i + 1);
                            }
                        }
                        i += 1;
                    }
                }
                continue;
            }
            let b = bytes[i];
            if !self.started {
                match b {
                    b' ' | b'\n' | b'\r' | b'\t' => {}
                    b'"' => {
                        self.started = true;
                        self.in_string = true;
                    }
                    b'{' | b'[' => {
                        self.started = true;
                        self.depth = 1;
                    }
                    b'}' | b']' => return Scan::Invalid(i),
                    _ => {
                        self.started = true;
                        self.scalar = true;
                    }
                }
                i += 1;
                continue;
            }
            if self.scalar {
                if matches!(b, b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t') {
                    return Scan::End(i);
                }
                i += 1;
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        return Scan::End(i + 1);
                    }
                }
                b' ' | b'\n' | b'\r' | b'\t' => self.whitespace = true,
                _ => {}
            }
            i += 1;
        }
        Scan::More
    }

    /// Whether the input ended right after a complete value: only a scalar can end without a
    /// delimiter (`[1` is truncated, `1` is whole).
    pub fn complete_at_end(&self) -> bool {
        self.started && self.scalar
    }

    /// Whether whitespace appeared outside strings inside the value (so [`minify`] changes it).
    pub fn saw_whitespace(&self) -> bool {
        self.whitespace
    }
}

/// The value with insignificant whitespace (outside strings) removed.
pub fn minify(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let (mut in_string, mut escaped) = (false, false);
    for &b in value {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
            continue;
        }
        out.push(b);
    }
    out
}

fn skip_whitespace(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\n' | b'\r' | b'\t') {
        i += 1;
    }
    i
}

/// Where the string starting (with its quote) at `start` ends, just after its closing quote.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        i += memchr2(b'"', b'\\', bytes.get(i..)?)?;
        if bytes[i] == b'"' {
            return Some(i + 1);
        }
        i += 2;
    }
}

/// Where the value starting at `start` ends in complete text: the common short values (strings,
/// literals, numbers) directly, nested ones with [`ValueEnd`].
fn value_end(bytes: &[u8], start: usize) -> Option<usize> {
    match *bytes.get(start)? {
        b'"' => string_end(bytes, start),
        b'n' | b't' => (bytes.len() >= start + 4).then_some(start + 4),
        b'f' => (bytes.len() >= start + 5).then_some(start + 5),
        b'-' | b'0'..=b'9' => {
            let digits = bytes[start + 1..]
                .iter()
                .position(|b| !matches!(b, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'))
                .unwrap_or(bytes.len() - start - 1);
            Some(start + 1 + digits)
        }
        _ => {
            let mut value = ValueEnd::default();
            match value.scan(&bytes[start..]) {
                Scan::End(n) => Some(start + n),
                _ => None,
            }
        }
    }
}

/// The members of a JSON object's text, in order: (the key as written between its quotes, the
/// value's text). Iteration stops at the end of the object, or early at anything that is not a
/// well-formed object.
pub fn members(object: &str) -> Members<'_> {
    let bytes = object.as_bytes();
    let start = skip_whitespace(bytes, 0);
    let pos = if bytes.get(start) == Some(&b'{') { start + 1 } else { bytes.len() };
    Members { text: object, pos, first: true }
}

/// See [`members`].
#[derive(Debug, Clone)]
pub struct Members<'a> {
    text: &'a str,
    pos: usize,
    first: bool,
}

impl<'a> Members<'a> {
    /// The next member's value when its key is `key`, written compactly (`"key":`, no
    /// whitespace around it, as Joinery writes objects); `None`, consuming nothing, otherwise.
    /// Cheaper than [`Iterator::next`]: the key is compared in place, not scanned for.
    pub fn next_if_key(&mut self, key: &str) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        let mut i = self.pos;
        if !self.first {
            if bytes.get(i) != Some(&b',') {
                return None;
            }
            i += 1;
        }
        let key_end = i + 1 + key.len();
        if bytes.get(i) != Some(&b'"')
            || bytes.get(i + 1..key_end) != Some(key.as_bytes())
            || bytes.get(key_end..key_end + 2) != Some(&b"\":"[..])
        {
            return None;
        }
        let start = key_end + 2;
        let end = value_end(bytes, start)?;
        self.pos = end;
        self.first = false;
        Some(&self.text[start..end])
    }
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.text.as_bytes();
        let stop = |m: &mut Self| {
            m.pos = bytes.len();
            None
        };
        let mut i = skip_whitespace(bytes, self.pos);
        if !std::mem::take(&mut self.first) {
            if bytes.get(i) != Some(&b',') {
                return stop(self);
            }
            i = skip_whitespace(bytes, i + 1);
        }
        if bytes.get(i) != Some(&b'"') {
            return stop(self);
        }
        let Some(key_end) = string_end(bytes, i) else { return stop(self) };
        let key_text = &self.text[i + 1..key_end - 1];
        i = skip_whitespace(bytes, key_end);
        if bytes.get(i) != Some(&b':') {
            return stop(self);
        }
        i = skip_whitespace(bytes, i + 1);
        let Some(end) = value_end(bytes, i) else { return stop(self) };
        let value_text = &self.text[i..end];
        self.pos = end;
        Some((key_text, value_text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end_of(text: &str) -> Scan {
        ValueEnd::default().scan(text.as_bytes())
    }

    #[test]
    fn members_are_taken_by_key_when_written_compactly() {
        let text = r#"{"a":"x\"y","b":[1,{"c":2}],"d":null}"#;
        let mut members = members(text);
        assert_eq!(members.next_if_key("b"), None, "not the next key: nothing consumed");
        assert_eq!(members.next_if_key("a"), Some(r#""x\"y""#));
        assert_eq!(members.next_if_key("bb"), None);
        assert_eq!(members.next_if_key("b"), Some(r#"[1,{"c":2}]"#));
        assert_eq!(members.next(), Some(("d", "null")));
        assert_eq!(members.next_if_key("d"), None);
        let mut spaced = super::members(r#"{ "a": 1}"#);
        assert_eq!(spaced.next_if_key("a"), None, "whitespace: the caller scans instead");
        assert_eq!(spaced.next(), Some(("a", "1")));
        assert_eq!(super::members(r#"{"a":"unterminated}"#).next_if_key("a"), None);
    }

    #[test]
    fn values_end_where_json_says() {
        assert_eq!(end_of(r#"{"a":[1,{"b":"}"}],"c":"x\"y"}, 2"#), Scan::End(30));
        assert_eq!(end_of(r#"  "a\\" , 1"#), Scan::End(7));
        assert_eq!(end_of("123,"), Scan::End(3));
        assert_eq!(end_of("true]"), Scan::End(4));
        assert_eq!(end_of(r#"[1, 2"#), Scan::More);
        assert_eq!(end_of("]"), Scan::Invalid(0));
        let mut scalar = ValueEnd::default();
        assert_eq!(scalar.scan(b"12"), Scan::More);
        assert!(scalar.complete_at_end());
    }

    #[test]
    fn a_value_may_arrive_in_pieces_split_anywhere() {
        let text = r#" {"name":"a \"quoted\" \\ value","list":[1, 2, {"x":null}]} ,"#;
        for split in 0..text.len() {
            let mut scan = ValueEnd::default();
            let (a, b) = text.as_bytes().split_at(split);
            let end = match scan.scan(a) {
                Scan::End(n) => n,
                Scan::More => match scan.scan(b) {
                    Scan::End(n) => split + n,
                    other => panic!("split {split}: {other:?}"),
                },
                other => panic!("split {split}: {other:?}"),
            };
            assert_eq!(&text[end..], " ,", "split at {split}");
            assert!(scan.saw_whitespace());
        }
    }

    #[test]
    fn minify_keeps_strings_intact() {
        assert_eq!(minify(br#"{ "a b" : [ 1 , "x \" y" ] }"#), br#"{"a b":[1,"x \" y"]}"#.to_vec());
    }

    #[test]
    fn members_are_listed_in_order_with_raw_values() {
        let text = r#"{"a":1,"b":{"c":[1,2]}, "d" : "x,}", "e":null,"f":-1.5e3}"#;
        let got: Vec<_> = members(text).collect();
        assert_eq!(got, vec![("a", "1"), ("b", r#"{"c":[1,2]}"#), ("d", r#""x,}""#), ("e", "null"), ("f", "-1.5e3")]);
        assert_eq!(members("{}").count(), 0);
        assert_eq!(members("[1]").count(), 0);
        assert_eq!(members(r#"{"a":1 "b":2}"#).count(), 1, "stops at what is not an object");
    }
}
