//! Synced common-model rows: written by the sync engine, read by the common-model API.
//!
//! One generic table serves every model: the normalized fields are a JSON object (text, in Merge's
//! field order, so responses are spliced rather than rebuilt). Filters on fields become JSON
//! expressions of each backend's dialect; field names come from the model catalogue, never from
//! requests.

use uuid::Uuid;

use crate::{Backend, BackendKind, Result, Storage, push_list, with_pool};

/// A row as the sync engine writes it.
#[derive(Debug, Clone)]
pub struct RowWrite {
    pub id: String,
    pub linked_account_id: Uuid,
    pub model: &'static str,
    pub remote_id: String,
    pub data: String,
    pub enum_origins: Option<String>,
    pub remote_data: Option<String>,
    pub content_hash: [u8; 32],
}

/// The stored hashes of a model's rows, by row id (ids are hashes themselves: a fast hasher).
pub type StoredHashes = foldhash::HashMap<Uuid, StoredHash>;

/// What a sync needs to know of a stored row to skip writing it unchanged. A sync holds one per
/// row of a model, so the hash is kept to its first 128 bits: a changed row passes for unchanged
/// with a chance of 2^-128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredHash {
    hash: [u8; 16],
    pub deleted: bool,
}

impl StoredHash {
    /// Whether a row of this content hash is stored, live, as it is.
    pub fn unchanged(&self, content_hash: &[u8; 32]) -> bool {
        !self.deleted && self.hash[..] == content_hash[..16]
    }
}

/// A row as the API reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRow {
    pub id: String,
    /// The model's id ("hris.Employee").
    pub model: String,
    pub remote_id: String,
    pub data: String,
    pub enum_origins: Option<String>,
    pub remote_data: Option<String>,
    pub created_at: i64,
    pub modified_at: i64,
    pub remote_was_deleted: bool,
}

/// Columns by position, in the order of [`row_columns`] (by name, each of a page's ~900 values
/// was a hash lookup of its column), without sqlx's per-value check of the column's declared
/// type against the Rust type: the columns are this crate's own schema, and decoding still
/// checks what it reads (UTF-8, integer widths).
impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for StoredRow
where
    usize: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> sqlx::Result<Self> {
        Ok(StoredRow {
            id: row.try_get_unchecked(0)?,
            model: row.try_get_unchecked(1)?,
            remote_id: row.try_get_unchecked(2)?,
            data: row.try_get_unchecked(3)?,
            enum_origins: row.try_get_unchecked(4)?,
            remote_data: row.try_get_unchecked(5)?,
            created_at: row.try_get_unchecked(6)?,
            modified_at: row.try_get_unchecked(7)?,
            remote_was_deleted: row.try_get_unchecked(8)?,
        })
    }
}

/// A condition on a row's normalized fields. `field` names come from the model catalogue.
#[derive(Debug, Clone)]
pub enum RowFilter {
    /// The field's JSON string (or number, as text) equals `value`.
    Equals {
        field: &'static str,
        value: String,
    },
    /// The field's value is one of `values`.
    OneOf {
        field: &'static str,
        values: Vec<String>,
    },
    /// The field (a normalized datetime string) is after / before `value` (same format).
    After {
        field: &'static str,
        value: String,
    },
    Before {
        field: &'static str,
        value: String,
    },
    Bool {
        field: &'static str,
        value: bool,
    },
    /// The field is a JSON array containing any of `values`.
    ListContainsAny {
        field: &'static str,
        values: Vec<String>,
    },
    /// A live row of `model` points at this row through `back_ref` and has `field` == `value`.
    Related {
        model: &'static str,
        back_ref: &'static str,
        field: &'static str,
        value: String,
    },
}

/// Where a page of rows starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowPosition {
    Start,
    /// After this (created_at, id) in the default order.
    After(i64, String),
    /// The rows just before this (created_at, id), returned in the default order (for the
    /// `previous` cursor).
    Before(i64, String),
    /// An offset, for orders other than the default.
    Offset(i64),
}

