//! Mapping files: how one council's case-system export becomes `case-record/1`.
//!
//! A mapping is TOML. It renames columns, says which extra columns to ignore, translates local
//! values to codes, and may name the separator the export uses inside multi-valued fields:
//!
//! ```toml
//! ignore = ["Worker", "Team"]
//! list_separator = "|"
//!
//! [columns]
//! "Referral Ref" = "case_id"
//! "Client No" = "person_id"
//!
//! [values.outcomes_achieved]
//! "Fully Achieved" = "fully"
//! "FULL" = "fully"
//! ```
//!
//! It may also say that the export writes slash dates month first (`date_order =
//! "month_first"`; day first is the default, as the UK writes them), give a value for a blank
//! (`[defaults] sex = "unknown"`), and let columns it does not name pass unread
//! (`ignore_unmapped = true`; otherwise an unknown column stops the import, with a suggestion if
//! it looks like a misspelt one).
//!
//! Two shapes exports often have are built into case-record/1 columns:
//! - a multi-valued field as one ticked column per category: `[lists.risk_types]` names each
//!   column and the code it stands for (`"Neglect Y/N" = "neglect"`); a row's list is the codes
//!   of its ticked columns (`Y`, `Yes`, `1`, `X`, `True`; blank, `N`, `No`, `0`, `False` are not
//!   ticked; anything else rejects the row), joined with the column's own value if it has one;
//! - a date of birth instead of an age band: `date_of_birth = "DOB"` gives `age_band` the band
//!   of the person's age on the concern date, where the row gives none.
//!
//! For the file itself it may name its text encoding (`encoding = "windows-1252"`; see
//! `import::decode`) and, for an Excel workbook, the sheet to read (`sheet = "Concerns"`).
//!
//! An export in several files, joined by ids, is declared with one `[[join]]` per file beside the
//! main one (the file given to `msp-node import`, one row per case):
//!
//! ```toml
//! [[join]]
//! file = "persons.csv"          # beside the main file, unless the path is absolute
//! key = "Person ID"             # its column holding the id
//! on = "Client No"              # the column of the main file (or of an earlier join) that it matches
//! rows_per_case = "one"         # "one" (the default), "zero_or_one" or "any"
//!
//! [[join]]
//! file = "risks.csv"
//! key = "Concern ID"
//! on = "Referral Ref"
//! rows_per_case = "any"         # many rows per case: their values become lists
//! ```
//!
//! A joined file's other columns are mapped like the main file's (renames, values, ticked lists);
//! see `import::join` for the rules. A join may name its own `sheet` and columns to `ignore`.
//!
//! Every name and code is checked when the mapping is read, so a typo is reported before any
//! row is imported. Column and value names match ignoring case and surrounding spaces.

use std::collections::{BTreeMap, HashMap, HashSet};

use msp_schemas::Column;
use serde::Deserialize;

