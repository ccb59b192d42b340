//! What a sync keeps of BambooHR's whole-company tables between reading them and using them,
//! compactly: a 100,000-employee company's job and status histories and its compensation row
//! ids take a few MB, not tens (ids are BambooHR's numbers, kept as numbers).

/// Ids as 64-bit keys: a canonical decimal number is its own key, any other text is numbered
/// from 2^63 up (so the two never meet).
#[derive(Default)]
struct Keys {
    texts: Vec<Box<str>>,
    by_text: foldhash::HashMap<Box<str>, u64>,
}

const TEXT_KEYS: u64 = 1 << 63;

/// The number an id is, when it is written the one way a number is written.
fn number(id: &str) -> Option<u64> {
    let n: u64 = id.parse().ok()?;
    (n < TEXT_KEYS && (id == "0" || (!id.starts_with('0') && id.bytes().all(|b| b.is_ascii_digit())))).then_some(n)
}

impl Keys {
    fn key(&mut self, id: &str) -> u64 {
        if let Some(n) = number(id) {
            return n;
        }
        if let Some(key) = self.by_text.get(id) {
            return *key;
        }
        let key = TEXT_KEYS + self.texts.len() as u64;
        self.texts.push(id.into());
        self.by_text.insert(id.into(), key);
        key
    }

    fn get(&self, id: &str) -> Option<u64> {
        number(id).or_else(|| self.by_text.get(id).copied())
    }

    fn text(&self, key: u64) -> String {
        match key.checked_sub(TEXT_KEYS) {
            Some(index) => self.texts.get(index as usize).map_or_else(String::new, |t| t.to_string()),
            None => key.to_string(),
        }
    }
}

/// No value (a blank field).
const NO_VALUE: u32 = u32::MAX;

/// Where each employee's rows are in a list sorted by employee: (start, count). Looking an
/// employee up is one hash probe, where a binary search of the list was a cache miss a step.
type Ranges = foldhash::HashMap<u64, (u32, u32)>;

fn ranges<T>(rows: &[T], employee: impl Fn(&T) -> u64) -> Ranges {
    let mut out = Ranges::default();
    let mut start = 0;
    while start < rows.len() {
        let key = employee(&rows[start]);
        let count = rows[start..].iter().take_while(|r| employee(r) == key).count();
        out.insert(key, (start as u32, count as u32));
        start += count;
    }
    out
}

/// Each employee's dated rows of one table (`jobInfo`, `employmentStatus`) reduced to what
/// employments need: the date and one value. Values repeat across a company (job titles,
/// statuses), so they are kept once; rows are one sorted list, 24 bytes each.
#[derive(Default)]
pub(super) struct History {
    keys: Keys,
    values: Vec<String>,
    value_ids: foldhash::HashMap<String, u32>,
    /// (employee, date, value), sorted by employee then date by [`History::sorted`].
    rows: Vec<(u64, [u8; 10], u32)>,
    index: Ranges,
}

impl History {
    pub(super) fn push(&mut self, employee: &str, date: &str, value: Option<&str>) {
        let value = match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => NO_VALUE,
            Some(v) => match self.value_ids.get(v) {
                Some(id) => *id,
                None => {
                    let id = self.values.len() as u32;
                    self.values.push(v.to_owned());
                    self.value_ids.insert(v.to_owned(), id);
                    id
                }
            },
        };
        let mut day = [b' '; 10];
        let n = date.len().min(10);
        day[..n].copy_from_slice(&date.as_bytes()[..n]);
        let employee = self.keys.key(employee);
        self.rows.push((employee, day, value));
    }

    pub(super) fn sorted(mut self) -> Self {
        self.rows.sort_unstable();
        self.rows.shrink_to_fit();
        self.index = ranges(&self.rows, |(employee, _, _)| *employee);
        self
    }

    /// The value of the employee's row in effect on `date`: the last one dated on or before it,
    /// or the earliest row for a date before all of them.
    pub(super) fn on(&self, employee: &str, date: &str) -> Option<&str> {
        let (start, count) = *self.index.get(&self.keys.get(employee)?)?;
        let rows = &self.rows[start as usize..(start + count) as usize];
        let after = rows.partition_point(|(_, d, _)| &d[..] <= date.as_bytes());
        let (_, _, value) = rows[after.saturating_sub(1)];
        self.values.get(value as usize).map(String::as_str)
    }
}