#[derive(Debug, Clone)]
pub struct RowQuery {
    pub linked_account_id: Uuid,
    pub model: &'static str,
    pub include_deleted: bool,
    pub created_after: Option<i64>,
    pub created_before: Option<i64>,
    pub modified_after: Option<i64>,
    pub modified_before: Option<i64>,
    pub ids: Option<Vec<String>>,
    pub filters: Vec<RowFilter>,
    /// Order by this field instead of (created_at, id): (field, descending).
    pub order_by: Option<(&'static str, bool)>,
    pub position: RowPosition,
    pub limit: i64,
    /// Read the provider payloads too (large; only `include_remote_data` needs them).
    pub with_remote_data: bool,
    /// Read the enum origins too (only `show_enum_origins` needs them).
    pub with_enum_origins: bool,
}

impl RowQuery {
    pub fn new(linked_account_id: Uuid, model: &'static str) -> Self {
        RowQuery {
            linked_account_id,
            model,
            include_deleted: false,
            created_after: None,
            created_before: None,
            modified_after: None,
            modified_before: None,
            ids: None,
            filters: Vec::new(),
            order_by: None,
            position: RowPosition::Start,
            limit: 100,
            with_remote_data: true,
            with_enum_origins: true,
        }
    }
}

/// SQL of one backend's JSON functions.
#[derive(Clone, Copy)]
struct Dialect(BackendKind);

impl Dialect {
    /// A JSON member of `table`'s data as SQL text (`field` is a catalogue name: [a-z0-9_]).
    fn text(self, table: &str, field: &str) -> String {
        debug_assert!(field.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
        match self.0 {
            BackendKind::Sqlite => format!("json_extract({table}.data, '$.{field}')"),
            BackendKind::Postgres => format!("({table}.data::jsonb ->> '{field}')"),
        }
    }

    /// The member for ordered comparisons: byte order on PostgreSQL too (normalized datetimes
    /// compare correctly as bytes; a locale collation need not).
    fn ordered(self, table: &str, field: &str) -> String {
        match self.0 {
            BackendKind::Sqlite => self.text(table, field),
            BackendKind::Postgres => format!("{} COLLATE \"C\"", self.text(table, field)),
        }
    }

    fn is_true(self, table: &str, field: &str) -> String {
        match self.0 {
            BackendKind::Sqlite => format!("{} = 1", self.text(table, field)),
            BackendKind::Postgres => format!("{} = 'true'", self.text(table, field)),
        }
    }

    /// A subquery yielding the elements of a JSON array member, as text, in column `v`.
    fn elements(self, table: &str, field: &str) -> String {
        match self.0 {
            BackendKind::Sqlite => format!("SELECT value AS v FROM json_each({table}.data, '$.{field}')"),
            BackendKind::Postgres => {
                format!(
                    "SELECT v FROM jsonb_array_elements_text(COALESCE({table}.data::jsonb -> '{field}', '[]'::jsonb)) AS v"
                )
            }
        }
    }
}

const ROW_COLUMNS: &str = "r.id, r.model, r.remote_id, r.data, r.enum_origins, r.remote_data, r.created_at, r.modified_at, r.remote_was_deleted";

/// [`ROW_COLUMNS`] for a query: the payloads (read from overflow pages on SQLite) and enum
/// origins only when the response shows them.
fn row_columns(query: &RowQuery) -> String {
    format!(
        "r.id, r.model, r.remote_id, r.data, {}, {}, r.created_at, r.modified_at, r.remote_was_deleted",
        if query.with_enum_origins { "r.enum_origins" } else { "NULL AS enum_origins" },
        if query.with_remote_data { "r.remote_data" } else { "NULL AS remote_data" },
    )
}

/// Rows per INSERT: 9 parameters each stays far below both backends' limits.
const WRITE_BATCH: usize = 500;

/// What an upsert does with a row that exists: update it when its content changed (or it had
/// been marked deleted), else leave it alone (`modified_at` too).
const UPSERT_CONFLICT: &str = " ON CONFLICT (id) DO UPDATE SET data = excluded.data, enum_origins = excluded.enum_origins, \
     remote_data = excluded.remote_data, content_hash = excluded.content_hash, \
     modified_at = excluded.modified_at, remote_was_deleted = FALSE \
     WHERE common_model_rows.content_hash <> excluded.content_hash \
     OR common_model_rows.remote_was_deleted";

impl Storage {
    fn dialect(&self) -> Dialect {
        Dialect(self.kind())
    }

