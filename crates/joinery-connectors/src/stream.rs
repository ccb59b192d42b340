//! Reading a large JSON array from a provider response as it arrives, in batches, so a sync of a
//! company with 100,000 employees never holds the whole answer (BambooHR's custom report and
//! table endpoints answer everything at once).
//!
//! A task pulls the body's chunks and splits the array into its elements as they complete
//! ([`json_text::ValueEnd`] finds where each ends, across chunk boundaries); each element is
//! parsed from its own bytes, which are also kept as the record's raw payload. Memory holds a
//! few batches and the unparsed tail of one chunk, and a slow consumer slows the download
//! instead of buffering it.

use std::ops::Range;

use joinery_domain::json_text::{self, Scan, ValueEnd};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::{AccountHttp, RawJson, SyncError};

/// One element of a streamed array: parsed, and as JSON text.
#[derive(Debug, Clone)]
pub struct Element<T> {
    pub value: T,
    pub raw: RawJson,
}

/// Batches of the elements of one JSON array in a response body, as `I`: [`Element`]s
/// ([`AccountHttp::json_batches`]) or parsed values alone ([`AccountHttp::json_values`]).
pub struct JsonBatches<I> {
    rx: mpsc::Receiver<Vec<I>>,
    parser: Option<JoinHandle<Result<(), SyncError>>>,
}

impl<I> JsonBatches<I> {
    /// The next batch, `None` once the array ended and the body was valid to its end.
    pub async fn next(&mut self) -> Result<Option<Vec<I>>, SyncError> {
        if let Some(batch) = self.rx.recv().await {
            return Ok(Some(batch));
        }
        match self.parser.take() {
            None => Ok(None),
            Some(parser) => match parser.await {
                Ok(result) => result.map(|()| None),
                Err(error) => Err(SyncError::Protocol(format!("parsing a provider response failed: {error}"))),
            },
        }
    }
}

impl<T> Drop for JsonBatches<T> {
    /// A reader that stops early stops the download too.
    fn drop(&mut self) {
        if let Some(parser) = &self.parser {
            parser.abort();
        }
    }
}

impl AccountHttp {
    /// Streams the elements of the JSON array at `member` of the body's top-level object (or the
    /// body itself when `member` is None) in batches of `batch` elements, each with its JSON
    /// text (what records keep as `remote_data`). A missing or `null` member is an empty array.
    /// Errors are reported like [`AccountHttp::json`]'s: the position of bad JSON, never its
    /// content.
    pub fn json_batches<T: DeserializeOwned + Send + 'static>(
        &self,
        response: reqwest::Response,
        member: Option<&'static str>,
        batch: usize,
    ) -> JsonBatches<Element<T>> {
        self.stream(response, member, batch, |value, raw| Element { value, raw: raw.unwrap_or_else(RawJson::null) })
    }

    /// [`json_batches`](Self::json_batches) without the elements' text, for answers that only
    /// feed other records (nothing of them is kept).
    pub fn json_values<T: DeserializeOwned + Send + 'static>(
        &self,
        response: reqwest::Response,
        member: Option<&'static str>,
        batch: usize,
    ) -> JsonBatches<T> {
        self.stream(response, member, batch, |value, _| value)
    }

    /// The parser task: `item` makes what is sent of each element's value and text (the text is
    /// copied only when `item` is a function that takes it, see [`Keep`]).
    fn stream<T: DeserializeOwned + Send + 'static, I: Keep<T> + Send + 'static>(
        &self,
        mut response: reqwest::Response,
        member: Option<&'static str>,
        batch: usize,
        item: fn(T, Option<RawJson>) -> I,
    ) -> JsonBatches<I> {
        let keep_raw = I::KEEPS_TEXT;
        let (tx, rx) = mpsc::channel(2);
        let name = self.name();
        let status = response.status().as_u16();
        let batch = batch.max(1);
        let parser = tokio::spawn(async move {
            let bad = |e: Bad| crate::http::bad_json_at(name, status, e.what, e.line, e.column);
            let mut splitter = Splitter::new(member);
            let mut elements = Vec::with_capacity(batch);
            loop {
                let chunk = match response.chunk().await {
                    Ok(Some(chunk)) => chunk,
                    Ok(None) => break,
                    Err(error) => {
                        tracing::warn!(provider = name, error = %error.without_url(), "a provider response ended early");
                        return Err(SyncError::Unavailable(format!(
                            "{name} closed the connection while answering. Try again later."
                        )));
                    }
                };
                splitter.push(&chunk);
                while let Some(found) = splitter.next_element().map_err(bad)? {
                    let bytes = &splitter.buf[found.range.clone()];
                    let value = serde_json::from_slice::<T>(bytes).map_err(|error| {
                        let (line, column) = splitter.position(found.range.start, &error);
                        let what = match error.classify() {
                            serde_json::error::Category::Data => DATA,
                            _ => SYNTAX,
                        };
                        bad(Bad { what, line, column })
                    })?;
                    let raw = if keep_raw {
                        let text = if found.whitespace { json_text::minify(bytes) } else { bytes.to_vec() };
                        // serde_json just parsed these bytes (from valid UTF-8 JSON), so this holds.
                        let Ok(text) = String::from_utf8(text) else {
                            let (line, column) = splitter.line_column(found.range.start);
                            return Err(bad(Bad { what: SYNTAX, line, column }));
                        };
                        Some(RawJson::checked(text))
                    } else {
                        None
                    };
                    elements.push(item(value, raw));
                    if elements.len() >= batch && tx.send(std::mem::take(&mut elements)).await.is_err() {
                        // The reader went away: nothing more to do.
                        return Ok(());
                    }
                }
                splitter.compact();
            }
            splitter.finish().map_err(bad)?;
            if !elements.is_empty() {
                let _ = tx.send(elements).await;
            }
            Ok(())
        });
        JsonBatches { rx, parser: Some(parser) }
    }
}

