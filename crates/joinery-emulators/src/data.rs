//! Deterministic fake people, generated on demand from `(seed, index)`.
//!
//! Nothing is stored per employee: every field is a pure function of the company's seed and the
//! employee's index, so a company of 100,000 employees costs no memory until a page of it is
//! rendered, and two emulators started with the same seed answer byte-for-byte the same data.

/// SplitMix64: a tiny, well-mixed generator. Good enough for fake data, and stable across
/// platforms and releases (unlike `rand`'s seeded generators, whose streams may change).
#[derive(Clone, Copy)]
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator for one `(seed, index)` pair and one purpose (`salt`), so adding a field later
    /// does not shift the values of the existing ones.
    pub(crate) fn new(seed: u64, index: u64, salt: u64) -> Self {
        Rng(mix(seed ^ mix(index ^ mix(salt))))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// A value in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    /// True with probability `percent` / 100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub(crate) const FIRST_NAMES: &[&str] = &[
    "Ava", "Liam", "Olivia", "Noah", "Emma", "Mateo", "Sophia", "Lucas", "Mia", "Ethan", "Amelia", "Kai", "Isabella",
    "Elijah", "Harper", "James", "Evelyn", "Benjamin", "Aria", "Leo", "Chloe", "Samuel", "Nora", "Daniel", "Zoe",
    "Henry", "Layla", "Owen", "Priya", "Arjun", "Mei", "Hiroshi", "Fatima", "Omar", "Ingrid", "Lars", "Chiara",
    "Marco", "Aisha", "Kwame", "Sofia", "Diego", "Hannah", "Jonas", "Yara", "Tomás", "Amara", "Felix", "Lucía", "Ravi",
    "Sana", "Nikolai", "Elena", "Wei", "Ana", "Jin", "Grace", "Malik", "Rosa", "Adrien", "Maya", "Theo", "Noor",
    "Ezra",
];

const LAST_NAMES: &[&str] = &[
    "Nguyen",
    "Smith",
    "Garcia",
    "Johnson",
    "Kim",
    "Patel",
    "Müller",
    "Rossi",
    "Okafor",
    "Silva",
    "Cohen",
    "Tanaka",
    "Hernández",
    "Brown",
    "Williams",
    "Jones",
    "Lee",
    "Martin",
    "Dubois",
    "Novak",
    "Kowalski",
    "Andersen",
    "Haddad",
    "Singh",
    "Chen",
    "Wang",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Moore",
    "Jackson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Hill",
    "Campbell",
    "Mitchell",
    "Roberts",
    "Carter",
    "Phillips",
    "Evans",
    "Turner",
    "O'Brien",
    "Torres",
    "Parker",
    "Collins",
    "Edwards",
    "Stewart",
    "Flores",
    "Morris",
];

/// Departments with the job titles found in each.
pub(crate) const DEPARTMENTS: &[(&str, &[&str])] = &[
    (
        "Engineering",
        &["Software Engineer", "Senior Software Engineer", "Staff Engineer", "Engineering Manager", "QA Engineer"],
    ),
    ("Sales", &["Account Executive", "Sales Development Representative", "Sales Manager"]),
    ("Marketing", &["Marketing Specialist", "Content Strategist", "Marketing Manager"]),
    ("Customer Success", &["Customer Success Manager", "Support Specialist", "Support Lead"]),
    ("Finance", &["Accountant", "Financial Analyst", "Controller"]),
    ("People", &["HR Generalist", "Recruiter", "People Partner"]),
    ("Operations", &["Operations Analyst", "Office Manager", "Operations Manager"]),
    ("Product", &["Product Manager", "Product Designer", "UX Researcher"]),
];

/// Position of a department in the catalogue, for ids derived from it.
pub(crate) fn department_index(name: &str) -> usize {
    DEPARTMENTS.iter().position(|(d, _)| *d == name).unwrap_or(0)
}

/// (location name, city, state, ZIP, phone area code)
pub(crate) const LOCATIONS: &[(&str, &str, &str, &str, &str)] = &[
    ("San Francisco HQ", "San Francisco", "CA", "94107", "415"),
    ("New York Office", "New York", "NY", "10001", "212"),
    ("Austin Office", "Austin", "TX", "78701", "512"),
    ("Remote - US", "Denver", "CO", "80202", "303"),
];

pub(crate) const DIVISIONS: &[&str] = &["North America", "EMEA", "APAC"];

/// A civil date, days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Date(pub(crate) i64);

impl Date {
    pub(crate) const fn from_ymd(y: i64, m: u32, d: u32) -> Date {
        // Howard Hinnant's days_from_civil.
        let y = if m <= 2 { y - 1 } else { y };
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let m = m as i64;
        let doy = (153 * if m > 2 { m - 3 } else { m + 9 } + 2) / 5 + d as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Date(era * 146_097 + doe - 719_468)
    }