    /// Inserts new rows and updates changed ones (by content hash; a row that reappears after
    /// being marked deleted counts as changed), in one transaction. Rows whose stored hash
    /// matches are left alone; a sync skips them before calling this ([`Storage::stored_hashes`]),
    /// the guard here keeps that true for any caller. Returns how many rows were inserted or
    /// updated. New rows get `created_at` = `now` plus their position (in microseconds), so lists
    /// keep the order the provider gave them in.
    pub async fn upsert_rows(&self, rows: &[RowWrite], now: i64) -> Result<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        match &self.backend {
            Backend::Sqlite { write, .. } => {
                let mut tx = write.begin().await?;
                let mut changed = 0;
                for (n, chunk) in rows.chunks(WRITE_BATCH).enumerate() {
                    let first = now + (n * WRITE_BATCH) as i64;
                    let mut q = sqlx::QueryBuilder::new(
                        "INSERT INTO common_model_rows (id, linked_account_id, model, remote_id, data, enum_origins, \
                         remote_data, content_hash, created_at, modified_at, remote_was_deleted) ",
                    );
                    q.push_values(chunk.iter().enumerate(), |mut b, (i, row)| {
                        b.push_bind(&row.id)
                            .push_bind(row.linked_account_id)
                            .push_bind(row.model)
                            .push_bind(&row.remote_id)
                            .push_bind(&row.data)
                            .push_bind(&row.enum_origins)
                            .push_bind(&row.remote_data)
                            .push_bind(&row.content_hash[..])
                            .push_bind(first + i as i64)
                            .push_bind(now)
                            .push_bind(false);
                    });
                    q.push(UPSERT_CONFLICT);
                    changed += q.build().execute(&mut *tx).await?.rows_affected();
                }
                tx.commit().await?;
                Ok(changed)
            }
            Backend::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                // Synced rows can be read again from the provider, so their commits need not wait
                // for the disk: a crash loses at most the last moments of a sync, whose job has
                // not ended and runs again. PostgreSQL flushes its log in order, so the job's
                // final (synchronous) commit makes every earlier one durable.
                sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
                // Statements of column arrays: PostgreSQL plans each once and evaluates no
                // expression per value (a VALUES list did, for every one).
                let mut changed = 0;
                for (n, chunk) in rows.chunks(WRITE_BATCH).enumerate() {
                    let first = now + (n * WRITE_BATCH) as i64;
                    let column = |f: fn(&RowWrite) -> &str| chunk.iter().map(f).collect::<Vec<&str>>();
                    let optional =
                        |f: fn(&RowWrite) -> Option<&str>| chunk.iter().map(f).collect::<Vec<Option<&str>>>();
                    changed += sqlx::query(&format!(
                        "INSERT INTO common_model_rows (id, linked_account_id, model, remote_id, data, enum_origins, \
                         remote_data, content_hash, created_at, modified_at, remote_was_deleted) \
                         SELECT id, account, model, remote_id, data, enum_origins, remote_data, content_hash, \
                         created_at, $10, FALSE FROM UNNEST($1::text[], $2::uuid[], $3::text[], $4::text[], \
                         $5::text[], $6::text[], $7::text[], $8::bytea[], $9::bigint[]) AS r(id, account, model, \
                         remote_id, data, enum_origins, remote_data, content_hash, created_at){UPSERT_CONFLICT}"
                    ))
                    .bind(column(|r| &r.id))
                    .bind(chunk.iter().map(|r| r.linked_account_id).collect::<Vec<Uuid>>())
                    .bind(column(|r| r.model))
                    .bind(column(|r| &r.remote_id))
                    .bind(column(|r| &r.data))
                    .bind(optional(|r| r.enum_origins.as_deref()))
                    .bind(optional(|r| r.remote_data.as_deref()))
                    .bind(chunk.iter().map(|r| &r.content_hash[..]).collect::<Vec<&[u8]>>())
                    .bind((0..chunk.len() as i64).map(|i| first + i).collect::<Vec<i64>>())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                tx.commit().await?;
                Ok(changed)
            }
        }
    }

