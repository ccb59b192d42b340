use serde::{Deserialize, Serialize};

/// Merge's `CategoriesEnum`: the API categories an integration (and a link token) can belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Hris,
    Ats,
    Accounting,
    Ticketing,
    Crm,
    Mktg,
    Filestorage,
    Knowledgebase,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Hris,
        Category::Ats,
        Category::Accounting,
        Category::Ticketing,
        Category::Crm,
        Category::Mktg,
        Category::Filestorage,
        Category::Knowledgebase,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Category::Hris => "hris",
            Category::Ats => "ats",
            Category::Accounting => "accounting",
            Category::Ticketing => "ticketing",
            Category::Crm => "crm",
            Category::Mktg => "mktg",
            Category::Filestorage => "filestorage",
            Category::Knowledgebase => "knowledgebase",
        }
    }

    /// Exact, case-sensitive match, as Merge's enum is.
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips_every_category() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        assert_eq!(Category::parse("HRIS"), None);
        assert_eq!(Category::parse("payroll"), None);
    }
}