    pub(crate) fn ymd(self) -> (i64, u32, u32) {
        let z = self.0 + 719_468;
        let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
        (y, m, d)
    }

    /// `YYYY-MM-DD` (years 0 to 9999; generated dates are all in this range).
    pub(crate) fn iso(self) -> String {
        let (y, m, d) = self.ymd();
        if !(0..=9999).contains(&y) {
            return format!("{y:04}-{m:02}-{d:02}");
        }
        let y = y as u32;
        let digit = |n: u32| char::from(b'0' + (n % 10) as u8);
        let mut out = String::with_capacity(10);
        for c in [digit(y / 1000), digit(y / 100), digit(y / 10), digit(y), '-', digit(m / 10), digit(m), '-'] {
            out.push(c);
        }
        out.push(digit(d / 10));
        out.push(digit(d));
        out
    }

    /// Strictly `YYYY-MM-DD` with a real month and day.
    pub(crate) fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |r: std::ops::Range<usize>| -> Option<u32> {
            s.get(r.clone())?.bytes().all(|c| c.is_ascii_digit()).then(|| s[r].parse().ok())?
        };
        let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        let date = Date::from_ymd(y as i64, m, d);
        (date.ymd() == (y as i64, m, d)).then_some(date)
    }

    /// 0 = Monday … 6 = Sunday.
    pub(crate) fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday.
        (self.0 + 3).rem_euclid(7) as u32
    }

    pub(crate) fn is_weekend(self) -> bool {
        self.weekday() >= 5
    }

    pub(crate) fn plus(self, days: i64) -> Date {
        Date(self.0 + days)
    }

    pub(crate) fn year(self) -> i64 {
        self.ymd().0
    }

    /// Midnight UTC of this day, in Unix seconds.
    pub(crate) fn unix(self) -> i64 {
        self.0 * 86_400
    }

    pub(crate) fn of_unix(secs: i64) -> Date {
        Date(secs.div_euclid(86_400))
    }
}

/// `YYYY-MM-DDTHH:MM:SS+00:00`, the timestamp format BambooHR documents (UTC).
pub(crate) fn timestamp(unix_secs: i64) -> String {
    let secs = unix_secs.rem_euclid(86_400);
    format!("{}T{:02}:{:02}:{:02}+00:00", Date::of_unix(unix_secs).iso(), secs / 3600, secs % 3600 / 60, secs % 60)
}

/// An ISO 8601 date (`YYYY-MM-DD`, read as midnight UTC) or date-time (`YYYY-MM-DDTHH:MM[:SS[.fff]]`
/// followed by `Z`, `±HH:MM` or `±HHMM`), in Unix seconds. Fractions of a second are dropped.
pub(crate) fn parse_timestamp(s: &str) -> Option<i64> {
    let date = Date::parse(s.get(..10)?)?;
    let rest = &s[10..];
    if rest.is_empty() {
        return Some(date.unix());
    }
    let rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix('t'))?;
    let two =
        |s: &str| -> Option<i64> { (s.len() == 2 && s.bytes().all(|c| c.is_ascii_digit())).then(|| s.parse().ok())? };
    let (hh, rest) = (two(rest.get(..2)?)?, &rest[2..]);
    let rest = rest.strip_prefix(':')?;
    let (mm, mut rest) = (two(rest.get(..2)?)?, &rest[2..]);
    let mut ss = 0;
    if let Some(after) = rest.strip_prefix(':') {
        ss = two(after.get(..2)?)?;
        rest = &after[2..];
        if let Some(fraction) = rest.strip_prefix('.') {
            let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            rest = &fraction[digits..];
        }
    }
    if hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let body = &rest[1..];
            let (oh, om) = match body.len() {
                5 if body.as_bytes()[2] == b':' => (two(&body[..2])?, two(&body[3..])?),
                4 => (two(&body[..2])?, two(&body[2..])?),
                2 => (two(body)?, 0),
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 3600 + om * 60)
        }
    };
    Some(date.unix() + hh * 3600 + mm * 60 + ss - offset)
}

/// `s` as a JSON string literal, quotes included.
pub(crate) fn json_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escaped = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escaped.is_empty() {
            out.push_str(&format!("\\u{b:04x}"));
        } else {
            out.push_str(escaped);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// An optional string as JSON: the string, or `null`.
pub(crate) fn json_opt(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => json_str(out, s),
        None => out.push_str("null"),
    }
}