    /// The content hash and deletion flag of every stored row of a model of an account, by row
    /// id: one covering read of the listing index, in pages.
    pub async fn stored_hashes(&self, linked_account_id: Uuid, model: &str) -> Result<StoredHashes> {
        const PAGE: i64 = 5000;
        let mut out = StoredHashes::default();
        let (mut after_created, mut after_id) = (i64::MIN, String::new());
        loop {
            let page: Vec<(String, i64, bool, Vec<u8>)> = with_pool!(self, read, |pool| {
                sqlx::query_as(
                    "SELECT id, created_at, remote_was_deleted, content_hash FROM common_model_rows \
                     WHERE linked_account_id = $1 AND model = $2 \
                     AND (created_at, id) > ($3, $4) \
                     ORDER BY created_at, id LIMIT $5",
                )
                .bind(linked_account_id)
                .bind(model)
                .bind(after_created)
                .bind(&after_id)
                .bind(PAGE)
                .fetch_all(pool)
                .await?
            });
            let full = page.len() as i64 == PAGE;
            for (id, created_at, deleted, hash) in page {
                if let (Ok(uuid), Some(hash)) = (Uuid::parse_str(&id), hash.get(..16)) {
                    let hash = <[u8; 16]>::try_from(hash).unwrap_or_default();
                    out.insert(uuid, StoredHash { hash, deleted });
                }
                (after_created, after_id) = (created_at, id);
            }
            if !full {
                return Ok(out);
            }
        }
    }

    /// The ids of a model's live rows whose relation `field` points at one of `related` (row
    /// ids): after reading every employment of some employees, which stored ones remain.
    pub async fn live_row_ids_related(
        &self,
        linked_account_id: Uuid,
        model: &str,
        field: &str,
        related: &[String],
    ) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for chunk in related.chunks(WRITE_BATCH) {
            let column = self.dialect().text("common_model_rows", field);
            ids.extend(with_pool!(self, read, |pool| {
                let mut q = sqlx::QueryBuilder::new("SELECT id FROM common_model_rows WHERE linked_account_id = ");
                q.push_bind(linked_account_id)
                    .push(" AND model = ")
                    .push_bind(model)
                    .push(format!(" AND NOT remote_was_deleted AND {column} IN "));
                push_list(&mut q, chunk);
                q.build_query_scalar::<String>().fetch_all(pool).await?
            }));
        }
        Ok(ids)
    }

    /// Marks rows deleted at the provider (`modified_at` moves, data stays).
    pub async fn mark_rows_deleted(&self, ids: &[String], now: i64) -> Result<u64> {
        let mut total = 0;
        for chunk in ids.chunks(WRITE_BATCH) {
            total += with_pool!(self, write, |pool| {
                let mut q =
                    sqlx::QueryBuilder::new("UPDATE common_model_rows SET remote_was_deleted = TRUE, modified_at = ");
                q.push_bind(now).push(" WHERE NOT remote_was_deleted AND id IN ");
                push_list(&mut q, chunk);
                q.build().execute(pool).await?.rows_affected()
            });
        }
        Ok(total)
    }

