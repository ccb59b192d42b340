//! BambooHR's API as documented (documentation.bamboohr.com): URLs and response types.

use serde::Deserialize;

/// The documented gateway form of the API, which carries the company in the path (so a base URL
/// override keeps the tenant): `https://api.bamboohr.com/api/gateway.php/{companyDomain}/v1/…`.
pub fn url(company_domain: &str, path: &str) -> String {
    format!("https://api.bamboohr.com/api/gateway.php/{company_domain}/v1/{}", path.trim_start_matches('/'))
}

/// BambooHR puts the reason for most 4xx answers in this header.
pub const ERROR_HEADER: &str = "x-bamboohr-error-message";

/// `GET /v1/employees` (the paginated list endpoint).
#[derive(Debug, Deserialize)]
pub struct EmployeeList {
    #[serde(default)]
    pub data: Vec<serde_json::Value>,
}

/// An id BambooHR sends as a string (or, in some answers, a number).
fn id<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        _ => Err(serde::de::Error::custom("an id")),
    }
}

/// A value read as text when it is a string, and as nothing otherwise (null, missing, another
/// type): BambooHR's field values are strings, and a sync should not fail over an odd one.
/// With `numbers`, a number is read as its text too (ids).
struct Text {
    numbers: bool,
}

impl<'de> serde::de::Visitor<'de> for Text {
    type Value = Option<String>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(self.numbers.then(|| v.to_string()))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(self.numbers.then(|| v.to_string()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(self.numbers.then(|| serde_json::Number::from_f64(v).map(|n| n.to_string())).flatten())
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

/// A string field; anything else is nothing.
fn text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    deserializer.deserialize_any(Text { numbers: false })
}

/// An id: a non-empty string, or a number; anything else is nothing.
fn opt_id<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(deserializer.deserialize_any(Text { numbers: true })?.filter(|id| !id.is_empty()))
}

/// An element of an array of objects: the object, or nothing when the element is anything else
/// (an odd `null` or string in a provider's list is skipped, not a failed sync).
#[derive(Debug)]
pub struct Row<T>(pub Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Row<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor, value::MapAccessDeserializer};
        struct RowVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for RowVisitor<T> {
            type Value = Row<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Row<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(|row| Row(Some(row)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Row<T>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Row(None))
            }
            fn visit_unit<E>(self) -> Result<Row<T>, E> {
                Ok(Row(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Row<T>, E> {
                Ok(Row(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Row<T>, E> {
                Ok(Row(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Row<T>, E> {
                Ok(Row(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Row<T>, E> {
                Ok(Row(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Row<T>, E> {
                Ok(Row(None))
            }
        }
        deserializer.deserialize_any(RowVisitor(std::marker::PhantomData))
    }
}

/// A row of a dated table (`jobInfo`, `employmentStatus`) for every employee
/// (`GET /v1/employees/all/tables/{table}`): what employments take from it.
#[derive(Debug, Deserialize)]
pub struct DatedRow {
    #[serde(rename = "employeeId", deserialize_with = "id")]
    pub employee_id: String,
    #[serde(default, deserialize_with = "text")]
    pub date: Option<String>,
    #[serde(rename = "jobTitle", default, deserialize_with = "text")]
    pub job_title: Option<String>,
    #[serde(rename = "employmentStatus", default, deserialize_with = "text")]
    pub employment_status: Option<String>,
}

/// A row of the compensation table (`GET /v1/employees/all/tables/compensation`).
#[derive(Debug, Deserialize)]
pub struct CompensationRow {
    #[serde(default, deserialize_with = "opt_id")]
    pub id: Option<String>,
    #[serde(rename = "employeeId", default, deserialize_with = "opt_id")]
    pub employee_id: Option<String>,
    #[serde(rename = "startDate", default, deserialize_with = "text")]
    pub start_date: Option<String>,
    /// `{"value": "55000.00", "currency": "USD"}`.
    #[serde(default)]
    pub rate: Option<serde_json::Value>,
    #[serde(rename = "paidPer", default, deserialize_with = "text")]
    pub paid_per: Option<String>,
    #[serde(rename = "paySchedule", default, deserialize_with = "text")]
    pub pay_schedule: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub exempt: Option<String>,
}

/// An employee of the custom report Joinery requests (`POST /v1/reports/custom`), keyed by the
/// field aliases it asks for.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportEmployee {
    #[serde(default, deserialize_with = "opt_id")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub employee_number: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub first_name: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub last_name: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub preferred_name: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub work_email: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub home_email: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub mobile_phone: Option<String>,
    #[serde(rename = "supervisorEId", default, deserialize_with = "text")]
    pub supervisor_eid: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub ssn: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub gender: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub ethnicity: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub marital_status: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub date_of_birth: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub hire_date: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub original_hire_date: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub termination_date: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub photo_url: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub department: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub division: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub location: Option<String>,
}

/// `GET /v1/employees/changed/tables/{table}?since=…`: every row of each changed employee.
#[derive(Debug, Deserialize)]
pub struct ChangedTable {
    #[serde(default)]
    pub employees: std::collections::HashMap<String, ChangedRows>,
}

#[derive(Debug, Deserialize)]
pub struct ChangedRows {
    /// As BambooHR wrote them: a row's text is its record's payload, as when read from the
    /// whole table, so a row read either way is stored the same.
    #[serde(default)]
    pub rows: Vec<Box<serde_json::value::RawValue>>,
}

/// `GET /v1/employees/changed?since=…`: `{latest, employees: {"<id>": {id, action, lastChanged}}}`.
#[derive(Debug, Deserialize)]
pub struct ChangedEmployees {
    #[serde(default)]
    pub employees: std::collections::HashMap<String, ChangedEmployee>,
}

#[derive(Debug, Deserialize)]
pub struct ChangedEmployee {
    #[serde(deserialize_with = "id")]
    pub id: String,
    pub action: String,
}

/// `GET /v1/employees/directory`: the company's current employees.
#[derive(Debug, Deserialize)]
pub struct Directory {
    #[serde(default)]
    pub employees: Vec<DirectoryEntry>,
}

#[derive(Debug, Deserialize)]
pub struct DirectoryEntry {
    #[serde(deserialize_with = "id")]
    pub id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_that_are_not_objects_are_skipped() {
        let rows: Vec<Row<CompensationRow>> =
            serde_json::from_str(r#"[null, "x", 3, [1, {"id": "2"}], {"id": 7, "employeeId": "9", "rate": null}]"#)
                .unwrap();
        assert_eq!(rows.iter().filter(|r| r.0.is_some()).count(), 1);
        let row = rows[4].0.as_ref().unwrap();
        assert_eq!((row.id.as_deref(), row.employee_id.as_deref()), (Some("7"), Some("9")));
        assert!(
            serde_json::from_str::<Row<DatedRow>>(r#"{"date": "2020-01-01"}"#).is_err(),
            "a row needs its employee"
        );
    }
}