/// `YYYY-MM-DD HH:MM:SS +0000` for a Unix time, the format of Gusto's `X-RateLimit-Reset`.
pub(crate) fn gusto_datetime(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let secs = unix_secs % 86_400;
    format!("{} {:02}:{:02}:{:02} +0000", Date(days).iso(), secs / 3600, secs % 3600 / 60, secs % 60)
}

/// The data every provider's employee is rendered from.
#[derive(Clone, Debug)]
pub(crate) struct Person {
    pub(crate) index: usize,
    pub(crate) first_name: &'static str,
    pub(crate) last_name: &'static str,
    pub(crate) middle_name: Option<&'static str>,
    pub(crate) preferred_name: Option<&'static str>,
    pub(crate) gender: &'static str,
    pub(crate) date_of_birth: Date,
    pub(crate) hire_date: Date,
    /// Set for former employees.
    pub(crate) termination_date: Option<Date>,
    pub(crate) department: &'static str,
    pub(crate) job_title: &'static str,
    pub(crate) division: &'static str,
    pub(crate) location: usize,
    /// Index of the manager; `None` for the first employee, the top of the tree.
    pub(crate) manager: Option<usize>,
    pub(crate) part_time: bool,
    /// Annual salary in whole currency units.
    pub(crate) salary: u64,
    pub(crate) work_phone_suffix: u32,
    pub(crate) mobile_phone: Option<String>,
}

impl Person {
    pub(crate) fn generate(seed: u64, index: usize) -> Person {
        let mut r = Rng::new(seed, index as u64, 1);
        let first_name = r.pick(FIRST_NAMES);
        let last_name = r.pick(LAST_NAMES);
        let middle_name = r.chance(30).then(|| r.pick(FIRST_NAMES));
        let preferred_name = r.chance(10).then(|| r.pick(FIRST_NAMES));
        let gender = ["Female", "Male", "Nonbinary"][[0, 0, 0, 0, 1, 1, 1, 1, 2][r.below(9) as usize]];
        let date_of_birth = Date(Date::from_ymd(1960, 1, 1).0 + r.below(40 * 365) as i64);
        let hire_date = Date(Date::from_ymd(2012, 1, 1).0 + r.below(14 * 365) as i64);
        // About one in ten has left; the last working day is after the hire date and before 2026-07.
        let termination_date = r.chance(10).then(|| {
            let end = Date::from_ymd(2026, 6, 30).0;
            let span = (end - hire_date.0).max(1) as u64;
            Date(hire_date.0 + 1 + r.below(span) as i64)
        });
        let (department, titles) = DEPARTMENTS[r.below(DEPARTMENTS.len() as u64) as usize];
        let job_title = r.pick(titles);
        let division = r.pick(DIVISIONS);
        let location = r.below(LOCATIONS.len() as u64) as usize;
        // An 8-ary tree: every manager exists, the depth stays logarithmic.
        let manager = (index > 0).then(|| (index - 1) / 8);
        let part_time = r.chance(8);
        let salary = 45_000 + r.below(150) * 1_000;
        let work_phone_suffix = 1000 + r.below(9000) as u32;
        let mobile_phone = r.chance(70).then(|| format!("{}-555-{:04}", LOCATIONS[location].4, 1000 + r.below(9000)));
        Person {
            index,
            first_name,
            last_name,
            middle_name,
            preferred_name,
            gender,
            date_of_birth,
            hire_date,
            termination_date,
            department,
            job_title,
            division,
            location,
            manager,
            part_time,
            salary,
            work_phone_suffix,
            mobile_phone,
        }
    }

    pub(crate) fn active(&self) -> bool {
        self.termination_date.is_none()
    }

    /// Unique within the company: the index keeps two Ava Nguyens apart.
    pub(crate) fn email_local_part(&self) -> String {
        let ascii = |s: &str| -> String {
            s.chars()
                .filter_map(|c| match c {
                    'á' => Some('a'),
                    'é' => Some('e'),
                    'í' => Some('i'),
                    'ó' => Some('o'),
                    'ú' => Some('u'),
                    'ü' => Some('u'),
                    c if c.is_ascii_alphabetic() => Some(c.to_ascii_lowercase()),
                    _ => None,
                })
                .collect()
        };
        format!("{}.{}{}", ascii(self.first_name), ascii(self.last_name), self.index + 1)
    }

    pub(crate) fn work_phone(&self) -> String {
        format!("{}-555-{:04}", LOCATIONS[self.location].4, self.work_phone_suffix)
    }
}