    /// One page of rows matching `query`, with one row more than `limit` when there are more.
    pub async fn query_rows(&self, query: &RowQuery) -> Result<Vec<StoredRow>> {
        let d = self.dialect();
        Ok(with_pool!(self, read, |pool| {
            let mut q = sqlx::QueryBuilder::new(format!(
                "SELECT {} FROM common_model_rows r WHERE r.linked_account_id = ",
                row_columns(query)
            ));
            q.push_bind(query.linked_account_id).push(" AND r.model = ").push_bind(query.model);
            if !query.include_deleted {
                q.push(" AND NOT r.remote_was_deleted");
            }
            for (column, op, value) in [
                ("created_at", ">", query.created_after),
                ("created_at", "<", query.created_before),
                ("modified_at", ">", query.modified_after),
                ("modified_at", "<", query.modified_before),
            ] {
                if let Some(value) = value {
                    q.push(format!(" AND r.{column} {op} ")).push_bind(value);
                }
            }
            if let Some(ids) = &query.ids {
                if ids.is_empty() {
                    q.push(" AND FALSE");
                } else {
                    q.push(" AND r.id IN ");
                    push_list(&mut q, ids);
                }
            }
            for filter in &query.filters {
                match filter {
                    RowFilter::Equals { field, value } => {
                        q.push(format!(" AND {} = ", d.text("r", field))).push_bind(value.clone());
                    }
                    RowFilter::After { field, value } => {
                        q.push(format!(" AND {} > ", d.ordered("r", field))).push_bind(value.clone());
                    }
                    RowFilter::Before { field, value } => {
                        q.push(format!(" AND {} < ", d.ordered("r", field))).push_bind(value.clone());
                    }
                    RowFilter::Bool { field, value } => {
                        let test = d.is_true("r", field);
                        q.push(if *value {
                            format!(" AND {test}")
                        } else {
                            format!(" AND NOT COALESCE({test}, FALSE)")
                        });
                    }
                    RowFilter::OneOf { field, values } | RowFilter::ListContainsAny { field, values }
                        if values.is_empty() =>
                    {
                        let _ = field;
                        q.push(" AND FALSE");
                    }
                    RowFilter::OneOf { field, values } => {
                        q.push(format!(" AND {} IN ", d.text("r", field)));
                        push_list(&mut q, values);
                    }
                    RowFilter::ListContainsAny { field, values } => {
                        q.push(format!(" AND EXISTS (SELECT 1 FROM ({}) e WHERE e.v IN ", d.elements("r", field)));
                        push_list(&mut q, values);
                        q.push(")");
                    }
                    RowFilter::Related { model, back_ref, field, value } => {
                        q.push(" AND EXISTS (SELECT 1 FROM common_model_rows rel WHERE rel.linked_account_id = r.linked_account_id AND rel.model = ")
                            .push_bind(*model)
                            .push(format!(" AND NOT rel.remote_was_deleted AND {} = r.id AND {} = ", d.text("rel", back_ref), d.text("rel", field)))
                            .push_bind(value.clone())
                            .push(")");
                    }
                }
            }
            let backwards = matches!((&query.order_by, &query.position), (None, RowPosition::Before(..)));
            match (&query.order_by, &query.position) {
                (None, RowPosition::After(created_at, id)) | (None, RowPosition::Before(created_at, id)) => {
                    // A row-value comparison: both engines turn it into a range of the listing
                    // index, so the 1000th page costs what the first does (an OR of the two
                    // conditions made them scan from the start).
                    let op = if backwards { "<" } else { ">" };
                    q.push(format!(" AND (r.created_at, r.id) {op} ("))
                        .push_bind(*created_at)
                        .push(", ")
                        .push_bind(id.clone())
                        .push(")");
                }
                _ => {}
            }
            match query.order_by {
                None if backwards => {
                    q.push(" ORDER BY r.created_at DESC, r.id DESC");
                }
                None => {
                    q.push(" ORDER BY r.created_at, r.id");
                }
                Some((field, descending)) => {
                    let direction = if descending { "DESC" } else { "ASC" };
                    // NULLs last either way, then a total order.
                    q.push(format!(
                        " ORDER BY ({} IS NULL), {} {direction}, r.created_at, r.id",
                        d.text("r", field),
                        d.ordered("r", field)
                    ));
                }
            }
            q.push(" LIMIT ").push_bind(query.limit + 1);
            if let RowPosition::Offset(offset) = query.position {
                q.push(" OFFSET ").push_bind(offset);
            }
            let mut rows: Vec<StoredRow> = q.build_query_as().fetch_all(pool).await?;
            if backwards {
                // Fetched nearest-first; the extra row (if any) is the farthest: keep it last.
                let extra = (rows.len() as i64 > query.limit).then(|| rows.pop()).flatten();
                rows.reverse();
                rows.extend(extra);
            }
            rows
        }))
    }