/// Whether a stream's items keep their elements' text.
pub trait Keep<T> {
    const KEEPS_TEXT: bool;
}

impl<T> Keep<T> for Element<T> {
    const KEEPS_TEXT: bool = true;
}

impl<T: DeserializeOwned> Keep<T> for T {
    const KEEPS_TEXT: bool = false;
}

const DATA: &str = "JSON of an unexpected shape";
const SYNTAX: &str = "invalid JSON";
const EOF: &str = "truncated JSON";

/// What is wrong with the body, and where.
#[derive(Debug, PartialEq, Eq)]
struct Bad {
    what: &'static str,
    line: usize,
    column: usize,
}

/// Where the splitter is in the body's structure.
#[derive(Debug)]
enum Phase {
    /// Before the top-level value.
    Start,
    /// In the top-level object: before a key (or `}` when `first`).
    Key { first: bool },
    /// After a key: the `:`; `target` when the key is the streamed member.
    Colon { target: bool },
    /// Before a member's value.
    Value { target: bool },
    /// Inside a member's value that is not streamed.
    Skip(ValueEnd),
    /// After a member's value: `,` or `}`.
    AfterMember,
    /// In the streamed array: before an element (or `]` when `first`).
    Element { first: bool },
    /// Inside an element that starts at `start` in the buffer.
    InElement { start: usize, scan: ValueEnd },
    /// After an element: `,` or `]`.
    AfterElement,
    /// After the top-level value: only whitespace may follow.
    Done,
}

/// A complete element in the buffer.
struct Found {
    range: Range<usize>,
    whitespace: bool,
}

/// Splits a body into the elements of its array as chunks arrive.
struct Splitter {
    member: Option<&'static str>,
    /// Bytes not yet consumed (an element in progress stays whole).
    buf: Vec<u8>,
    /// The next byte to look at.
    pos: usize,
    phase: Phase,
    /// Line (1-based) and column (0-based) at the start of `buf`.
    line: usize,
    column: usize,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

impl Splitter {
    fn new(member: Option<&'static str>) -> Self {
        Splitter { member, buf: Vec::new(), pos: 0, phase: Phase::Start, line: 1, column: 0 }
    }

    fn push(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
    }

