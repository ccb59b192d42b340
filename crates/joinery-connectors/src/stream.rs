//! Reading a large JSON array from a provider response as it arrives, in batches, so a sync of a
//! company with 100,000 employees never holds the whole answer (BambooHR's custom report and
//! table endpoints answer everything at once).
//!
//! serde_json parses from a blocking reader, so parsing runs on a blocking thread that pulls the
//! body's chunks from the runtime and hands batches back through a bounded channel: memory holds
//! a few batches and one network chunk, and a slow consumer slows the download instead of
//! buffering it.

use std::fmt;
use std::io::{self, BufReader, Read};
use std::marker::PhantomData;

use bytes::Bytes;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::{AccountHttp, SyncError};

/// Batches of the elements of one JSON array in a response body; see [`AccountHttp::json_batches`].
pub struct JsonBatches<T> {
    rx: mpsc::Receiver<Vec<T>>,
    parser: Option<JoinHandle<Result<(), SyncError>>>,
}

impl<T> JsonBatches<T> {
    /// The next batch, `None` once the array ended and the body was valid to its end.
    pub async fn next(&mut self) -> Result<Option<Vec<T>>, SyncError> {
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

/// Marks the consumer having gone away, which ends the parse without an error.
const STOPPED: &str = "joinery: the consumer stopped";

impl AccountHttp {
    /// Streams the elements of the JSON array at `member` of the body's top-level object (or the
    /// body itself when `member` is None) in batches of `batch` elements. A missing or `null`
    /// member is an empty array. Errors are reported like [`AccountHttp::json`]'s: the position
    /// of bad JSON, never its content.
    pub fn json_batches<T: DeserializeOwned + Send + 'static>(
        &self,
        response: reqwest::Response,
        member: Option<&'static str>,
        batch: usize,
    ) -> JsonBatches<T> {
        let (tx, rx) = mpsc::channel(2);
        let name = self.name();
        let status = response.status().as_u16();
        let body = BlockingBody { response, handle: Handle::current(), chunk: Bytes::new() };
        let parser = tokio::task::spawn_blocking(move || {
            let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(64 * 1024, body));
            let emit = Emit { tx, batch: batch.max(1), _t: PhantomData };
            let parsed = match member {
                None => de::Deserializer::deserialize_any(&mut de, ArrayVisitor(&emit)),
                Some(member) => de::Deserializer::deserialize_map(&mut de, MemberVisitor { emit: &emit, member }),
            };
            match parsed.and_then(|()| de.end()) {
                Ok(()) => Ok(()),
                Err(error) if error.to_string().starts_with(STOPPED) => Ok(()),
                Err(error) if error.is_io() => {
                    tracing::warn!(provider = name, "a provider response ended early");
                    Err(SyncError::Unavailable(format!(
                        "{name} closed the connection while answering. Try again later."
                    )))
                }
                Err(error) => Err(crate::http::bad_json(name, status, &error)),
            }
        });
        JsonBatches { rx, parser: Some(parser) }
    }
}

/// A response body as a blocking reader (only used on a blocking thread).
struct BlockingBody {
    response: reqwest::Response,
    handle: Handle,
    chunk: Bytes,
}

impl Read for BlockingBody {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.handle.block_on(self.response.chunk()) {
                Ok(Some(chunk)) => self.chunk = chunk,
                Ok(None) => return Ok(0),
                Err(error) => return Err(io::Error::other(error.without_url())),
            }
        }
        let n = out.len().min(self.chunk.len());
        out[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

struct Emit<T> {
    tx: mpsc::Sender<Vec<T>>,
    batch: usize,
    _t: PhantomData<fn() -> T>,
}

/// Visits the top-level object, streaming `member` and skipping everything else.
struct MemberVisitor<'a, T> {
    emit: &'a Emit<T>,
    member: &'static str,
}

impl<'de, T: DeserializeOwned> Visitor<'de> for MemberVisitor<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an object with an array member `{}`", self.member)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == self.member {
                map.next_value_seed(ArraySeed(self.emit))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct ArraySeed<'a, T>(&'a Emit<T>);

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for ArraySeed<'_, T> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(ArrayVisitor(self.0))
    }
}

struct ArrayVisitor<'a, T>(&'a Emit<T>);

impl<'de, T: DeserializeOwned> Visitor<'de> for ArrayVisitor<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let emit = self.0;
        loop {
            let mut batch = Vec::with_capacity(emit.batch);
            while batch.len() < emit.batch {
                match seq.next_element::<T>()? {
                    Some(element) => batch.push(element),
                    None => break,
                }
            }
            let last = batch.len() < emit.batch;
            if !batch.is_empty() && emit.tx.blocking_send(batch).is_err() {
                return Err(de::Error::custom(STOPPED));
            }
            if last {
                return Ok(());
            }
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
            out.push(b);
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
    }
}