    /// Rows by id (any model) of one account, deleted ones included: for `expand`.
    pub async fn rows_by_ids(&self, linked_account_id: Uuid, ids: &[String]) -> Result<Vec<StoredRow>> {
        let mut rows = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(WRITE_BATCH) {
            let mut found: Vec<StoredRow> = with_pool!(self, read, |pool| {
                let mut q = sqlx::QueryBuilder::new(format!(
                    "SELECT {ROW_COLUMNS} FROM common_model_rows r WHERE r.linked_account_id = "
                ));
                q.push_bind(linked_account_id).push(" AND r.id IN ");
                push_list(&mut q, chunk);
                q.build_query_as().fetch_all(pool).await?
            });
            rows.append(&mut found);
        }
        Ok(rows)
    }

    /// The distinct values of a field across a model's rows of an account (from the normalized
    /// data, or the remote values with `origins`), sorted, nulls left out.
    pub async fn distinct_field_values(
        &self,
        linked_account_id: Uuid,
        model: &'static str,
        field: &'static str,
        origins: bool,
        include_deleted: bool,
    ) -> Result<Vec<String>> {
        let d = self.dialect();
        let expression = if origins {
            match d.0 {
                BackendKind::Sqlite => format!("json_extract(r.enum_origins, '$.{field}')"),
                BackendKind::Postgres => format!("(r.enum_origins::jsonb ->> '{field}')"),
            }
        } else {
            d.text("r", field)
        };
        let deleted = if include_deleted { "" } else { " AND NOT r.remote_was_deleted" };
        let sql = format!(
            "SELECT DISTINCT {expression} AS v FROM common_model_rows r WHERE r.linked_account_id = $1 \
             AND r.model = $2{deleted} AND {expression} IS NOT NULL ORDER BY v"
        );
        Ok(with_pool!(self, read, |pool| {
            sqlx::query_scalar(&sql).bind(linked_account_id).bind(model).fetch_all(pool).await?
        }))
    }