    /// Drops consumed bytes, keeping an element in progress.
    fn compact(&mut self) {
        let keep = match &self.phase {
            Phase::InElement { start, .. } => *start,
            _ => self.pos,
        };
        if keep == 0 {
            return;
        }
        let (line, column) = self.line_column(keep);
        (self.line, self.column) = (line, column);
        self.buf.drain(..keep);
        self.pos -= keep;
        if let Phase::InElement { start, .. } = &mut self.phase {
            *start -= keep;
        }
    }

    /// Line and column (1-based, as serde_json counts) of buffer offset `at`.
    fn line_column(&self, at: usize) -> (usize, usize) {
        let before = &self.buf[..at];
        let newlines = memchr::memchr_iter(b'\n', before).count();
        match memchr::memrchr(b'\n', before) {
            Some(last) => (self.line + newlines, at - last - 1),
            None => (self.line, self.column + at),
        }
    }

    /// Where serde_json's error inside the element starting at `start` is in the body.
    fn position(&self, start: usize, error: &serde_json::Error) -> (usize, usize) {
        let (line, column) = self.line_column(start);
        if error.line() <= 1 { (line, column + error.column()) } else { (line + error.line() - 1, error.column()) }
    }

    fn bad(&self, what: &'static str, at: usize) -> Bad {
        let (line, column) = self.line_column(at);
        Bad { what, line, column: column + 1 }
    }