/// A mapping file that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MappingError {
    /// Not valid TOML, or keys this format does not have.
    #[error("the mapping file is not valid: {0}")]
    Syntax(String),
    /// A rename to something that is not a column.
    #[error(
        "the mapping renames {source_name:?} to {target:?}, which is not a case-record/1 column: expected one of {expected}"
    )]
    UnknownColumn {
        /// The export's column.
        source_name: String,
        /// The target given.
        target: String,
        /// Every column name.
        expected: String,
    },
    /// Two export columns renamed to one target.
    #[error("the mapping renames both {first:?} and {second:?} to {target}: each column may come from one place only")]
    DuplicateTarget {
        /// The target column.
        target: &'static str,
        /// One source.
        first: String,
        /// Another source.
        second: String,
    },
    /// A column both ignored and renamed.
    #[error("the mapping both ignores and renames {0:?}: choose one")]
    IgnoredAndRenamed(String),
    /// Value maps for something that is not a coded column.
    #[error("the mapping has [values.{0}], but {0} is not a coded case-record/1 column (coded columns: {1})")]
    NotCoded(String, String),
    /// A value mapped to something that is not a code.
    #[error("the mapping translates {local:?} in {column} to {code:?}, which is not one of its codes: {expected}")]
    UnknownCode {
        /// The column.
        column: &'static str,
        /// The local value.
        local: String,
        /// The target given.
        code: String,
        /// The column's codes.
        expected: String,
    },
    /// The same local value (ignoring case) mapped to two codes.
    #[error("the mapping translates {local:?} in {column} to both {first:?} and {second:?}")]
    Ambiguous {
        /// The column.
        column: &'static str,
        /// The local value.
        local: String,
        /// One code.
        first: String,
        /// The other.
        second: String,
    },
    /// An unusable list separator.
    #[error("list_separator must be a single character other than a comma or quote, not {0:?}")]
    BadSeparator(String),
    /// A date order that is not one of the two.
    #[error(
        "date_order must be \"day_first\" (1/4/2025 is 1 April) or \"month_first\" (4/1/2025 is 1 April), not {0:?}"
    )]
    BadDateOrder(String),
    /// A ticked-columns list for a column that is not multi-valued, or with a code it lacks.
    #[error("the mapping's [lists.{column}] {why}")]
    BadList {
        /// The column named.
        column: String,
        /// What is wrong.
        why: String,
    },
    /// A `[[join]]` that cannot be used.
    #[error("the mapping's [[join]] of {file:?} {why}")]
    BadJoin {
        /// The file it names.
        file: String,
        /// What is wrong.
        why: String,
    },
    /// An export column given two roles.
    #[error(
        "the mapping gives the export's column {0:?} two roles (renamed, ignored, a ticked list column or the date of birth): choose one"
    )]
    TwoRoles(String),
    /// A default for something that is not a column, or not a value of it.
    #[error("the mapping's [defaults] gives {column:?} the value {value:?}: {why}")]
    BadDefault {
        /// The column named.
        column: String,
        /// The value given.
        value: String,
        /// What is wrong.
        why: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    list_separator: Option<String>,
    #[serde(default)]
    columns: BTreeMap<String, String>,
    #[serde(default)]
    values: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    date_order: Option<String>,
    #[serde(default)]
    defaults: BTreeMap<String, String>,
    #[serde(default)]
    ignore_unmapped: bool,
    #[serde(default)]
    lists: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    date_of_birth: Option<String>,
    #[serde(default)]
    encoding: Option<String>,
    #[serde(default)]
    sheet: Option<String>,
    #[serde(default)]
    join: Vec<JoinEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JoinEntry {
    file: String,
    key: String,
    on: String,
    #[serde(default)]
    rows_per_case: Option<String>,
    #[serde(default)]
    sheet: Option<String>,
    #[serde(default)]
    ignore: Vec<String>,
}

/// How many rows of a joined file belong to one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PerCase {
    /// Exactly one (a persons file): a case without one is rejected.
    One,
    /// None or one (an enquiries file, where not every concern became an enquiry).
    ZeroOrOne,
    /// Any number (a risks file): their values are gathered into lists.
    Any,
}

/// A file joined to the main one by an id (`[[join]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Join {
    /// The file, as the mapping names it (relative to the main file's folder unless absolute).
    pub file: String,
    /// Its column holding the id.
    pub key: String,
    /// The column of the main file, or of an earlier join, holding the same id.
    pub on: String,
    /// How many of its rows one case has.
    pub per_case: PerCase,
    /// For a workbook, the sheet to read (otherwise the first).
    pub sheet: Option<String>,
    /// Its columns to leave unread.
    pub ignore: Vec<String>,
}

/// A value an export column gives towards a case-record/1 column, other than the column itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derived {
    /// One ticked category of a multi-valued column: when ticked, the code is in the list.
    Ticked(Column, &'static str),
    /// The person's date of birth, from which `age_band` is derived on the concern date.
    BirthDate,
}

/// What a header name in an export means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    /// A case-record/1 column (by name, or renamed by the mapping).
    Column(Column),
    /// A column the mapping says to ignore.
    Ignored,
    /// A column the mapping builds another column's value from.
    Derived(Derived),
    /// Neither: the import cannot go on.
    Unknown,
}

/// A checked mapping.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    renames: HashMap<String, Column>,
    ignore: HashSet<String>,
    separator: Option<char>,
    values: HashMap<Column, HashMap<String, &'static str>>,
    month_first: bool,
    defaults: HashMap<Column, String>,
    ignore_unmapped: bool,
    derived: HashMap<String, Derived>,
    encoding: Option<String>,
    sheet: Option<String>,
    joins: Vec<Join>,
}

