//! Merge's list envelope and `cursor` / `page_size` parameters.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::extract::RawQuery;

pub const DEFAULT_PAGE_SIZE: usize = 30;
pub const MAX_PAGE_SIZE: usize = 100;

/// `{"next": cursor|null, "previous": cursor|null, "results": [...]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<T>,
}

/// Position-based paging over a list whose order is fixed (the integration catalogue).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetPage {
    pub offset: usize,
    pub size: usize,
}

fn encode(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("o={offset}"))
}

/// Offsets beyond any list Joinery pages this way; larger ones are forged cursors.
const MAX_OFFSET: usize = 1 << 32;

fn decode(cursor: &str) -> Option<usize> {
    let raw = URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
    let offset: usize = std::str::from_utf8(&raw).ok()?.strip_prefix("o=")?.parse().ok()?;
    (offset <= MAX_OFFSET).then_some(offset)
}

/// Reads `page_size` (default 30; larger values are capped at 100, as DRF does) and `cursor`.
pub fn page_size(query: &RawQuery) -> Result<usize, ApiError> {
    match query.get("page_size") {
        None | Some("") => Ok(DEFAULT_PAGE_SIZE),
        Some(raw) => match raw.trim().parse::<usize>() {
            Ok(0) | Err(_) => Err(ApiError::field("page_size", "A valid positive integer is required.")),
            Ok(n) => Ok(n.min(MAX_PAGE_SIZE)),
        },
    }
}

impl OffsetPage {
    pub fn from_query(query: &RawQuery) -> Result<Self, ApiError> {
        let size = page_size(query)?;
        let offset = match query.get("cursor") {
            None | Some("") => 0,
            Some(c) => decode(c).ok_or_else(|| ApiError::field("cursor", "Invalid cursor."))?,
        };
        Ok(Self { offset, size })
    }

    /// Cuts one page out of `items`, with cursors to its neighbours.
    pub fn apply<T: ToSchema>(self, items: Vec<T>) -> Page<T> {
        let total = items.len();
        let next = (self.offset + self.size < total).then(|| encode(self.offset + self.size));
        let previous = (self.offset > 0).then(|| encode(self.offset.saturating_sub(self.size)));
        let results = items.into_iter().skip(self.offset).take(self.size).collect();
        Page { next, previous, results }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> RawQuery {
        RawQuery(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn walks_forward_and_back() {
        let first = OffsetPage::from_query(&q(&[("page_size", "2")])).unwrap().apply((0..5).collect::<Vec<u8>>());
        assert_eq!(first.results, vec![0, 1]);
        assert!(first.previous.is_none());
        let next = first.next.unwrap();
        let second = OffsetPage::from_query(&q(&[("page_size", "2"), ("cursor", &next)]))
            .unwrap()
            .apply((0..5).collect::<Vec<u8>>());
        assert_eq!(second.results, vec![2, 3]);
        let prev = second.previous.unwrap();
        assert_eq!(decode(&prev), Some(0));
        let last = OffsetPage { offset: 4, size: 2 }.apply((0..5).collect::<Vec<u8>>());
        assert_eq!((last.results, last.next), (vec![4], None));
    }

    #[test]
    fn bad_parameters_are_named() {
        assert!(OffsetPage::from_query(&q(&[("page_size", "0")])).is_err());
        assert!(OffsetPage::from_query(&q(&[("page_size", "x")])).is_err());
        assert!(OffsetPage::from_query(&q(&[("cursor", "!!!")])).is_err());
        let forged = URL_SAFE_NO_PAD.encode(format!("o={}", usize::MAX - 4));
        assert!(OffsetPage::from_query(&q(&[("cursor", &forged)])).is_err());
        // A cursor past the end is an empty last page.
        let past = OffsetPage::from_query(&q(&[("cursor", &encode(1000))])).unwrap().apply(vec![1u8, 2]);
        assert!(past.results.is_empty() && past.next.is_none());
        assert_eq!(OffsetPage::from_query(&q(&[("page_size", "1000")])).unwrap().size, MAX_PAGE_SIZE);
    }
}