    /// The next non-whitespace byte at or after `pos` (moving `pos` to it), if it arrived.
    fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.buf.get(self.pos) {
            if !is_space(b) {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    /// Whether `null` is at `pos`: `None` until enough bytes arrived to tell.
    fn null_at_pos(&self) -> Option<bool> {
        let rest = &self.buf[self.pos..];
        let n = rest.len().min(4);
        if rest[..n] != b"null"[..n] {
            return Some(false);
        }
        (n == 4).then_some(true)
    }

    /// The next complete element of the streamed array, `None` when more bytes are needed.
    fn next_element(&mut self) -> Result<Option<Found>, Bad> {
        loop {
            match &mut self.phase {
                Phase::Start => {
                    let Some(b) = self.peek() else { return Ok(None) };
                    match (self.member, b) {
                        (Some(_), b'{') => {
                            self.pos += 1;
                            self.phase = Phase::Key { first: true };
                        }
                        (None, b'[') => {
                            self.pos += 1;
                            self.phase = Phase::Element { first: true };
                        }
                        (None, b'n') => match self.null_at_pos() {
                            None => return Ok(None),
                            Some(true) => {
                                self.pos += 4;
                                self.phase = Phase::Done;
                            }
                            Some(false) => return Err(self.bad(SYNTAX, self.pos)),
                        },
                        _ => return Err(self.bad(DATA, self.pos)),
                    }
                }
                Phase::Key { first } => {
                    let first = *first;
                    let Some(b) = self.peek() else { return Ok(None) };
                    match b {
                        b'}' if first => {
                            self.pos += 1;
                            self.phase = Phase::Done;
                        }
                        b'"' => {
                            let mut key = ValueEnd::default();
                            let Scan::End(n) = key.scan(&self.buf[self.pos..]) else { return Ok(None) };
                            let raw = &self.buf[self.pos..self.pos + n];
                            let target = match self.member {
                                Some(member) if raw.contains(&b'\\') => {
                                    serde_json::from_slice::<String>(raw).is_ok_and(|k| k == member)
                                }
                                Some(member) => &raw[1..n - 1] == member.as_bytes(),
                                None => false,
                            };
                            self.pos += n;
                            self.phase = Phase::Colon { target };
                        }
                        _ => return Err(self.bad(SYNTAX, self.pos)),
                    }
                }
                Phase::Colon { target } => {
                    let target = *target;
                    let Some(b) = self.peek() else { return Ok(None) };
                    if b != b':' {
                        return Err(self.bad(SYNTAX, self.pos));
                    }
                    self.pos += 1;
                    self.phase = Phase::Value { target };
                }
                Phase::Value { target } => {
                    let target = *target;
                    let Some(b) = self.peek() else { return Ok(None) };
                    if !target {
                        self.phase = Phase::Skip(ValueEnd::default());
                        continue;
                    }
                    match b {
                        b'[' => {
                            self.pos += 1;
                            self.phase = Phase::Element { first: true };
                        }
                        b'n' => match self.null_at_pos() {
                            None => return Ok(None),
                            Some(true) => {
                                self.pos += 4;
                                self.phase = Phase::AfterMember;
                            }
                            Some(false) => return Err(self.bad(SYNTAX, self.pos)),
                        },
                        _ => return Err(self.bad(DATA, self.pos)),
                    }
                }
                Phase::Skip(scan) => match scan.scan(&self.buf[self.pos..]) {
                    Scan::End(n) => {
                        self.pos += n;
                        self.phase = Phase::AfterMember;
                    }
                    Scan::More => {
                        self.pos = self.buf.len();
                        return Ok(None);
                    }
                    Scan::Invalid(n) => return Err(self.bad(SYNTAX, self.pos + n)),
                },
                Phase::AfterMember => {
                    let Some(b) = self.peek() else { return Ok(None) };
                    self.pos += 1;
                    self.phase = match b {
                        b',' => Phase::Key { first: false },
                        b'}' => Phase::Done,
                        _ => return Err(self.bad(SYNTAX, self.pos - 1)),
                    };
                }
                Phase::Element { first } => {
                    let first = *first;
                    let Some(b) = self.peek() else { return Ok(None) };
                    if b == b']' && first {
                        self.pos += 1;
                        self.phase = if self.member.is_some() { Phase::AfterMember } else { Phase::Done };
                    } else {
                        self.phase = Phase::InElement { start: self.pos, scan: ValueEnd::default() };
                    }
                }
                Phase::InElement { start, scan } => match scan.scan(&self.buf[self.pos..]) {
                    Scan::End(n) => {
                        let found = Found { range: *start..self.pos + n, whitespace: scan.saw_whitespace() };
                        self.pos += n;
                        self.phase = Phase::AfterElement;
                        return Ok(Some(found));
                    }
                    Scan::More => {
                        self.pos = self.buf.len();
                        return Ok(None);
                    }
                    Scan::Invalid(n) => return Err(self.bad(SYNTAX, self.pos + n)),
                },
                Phase::AfterElement => {
                    let Some(b) = self.peek() else { return Ok(None) };
                    self.pos += 1;
                    self.phase = match b {
                        b',' => Phase::Element { first: false },
                        b']' if self.member.is_some() => Phase::AfterMember,
                        b']' => Phase::Done,
                        _ => return Err(self.bad(SYNTAX, self.pos - 1)),
                    };
                }
                Phase::Done => {
                    return match self.peek() {
                        None => Ok(None),
                        Some(_) => Err(self.bad(SYNTAX, self.pos)),
                    };
                }
            }
        }
    }

    /// At the end of the body: the top-level value must be complete.
    fn finish(&mut self) -> Result<(), Bad> {
        match self.phase {
            Phase::Done => Ok(()),
            _ => Err(self.bad(EOF, self.buf.len())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProviderHttp;
    use std::collections::HashMap;

    async fn serve(body: &'static str) -> String {
        let app = axum::Router::new().route("/", axum::routing::get(move || async move { body }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/")
    }

    async fn collect(
        body: &'static str,
        member: Option<&'static str>,
        batch: usize,
    ) -> Result<Vec<Vec<u32>>, SyncError> {
        let url = serve(body).await;
        let http = ProviderHttp::new(HashMap::new()).for_account("test", "Test", None);
        let response = http.send(|c| c.get(&url)).await.unwrap();
        let mut batches = http.json_batches::<u32>(response, member, batch);
        let mut out = Vec::new();
        while let Some(b) = batches.next().await? {
            out.push(b.into_iter().map(|e| e.value).collect());
        }
        Ok(out)
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn streams_a_member_in_batches_and_skips_the_rest() {
        let body = r#"{"fields":[{"id":"x","a":[1,2]}],"employees":[1,2,3,4,5],"after":{"k":[9]}}"#;
        assert_eq!(collect(body, Some("employees"), 2).await.unwrap(), vec![vec![1, 2], vec![3, 4], vec![5]]);
        assert_eq!(collect("[7,8]", None, 10).await.unwrap(), vec![vec![7, 8]]);
        assert_eq!(collect(r#"{"employees":null}"#, Some("employees"), 2).await.unwrap(), Vec::<Vec<u32>>::new());
        assert_eq!(collect(r#"{"other":1}"#, Some("employees"), 2).await.unwrap(), Vec::<Vec<u32>>::new());
        assert_eq!(collect(" null ", None, 2).await.unwrap(), Vec::<Vec<u32>>::new());
        assert_eq!(collect(r#"{"empl\u006fyees":[3]}"#, Some("employees"), 2).await.unwrap(), vec![vec![3]]);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn bad_json_is_a_protocol_error_naming_the_position_only() {
        let err = collect(r#"{"employees":[1,"secret-value"]}"#, Some("employees"), 10).await.unwrap_err();
        assert!(
            matches!(&err, SyncError::Protocol(m) if m.contains("unexpected shape") && !m.contains("secret")),
            "{err:?}"
        );
        let err = collect(r#"{"employees":[1,2"#, Some("employees"), 10).await.unwrap_err();
        assert!(matches!(&err, SyncError::Protocol(m) if m.contains("truncated")), "{err:?}");
        let err = collect(r#"[1] trailing"#, None, 10).await.unwrap_err();
        assert!(matches!(err, SyncError::Protocol(_)), "{err:?}");
        let err = collect(r#"{"employees":{"a":1}}"#, Some("employees"), 10).await.unwrap_err();
        assert!(matches!(&err, SyncError::Protocol(m) if m.contains("unexpected shape")), "{err:?}");
        let err = collect("[1,]", None, 10).await.unwrap_err();
        assert!(matches!(&err, SyncError::Protocol(m) if m.contains("invalid JSON")), "{err:?}");
        let err = collect("", None, 10).await.unwrap_err();
        assert!(matches!(&err, SyncError::Protocol(m) if m.contains("truncated")), "{err:?}");
    }

    /// Splits `body` fed in pieces of `step` bytes, as the parser task does.
    fn split(body: &str, member: Option<&'static str>, step: usize) -> Result<Vec<String>, Bad> {
        let mut splitter = Splitter::new(member);
        let mut out = Vec::new();
        for chunk in body.as_bytes().chunks(step) {
            splitter.push(chunk);
            while let Some(found) = splitter.next_element()? {
                let bytes = &splitter.buf[found.range];
                let text = if found.whitespace { json_text::minify(bytes) } else { bytes.to_vec() };
                out.push(String::from_utf8(text).unwrap());
            }
            splitter.compact();
        }
        splitter.finish()?;
        Ok(out)
    }

    #[test]
    fn elements_split_the_same_whatever_the_chunks() {
        let body = "{\"title\":\"r\",\"fields\":[{\"id\":\"a]\"}],\n \"employees\" : [ {\"id\": \"1\", \"name\":\"A \\\"B\\\"\"} ,\n{\"id\":2,\"x\":[1, {\"y\":null}]}, 3, \"four\" ] , \"end\": true }\n";
        let expected = vec![r#"{"id":"1","name":"A \"B\""}"#, r#"{"id":2,"x":[1,{"y":null}]}"#, "3", r#""four""#];
        for step in 1..=body.len() {
            assert_eq!(split(body, Some("employees"), step).unwrap(), expected, "chunks of {step}");
        }
    }

    #[test]
    fn errors_name_a_position() {
        let bad = split("[1,\n  2 x]", None, 3).unwrap_err();
        assert_eq!(bad, Bad { what: SYNTAX, line: 2, column: 5 });
        assert_eq!(split("{\"a\":[", Some("a"), 2).unwrap_err().what, EOF);
        assert_eq!(split("[1]", Some("a"), 2).unwrap_err().what, DATA);
    }
}