pub(super) fn key(s: &str) -> String {
    s.trim().to_lowercase()
}

impl Mapping {
    /// Reads and checks a mapping from TOML text.
    pub fn parse(text: &str) -> Result<Self, MappingError> {
        let file: MappingFile = toml::from_str(text).map_err(|e| MappingError::Syntax(e.to_string()))?;
        let all_columns = || Column::ALL.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ");
        let mut m = Mapping { ignore: file.ignore.iter().map(|s| key(s)).collect(), ..Mapping::default() };
        let mut sources: HashMap<Column, String> = HashMap::new();
        for (source, target) in &file.columns {
            let column = Column::from_name(&key(target)).ok_or_else(|| MappingError::UnknownColumn {
                source_name: source.clone(),
                target: target.clone(),
                expected: all_columns(),
            })?;
            if m.ignore.contains(&key(source)) {
                return Err(MappingError::IgnoredAndRenamed(source.clone()));
            }
            if let Some(first) = sources.insert(column, source.clone()) {
                return Err(MappingError::DuplicateTarget { target: column.name(), first, second: source.clone() });
            }
            m.renames.insert(key(source), column);
        }
        if let Some(sep) = &file.list_separator {
            let mut chars = sep.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if c != ',' && c != '"' => m.separator = Some(c),
                _ => return Err(MappingError::BadSeparator(sep.clone())),
            }
        }
        for (name, table) in &file.values {
            let coded =
                || Column::ALL.iter().filter(|c| c.codes().is_some()).map(|c| c.name()).collect::<Vec<_>>().join(", ");
            let column = Column::from_name(&key(name)).ok_or_else(|| MappingError::NotCoded(name.clone(), coded()))?;
            let codes = column.codes().ok_or_else(|| MappingError::NotCoded(name.clone(), coded()))?;
            let map = m.values.entry(column).or_default();
            for (local, code) in table {
                let target = codes.iter().copied().find(|c| c.eq_ignore_ascii_case(code.trim())).ok_or_else(|| {
                    MappingError::UnknownCode {
                        column: column.name(),
                        local: local.clone(),
                        code: code.clone(),
                        expected: codes.join(", "),
                    }
                })?;
                if let Some(previous) = map.insert(key(local), target)
                    && previous != target
                {
                    return Err(MappingError::Ambiguous {
                        column: column.name(),
                        local: local.clone(),
                        first: previous.to_owned(),
                        second: target.to_owned(),
                    });
                }
            }
        }
        m.month_first = match file.date_order.as_deref().map(key).as_deref() {
            None | Some("day_first") => false,
            Some("month_first") => true,
            Some(_) => return Err(MappingError::BadDateOrder(file.date_order.clone().unwrap_or_default())),
        };
        for (name, value) in &file.defaults {
            let bad = |why: String| MappingError::BadDefault { column: name.clone(), value: value.clone(), why };
            let column =
                Column::from_name(&key(name)).ok_or_else(|| bad("that is not a case-record/1 column".into()))?;
            if column.required() {
                return Err(bad(format!("{} is required, so a blank one is an error, not a default", column.name())));
            }
            let value = m.translate(column, value);
            if let Some(codes) = column.codes() {
                let every = value.split(';').map(str::trim).filter(|v| !v.is_empty());
                if let Some(v) = every.clone().find(|v| !codes.iter().any(|c| c.eq_ignore_ascii_case(v))) {
                    return Err(bad(format!("{v:?} is not one of its codes: {}", codes.join(", "))));
                }
            }
            m.defaults.insert(column, value);
        }
        m.ignore_unmapped = file.ignore_unmapped;
        (m.encoding, m.sheet) = (file.encoding.clone(), file.sheet.clone());
        let role = |source: &str, d: Derived, m: &mut Mapping| {
            let k = key(source);
            if m.ignore.contains(&k) || m.renames.contains_key(&k) || m.derived.insert(k, d).is_some() {
                return Err(MappingError::TwoRoles(source.to_owned()));
            }
            Ok(())
        };
        for (name, table) in &file.lists {
            let bad = |why: String| MappingError::BadList { column: name.clone(), why };
            let column = Column::from_name(&key(name)).filter(|c| c.multi_valued()).ok_or_else(|| {
                bad("is not a multi-valued column (risk_types, desired_outcomes, negotiated_outcomes, approaches)"
                    .into())
            })?;
            let codes = column.codes().unwrap_or_default();
            for (source, code) in table {
                let code = codes.iter().copied().find(|c| c.eq_ignore_ascii_case(code.trim())).ok_or_else(|| {
                    bad(format!("maps {source:?} to {code:?}, which is not one of its codes: {}", codes.join(", ")))
                })?;
                role(source, Derived::Ticked(column, code), &mut m)?;
            }
        }
        if let Some(source) = &file.date_of_birth {
            role(source, Derived::BirthDate, &mut m)?;
        }
        for j in file.join {
            let bad = |why: &str| MappingError::BadJoin { file: j.file.clone(), why: why.to_owned() };
            let per_case = match j.rows_per_case.as_deref().map(key).as_deref() {
                None | Some("one") => PerCase::One,
                Some("zero_or_one") => PerCase::ZeroOrOne,
                Some("any") => PerCase::Any,
                Some(_) => return Err(bad("has a rows_per_case that is not \"one\", \"zero_or_one\" or \"any\"")),
            };
            if j.file.trim().is_empty() || j.key.trim().is_empty() || j.on.trim().is_empty() {
                return Err(bad("needs a file, its key column and the column it matches (on)"));
            }
            if m.joins.iter().any(|o| o.file.trim() == j.file.trim() && o.sheet == j.sheet) {
                return Err(bad("is there twice"));
            }
            if j.ignore.iter().any(|i| key(i) == key(&j.key)) {
                return Err(bad("ignores its own key column"));
            }
            m.joins.push(Join { file: j.file, key: j.key, on: j.on, per_case, sheet: j.sheet, ignore: j.ignore });
        }
        Ok(m)
    }

    /// The value a blank `column` takes, if the mapping gives one.
    pub fn default_for(&self, column: Column) -> Option<&str> {
        self.defaults.get(&column).map(String::as_str)
    }

    /// How the export writes slash dates.
    pub fn slash_order(&self) -> msp_schemas::case_record::SlashOrder {
        if self.month_first {
            msp_schemas::case_record::SlashOrder::MonthFirst
        } else {
            msp_schemas::case_record::SlashOrder::DayFirst
        }
    }

    /// Whether columns the mapping does not name pass unread.
    pub fn ignores_unmapped(&self) -> bool {
        self.ignore_unmapped
    }

    /// The text encoding the mapping names for the export (`encoding = "windows-1252"`), if any:
    /// checked when the file is opened.
    pub fn encoding(&self) -> Option<&str> {
        self.encoding.as_deref()
    }

    /// The workbook sheet the mapping names (`sheet = "Concerns"`), if any; otherwise the first.
    pub fn sheet(&self) -> Option<&str> {
        self.sheet.as_deref()
    }

    /// The files joined to the main one, in the mapping's order.
    pub fn joins(&self) -> &[Join] {
        &self.joins
    }

    /// The separator of multi-valued fields in the export.
    pub fn list_separator(&self) -> char {
        self.separator.unwrap_or(';')
    }

    /// What an export's header name means.
    pub fn resolve_header(&self, name: &str) -> Header {
        let k = key(name);
        if self.ignore.contains(&k) {
            return Header::Ignored;
        }
        if let Some(c) = self.renames.get(&k) {
            return Header::Column(*c);
        }
        if let Some(d) = self.derived.get(&k) {
            return Header::Derived(*d);
        }
        Column::from_name(&k).map_or(Header::Unknown, Header::Column)
    }

    /// Whether values of `column` need translating before validation.
    pub fn translates(&self, column: Column) -> bool {
        self.values.contains_key(&column)
            || (column.multi_valued() && self.separator.is_some())
            || (self.month_first && column.is_date())
    }

    /// Translates one value of `column`: local values become codes; lists are split on the
    /// export's separator and rejoined with `;`. Values the mapping does not mention pass as given.
    pub fn translate(&self, column: Column, value: &str) -> String {
        let map = self.values.get(&column);
        let one = |v: &str| -> String {
            match map.and_then(|m| m.get(&key(v))) {
                Some(code) => (*code).to_owned(),
                None => v.trim().to_owned(),
            }
        };
        if self.month_first && column.is_date() {
            // Rewritten as ISO when it reads month first; anything else is left for validation to
            // report as it is.
            return msp_schemas::case_record::parse_date_in(value, msp_schemas::case_record::SlashOrder::MonthFirst)
                .map_or_else(|_| value.trim().to_owned(), |d| d.to_string());
        }
        if column.multi_valued() {
            let sep = self.separator.unwrap_or(';');
            value.split(sep).filter(|v| !v.trim().is_empty()).map(one).collect::<Vec<_>>().join(";")
        } else {
            one(value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
ignore = ["Worker"]
list_separator = "|"

[columns]
"Referral Ref" = "case_id"
"Client No" = "person_id"

[values.outcomes_achieved]
"Fully Achieved" = "fully"
"FULL" = "fully"

[values.risk_types]
"Neglect/Omission" = "neglect"
"#;

    #[test]
    fn headers_resolve_through_renames_ignores_and_names() {
        let m = Mapping::parse(EXAMPLE).unwrap();
        assert_eq!(m.resolve_header(" referral ref "), Header::Column(Column::CaseId));
        assert_eq!(m.resolve_header("Worker"), Header::Ignored);
        assert_eq!(m.resolve_header("Concern_Date"), Header::Column(Column::ConcernDate));
        assert_eq!(m.resolve_header("Notes"), Header::Unknown);
    }

    #[test]
    fn values_translate_ignoring_case_and_lists_are_resplit() {
        let m = Mapping::parse(EXAMPLE).unwrap();
        assert_eq!(m.translate(Column::OutcomesAchieved, "full"), "fully");
        assert_eq!(m.translate(Column::OutcomesAchieved, " Fully Achieved "), "fully");
        assert_eq!(m.translate(Column::OutcomesAchieved, "partially"), "partially");
        assert_eq!(m.translate(Column::RiskTypes, "Neglect/Omission|financial||"), "neglect;financial");
        assert!(m.translates(Column::Approaches));
        assert!(!m.translates(Column::Sex));
    }

    #[test]
    fn a_rename_to_an_unknown_column_is_refused_naming_the_columns() {
        let err = Mapping::parse("[columns]\n\"Ref\" = \"case_ref\"\n").unwrap_err();
        assert!(matches!(err, MappingError::UnknownColumn { .. }));
        assert!(err.to_string().contains("case_id, person_id"), "{err}");
    }

    #[test]
    fn an_unknown_code_target_is_refused_naming_the_codes() {
        let err = Mapping::parse("[values.sex]\n\"F\" = \"woman\"\n").unwrap_err();
        assert!(err.to_string().contains("male, female, unknown"), "{err}");
    }

    #[test]
    fn values_for_an_uncoded_or_unknown_column_are_refused() {
        assert!(matches!(Mapping::parse("[values.concern_date]\n\"x\" = \"y\"\n"), Err(MappingError::NotCoded(..))));
        assert!(matches!(Mapping::parse("[values.colour]\n\"x\" = \"y\"\n"), Err(MappingError::NotCoded(..))));
    }

    #[test]
    fn two_sources_for_one_column_are_refused() {
        let err = Mapping::parse("[columns]\n\"A\" = \"case_id\"\n\"B\" = \"case_id\"\n").unwrap_err();
        assert!(matches!(err, MappingError::DuplicateTarget { target: "case_id", .. }), "{err}");
    }

    #[test]
    fn ambiguous_ignored_and_malformed_mappings_are_refused() {
        assert!(matches!(
            Mapping::parse("[values.sex]\n\"F\" = \"female\"\n\"f\" = \"male\"\n"),
            Err(MappingError::Ambiguous { .. })
        ));
        assert!(matches!(
            Mapping::parse("ignore = [\"A\"]\n[columns]\n\"A\" = \"case_id\"\n"),
            Err(MappingError::IgnoredAndRenamed(_))
        ));
        assert!(matches!(Mapping::parse("list_separator = \",\""), Err(MappingError::BadSeparator(_))));
        let err = Mapping::parse("colour = 1").unwrap_err().to_string();
        assert!(err.contains("colour"), "{err}");
        assert!(matches!(Mapping::parse("[columns"), Err(MappingError::Syntax(_))));
    }
}