/// Each employee's compensation row ids (its employments), in the table's order.
#[derive(Default)]
pub(super) struct EmploymentIds {
    keys: Keys,
    /// (employee, row id), in the table's order until [`EmploymentIds::sorted`].
    pairs: Vec<(u64, u64)>,
    index: Ranges,
    sorted: bool,
}

impl EmploymentIds {
    pub(super) fn push(&mut self, employee: &str, id: &str) {
        let pair = (self.keys.key(employee), self.keys.key(id));
        self.pairs.push(pair);
        self.sorted = false;
    }

    /// Ready for [`EmploymentIds::of`]: grouped by employee, each one's ids in table order.
    pub(super) fn sorted(mut self) -> Self {
        self.pairs.sort_by_key(|(employee, _)| *employee);
        self.pairs.shrink_to_fit();
        self.index = ranges(&self.pairs, |(employee, _)| *employee);
        self.sorted = true;
        self
    }

    /// The employee's row ids.
    pub(super) fn of(&self, employee: &str) -> Vec<String> {
        debug_assert!(self.sorted, "EmploymentIds::of before sorted");
        let Some(&(start, count)) = self.keys.get(employee).and_then(|e| self.index.get(&e)) else {
            return Vec::new();
        };
        self.pairs[start as usize..(start + count) as usize].iter().map(|(_, id)| self.keys.text(*id)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_numbers_when_they_are_written_as_numbers() {
        let mut keys = Keys::default();
        assert_eq!(keys.key("42"), 42);
        for odd in ["042", "-1", "a7", "", "18446744073709551615"] {
            let key = keys.key(odd);
            assert!(key >= TEXT_KEYS, "{odd}");
            assert_eq!(keys.text(key), odd);
            assert_eq!(keys.get(odd), Some(key));
        }
        assert_eq!(keys.text(42), "42");
        assert_eq!(keys.get("nope"), None);
    }

    #[test]
    fn histories_give_the_row_in_effect() {
        let mut h = History::default();
        h.push("2", "2021-06-01", Some("Lead"));
        h.push("1", "2020-01-01", Some("Engineer"));
        h.push("2", "2020-01-01", Some(" Engineer "));
        h.push("x", "2020-01-01", None);
        let h = h.sorted();
        assert_eq!(h.on("2", "2021-01-01"), Some("Engineer"));
        assert_eq!(h.on("2", "2021-06-01"), Some("Lead"));
        assert_eq!(h.on("2", "2019-01-01"), Some("Engineer"), "before every row: the earliest");
        assert_eq!(h.on("1", "2030-01-01"), Some("Engineer"));
        assert_eq!(h.on("x", "2030-01-01"), None, "a blank value");
        assert_eq!(h.on("3", "2030-01-01"), None);
        assert_eq!(h.values.len(), 2, "values are kept once");
    }

    #[test]
    fn employment_ids_keep_the_table_order_per_employee() {
        let mut ids = EmploymentIds::default();
        for (employee, id) in [("7", "30"), ("3", "10"), ("7", "5"), ("e-9", "c-1"), ("3", "11")] {
            ids.push(employee, id);
        }
        let ids = ids.sorted();
        assert_eq!(ids.of("7"), ["30", "5"]);
        assert_eq!(ids.of("3"), ["10", "11"]);
        assert_eq!(ids.of("e-9"), ["c-1"]);
        assert!(ids.of("4").is_empty());
    }
}