/// A UUID (version 4 layout) that encodes `index`, so it can be turned back into the index
/// without a lookup table. The upper half is a keyed hash of the index, the lower half the index
/// masked with a per-seed key; [`index_from_uuid`] checks both.
pub(crate) fn uuid_for(seed: u64, salt: u64, index: usize) -> String {
    let hi = (mix(seed ^ mix(salt ^ index as u64)) & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
    let lo = ((index as u64) ^ (mix(seed ^ salt) & 0x3FFF_FFFF_FFFF_FFFF)) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xFFFF,
        hi & 0xFFFF,
        lo >> 48,
        lo & 0xFFFF_FFFF_FFFF
    )
}

/// The inverse of [`uuid_for`]; `None` for any UUID it did not make.
pub(crate) fn index_from_uuid(seed: u64, salt: u64, uuid: &str) -> Option<usize> {
    let hex: String = uuid.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || uuid.len() != 36 {
        return None;
    }
    let lo = u64::from_str_radix(&hex[16..], 16).ok()?;
    let index = ((lo & 0x3FFF_FFFF_FFFF_FFFF) ^ (mix(seed ^ salt) & 0x3FFF_FFFF_FFFF_FFFF)) as usize;
    (uuid_for(seed, salt, index) == uuid.to_ascii_lowercase()).then_some(index)
}

/// Escapes text for HTML and XML bodies and attribute values.
pub(crate) fn escape_markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (2024, 12, 31), (1960, 3, 1), (2026, 6, 30)] {
            let date = Date::from_ymd(y, m, d);
            assert_eq!(date.ymd(), (y, m, d));
        }
        assert_eq!(Date::from_ymd(1970, 1, 2).0, 1);
        assert_eq!(gusto_datetime(1_751_990_140), "2025-07-08 15:55:40 +0000");
    }

    #[test]
    fn people_are_deterministic_and_differ_by_seed() {
        let a = Person::generate(7, 42);
        let b = Person::generate(7, 42);
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        let differs = (0..20).any(|i| Person::generate(7, i).first_name != Person::generate(8, i).first_name);
        assert!(differs);
        for i in 0..2000 {
            let p = Person::generate(3, i);
            assert!(p.termination_date.is_none_or(|t| t > p.hire_date));
            assert_eq!(p.manager.is_none(), i == 0);
        }
    }

    #[test]
    fn uuids_encode_their_index() {
        for index in [0, 1, 99, 100_000, usize::MAX >> 3] {
            let uuid = uuid_for(11, 2, index);
            assert_eq!(uuid.len(), 36);
            assert_eq!(&uuid[14..15], "4");
            assert_eq!(index_from_uuid(11, 2, &uuid), Some(index));
            assert_eq!(index_from_uuid(12, 2, &uuid), None);
            assert_eq!(index_from_uuid(11, 3, &uuid), None);
        }
        assert_ne!(uuid_for(11, 2, 1), uuid_for(11, 2, 2));
        assert_eq!(index_from_uuid(11, 2, "not-a-uuid"), None);
    }

    #[test]
    fn dates_parse_strictly_and_know_their_weekday() {
        assert_eq!(Date::parse("2026-02-28"), Some(Date::from_ymd(2026, 2, 28)));
        for bad in ["2026-02-29", "2026-13-01", "2026-1-01", "20260101", "2026-01-01x", "abcd-ef-gh", ""] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        assert_eq!(Date::from_ymd(2026, 11, 23).weekday(), 0, "a Monday");
        assert!(Date::from_ymd(2026, 11, 29).is_weekend());
    }

    #[test]
    fn timestamps_round_trip_and_accept_iso_8601_forms() {
        let t = parse_timestamp("2012-10-17T20:27:17+00:00").unwrap();
        assert_eq!(timestamp(t), "2012-10-17T20:27:17+00:00");
        assert_eq!(parse_timestamp("2012-10-17T20:27:17Z"), Some(t));
        assert_eq!(parse_timestamp("2012-10-17T22:27:17.123+02:00"), Some(t));
        assert_eq!(parse_timestamp("2012-10-17T15:27:17-0500"), Some(t));
        assert_eq!(parse_timestamp("2012-10-17T20:27Z"), Some(t - 17));
        assert_eq!(parse_timestamp("2012-10-17"), Some(Date::from_ymd(2012, 10, 17).unix()));
        for bad in ["2012-10-17T20:27:17 00:00", "2012-10-17 20:27:17", "2012-10-17T25:00:00Z", "yesterday", ""] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn json_strings_are_escaped_like_serde_does() {
        for s in ["plain", "O'Brien \"quoted\" \\ back", "tab\tnew\nline\u{1}", "Müller"] {
            let mut out = String::new();
            json_str(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).unwrap());
        }
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape_markup(r#"<a href="x">O'Brien & co</a>"#),
            "&lt;a href=&quot;x&quot;&gt;O&#39;Brien &amp; co&lt;/a&gt;"
        );
    }
}