    /// How many rows of each state a model has for an account: (live, deleted).
    pub async fn count_rows(&self, linked_account_id: Uuid, model: &str) -> Result<(i64, i64)> {
        let (live, deleted): (i64, i64) = with_pool!(self, read, |pool| {
            sqlx::query_as(
                "SELECT COALESCE(SUM(CASE WHEN remote_was_deleted THEN 0 ELSE 1 END), 0), \
                 COALESCE(SUM(CASE WHEN remote_was_deleted THEN 1 ELSE 0 END), 0) \
                 FROM common_model_rows WHERE linked_account_id = $1 AND model = $2",
            )
            .bind(linked_account_id)
            .bind(model)
            .fetch_one(pool)
            .await?
        });
        Ok((live, deleted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support;

    /// Row ids are UUIDs (v5 of account, model and remote id, in the sync).
    fn id_of(remote_id: &str) -> String {
        Uuid::new_v5(&Uuid::NAMESPACE_OID, remote_id.as_bytes()).to_string()
    }

    fn row(account: Uuid, remote_id: &str, data: &str) -> RowWrite {
        let hash = {
            let mut h = [0u8; 32];
            for (i, b) in data.bytes().enumerate() {
                h[i % 32] ^= b.wrapping_add(i as u8);
            }
            h
        };
        RowWrite {
            id: id_of(remote_id),
            linked_account_id: account,
            model: "hris.Employee",
            remote_id: remote_id.into(),
            data: data.into(),
            enum_origins: None,
            remote_data: None,
            content_hash: hash,
        }
    }

    #[tokio::test]
    async fn upserts_write_only_changes_and_deletions_are_marked_sqlite() {
        let (s, _dir) = test_support::sqlite().await;
        upserts_write_only_changes_and_deletions_are_marked(s).await;
    }

    #[tokio::test]
    async fn upserts_write_only_changes_and_deletions_are_marked_postgres() {
        if let Some((s, _guard)) = test_support::postgres().await {
            upserts_write_only_changes_and_deletions_are_marked(s.clone()).await;
            s.close().await;
        }
    }

    async fn upserts_write_only_changes_and_deletions_are_marked(s: Storage) {
        let account = test_support::linked_account(&s, "o1").await;
        let rows = [
            row(
                account,
                "1",
                r#"{"first_name":"Ada","groups":["g1","g2"],"start_date":"2020-01-01T00:00:00Z","active":true}"#,
            ),
            row(account, "2", r#"{"first_name":"Bob","groups":[],"start_date":"2021-06-01T00:00:00Z","active":false}"#),
        ];
        assert_eq!(s.upsert_rows(&rows, 10).await.unwrap(), 2);
        assert_eq!(s.upsert_rows(&rows, 20).await.unwrap(), 0, "an unchanged resync writes nothing");
        let changed = row(
            account,
            "2",
            r#"{"first_name":"Bobby","groups":[],"start_date":"2021-06-01T00:00:00Z","active":false}"#,
        );
        assert_eq!(s.upsert_rows(&[rows[0].clone(), changed], 30).await.unwrap(), 1);

        let mut q = RowQuery::new(account, "hris.Employee");
        let all = s.query_rows(&q).await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!((all[0].created_at, all[0].modified_at), (10, 10));
        assert_eq!((all[1].created_at, all[1].modified_at), (11, 30));

        q.filters = vec![RowFilter::Equals { field: "first_name", value: "Bobby".into() }];
        assert_eq!(s.query_rows(&q).await.unwrap().len(), 1);
        q.filters = vec![RowFilter::ListContainsAny { field: "groups", values: vec!["g2".into(), "x".into()] }];
        assert_eq!(s.query_rows(&q).await.unwrap()[0].remote_id, "1");
        q.filters = vec![RowFilter::After { field: "start_date", value: "2020-06-01T00:00:00Z".into() }];
        assert_eq!(s.query_rows(&q).await.unwrap()[0].remote_id, "2");
        q.filters = vec![RowFilter::Bool { field: "active", value: false }];
        assert_eq!(s.query_rows(&q).await.unwrap()[0].remote_id, "2");
        q.filters = vec![RowFilter::OneOf { field: "first_name", values: vec!["Ada".into(), "Zed".into()] }];
        assert_eq!(s.query_rows(&q).await.unwrap()[0].remote_id, "1");
        q.filters.clear();

        // Keyset paging: one per page, the extra row says there is more.
        q.limit = 1;
        let first = s.query_rows(&q).await.unwrap();
        assert_eq!(first.len(), 2);
        q.position = RowPosition::After(first[0].created_at, first[0].id.clone());
        let second = s.query_rows(&q).await.unwrap();
        assert_eq!((second.len(), second[0].id.as_str()), (1, first[1].id.as_str()));
        q.position = RowPosition::Start;
        q.limit = 10;

        // Deletion, hidden unless asked for; a reappearing row is live again.
        let stored = s.stored_hashes(account, "hris.Employee").await.unwrap();
        assert_eq!(stored.len(), 2);
        assert!(stored.values().all(|h| !h.deleted));
        assert_eq!(s.mark_rows_deleted(&[id_of("1")], 40).await.unwrap(), 1);
        assert_eq!(s.query_rows(&q).await.unwrap().len(), 1);
        q.include_deleted = true;
        let with_deleted = s.query_rows(&q).await.unwrap();
        assert!(with_deleted.iter().any(|r| r.remote_id == "1" && r.remote_was_deleted && r.modified_at == 40));
        assert_eq!(s.count_rows(account, "hris.Employee").await.unwrap(), (1, 1));
        assert_eq!(s.upsert_rows(&rows[..1], 50).await.unwrap(), 1);
        assert_eq!(s.count_rows(account, "hris.Employee").await.unwrap(), (2, 0));
        assert_eq!(s.rows_by_ids(account, &[id_of("1"), "nope".into()]).await.unwrap().len(), 1);
    }
}
