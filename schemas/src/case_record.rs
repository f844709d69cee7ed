//! `case-record/1`: one row of a council's case file (DESIGN §5).
//!
//! A row is one safeguarding concern, which may have become an enquiry. The node's importer reads
//! CSV, applies the council's mapping, and hands each row to [`CaseRecord::validate`] as a
//! [`RawRow`]. Validation is the only way to make a [`CaseRecord`]: a row either becomes a record
//! (perhaps with warnings about inconsistent but usable values) or is rejected with every problem
//! it has, each naming the column, the value and the reason.

use std::{fmt, str::FromStr};

use time::Date;

use crate::codes::{
    AgeBand, Approach, CapacitySupport, CodeError, CodeList, CodeSet, DesiredOutcome, EnquiryType, Ethnicity, Feedback,
    LackedCapacity, OutcomesAchieved, OutcomesAsked, RiskAction, RiskLocation, RiskOutcome, RiskSource, RiskType, Sex,
    SupportReason,
};

/// The identifier of this case file format.
pub const CASE_RECORD_FORMAT: &str = "case-record/1";

/// Longest accepted `case_id` or `person_id`, in characters.
pub const MAX_ID_LEN: usize = 100;

/// Largest accepted count of meetings in one enquiry: beyond this a value is a data error.
pub const MAX_MEETINGS: u32 = 10_000;

/// Largest accepted number of staff hours on one enquiry: beyond this a value is a data error.
pub const MAX_STAFF_HOURS: f64 = 100_000.0;

macro_rules! columns {
    ($($variant:ident => $name:literal, $required:literal, $desc:literal;)+) => {
        /// A column of the case file.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Column {
            $(
                #[doc = concat!("`", $name, "`: ", $desc)]
                $variant,
            )+
        }

        impl Column {
            /// Every column, in the order of DESIGN §5 (and of files the node writes).
            pub const ALL: &'static [Column] = &[$(Column::$variant,)+];

            /// The column's name in a case file header.
            pub fn name(self) -> &'static str {
                match self { $(Column::$variant => $name,)+ }
            }

            /// Whether every row must have a value.
            pub fn required(self) -> bool {
                match self { $(Column::$variant => $required,)+ }
            }

            /// What the column holds, for people writing an export or a mapping.
            pub fn description(self) -> &'static str {
                match self { $(Column::$variant => $desc,)+ }
            }
        }
    };
}

columns! {
    CaseId => "case_id", true, "The council's concern or enquiry reference, unique within the council.";
    PersonId => "person_id", true, "The council's reference for the adult at risk; the node keeps only a keyed hash of it.";
    ConcernDate => "concern_date", true, "Date the concern was received (YYYY-MM-DD, DD/MM/YYYY, DD-Mon-YYYY or D Month YYYY; a time after it is ignored).";
    EnquiryType => "enquiry_type", false, "Whether the concern led to an enquiry; blank while not yet decided.";
    EnquiryStartDate => "enquiry_start_date", false, "Date the enquiry started.";
    ConcludedDate => "concluded_date", false, "Date the enquiry concluded; not before the concern date.";
    AgeBand => "age_band", false, "Age band of the adult at risk.";
    Sex => "sex", false, "Sex of the adult at risk.";
    Ethnicity => "ethnicity", false, "Ethnic group of the adult at risk.";
    PrimarySupportReason => "primary_support_reason", false, "Primary support reason.";
    RiskTypes => "risk_types", false, "Types of risk, a ;-separated list.";
    RiskLocation => "risk_location", false, "Location of the risk.";
    RiskSource => "risk_source", false, "Source of the risk.";
    OutcomesAsked => "outcomes_asked", false, "Whether the person was asked about, and expressed, desired outcomes.";
    DesiredOutcomes => "desired_outcomes", false, "Outcomes the person wanted, a ;-separated list.";
    NegotiatedOutcomes => "negotiated_outcomes", false, "Outcomes agreed as realistic, a ;-separated list.";
    OutcomesAchieved => "outcomes_achieved", false, "Whether the expressed outcomes were achieved.";
    RiskAction => "risk_action", false, "Result of the risk assessment and action taken (SAC SG2c).";
    RiskOutcome => "risk_outcome", false, "What happened to an identified risk.";
    LackedCapacity => "lacked_capacity", false, "Whether the person lacked capacity about the safeguarding risk.";
    CapacitySupport => "capacity_support", false, "Support for a person who lacked capacity.";
    MeetingsWithPerson => "meetings_with_person", false, "Meetings held with the person (whole number, 0 or more).";
    MultiagencyMeetings => "multiagency_meetings", false, "Multi-agency meetings held (whole number, 0 or more).";
    StaffHours => "staff_hours", false, "Staff hours spent on the enquiry (decimal, 0 or more).";
    Approaches => "approaches", false, "Approaches used, a ;-separated list.";
    FeedbackFeltSafer => "feedback_felt_safer", false, "Whether the person said they felt safer.";
    FeedbackListenedTo => "feedback_listened_to", false, "Whether the person said they were listened to.";
}

impl Column {
    /// Number of columns.
    pub const COUNT: usize = Column::ALL.len();

    /// The column with this header name (exact match).
    pub fn from_name(name: &str) -> Option<Column> {
        Column::ALL.iter().copied().find(|c| c.name() == name)
    }

    /// The code list a coded column draws from, with its codes.
    pub fn codes(self) -> Option<Vec<&'static str>> {
        Some(match self {
            Column::EnquiryType => EnquiryType::codes(),
            Column::AgeBand => AgeBand::codes(),
            Column::Sex => Sex::codes(),
            Column::Ethnicity => Ethnicity::codes(),
            Column::PrimarySupportReason => SupportReason::codes(),
            Column::RiskTypes => RiskType::codes(),
            Column::RiskLocation => RiskLocation::codes(),
            Column::RiskSource => RiskSource::codes(),
            Column::OutcomesAsked => OutcomesAsked::codes(),
            Column::DesiredOutcomes | Column::NegotiatedOutcomes => DesiredOutcome::codes(),
            Column::OutcomesAchieved => OutcomesAchieved::codes(),
            Column::RiskAction => RiskAction::codes(),
            Column::RiskOutcome => RiskOutcome::codes(),
            Column::LackedCapacity => LackedCapacity::codes(),
            Column::CapacitySupport => CapacitySupport::codes(),
            Column::Approaches => Approach::codes(),
            Column::FeedbackFeltSafer | Column::FeedbackListenedTo => Feedback::codes(),
            _ => return None,
        })
    }

    /// Whether the column holds a `;`-separated list.
    pub fn multi_valued(self) -> bool {
        matches!(self, Column::RiskTypes | Column::DesiredOutcomes | Column::NegotiatedOutcomes | Column::Approaches)
    }

    /// Whether the column holds a date.
    pub fn is_date(self) -> bool {
        matches!(self, Column::ConcernDate | Column::EnquiryStartDate | Column::ConcludedDate)
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One row's text values by column, as the importer read them (after any mapping).
/// Columns the file does not have are blank.
#[derive(Clone, Default)]
pub struct RawRow<'a> {
    values: [&'a str; Column::COUNT],
}

impl<'a> RawRow<'a> {
    /// A row with every column blank.
    pub fn new() -> Self {
        Self { values: [""; Column::COUNT] }
    }

    /// Sets one column's text.
    pub fn set(&mut self, column: Column, value: &'a str) -> &mut Self {
        self.values[column as usize] = value;
        self
    }

    /// One column's text (blank if unset).
    pub fn get(&self, column: Column) -> &'a str {
        self.values[column as usize]
    }
}

impl fmt::Debug for RawRow<'_> {
    /// Case fields never reach logs: only which columns are filled is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let filled: Vec<_> =
            Column::ALL.iter().filter(|c| !self.get(**c).trim().is_empty()).map(|c| c.name()).collect();
        f.debug_struct("RawRow").field("filled", &filled).finish()
    }
}

/// A problem with one value in a row: an error that rejects the row, or a warning about an
/// inconsistent but usable value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIssue {
    /// The column.
    pub column: Column,
    /// The value as given.
    pub value: String,
    /// Why it is a problem and, where it helps, what to do.
    pub reason: String,
}

impl fmt::Display for FieldIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}: {}", self.column, self.value, self.reason)
    }
}

/// A rejected row: every problem found, in column order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("row rejected: {}", .issues.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct RowRejected {
    /// The problems, at least one.
    pub issues: Vec<FieldIssue>,
}

/// A record that passed validation, and the warnings it raised.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    /// The record.
    pub record: CaseRecord,
    /// Inconsistent but usable values, imported as given.
    pub warnings: Vec<FieldIssue>,
}

/// One valid row of a case file. Built only by [`CaseRecord::validate`].
#[derive(Clone, PartialEq)]
pub struct CaseRecord {
    case_id: String,
    person_id: String,
    concern_date: Date,
    enquiry_type: Option<EnquiryType>,
    enquiry_start_date: Option<Date>,
    concluded_date: Option<Date>,
    age_band: Option<AgeBand>,
    sex: Option<Sex>,
    ethnicity: Option<Ethnicity>,
    primary_support_reason: Option<SupportReason>,
    risk_types: CodeSet<RiskType>,
    risk_location: Option<RiskLocation>,
    risk_source: Option<RiskSource>,
    outcomes_asked: Option<OutcomesAsked>,
    desired_outcomes: CodeSet<DesiredOutcome>,
    negotiated_outcomes: CodeSet<DesiredOutcome>,
    outcomes_achieved: Option<OutcomesAchieved>,
    risk_action: Option<RiskAction>,
    risk_outcome: Option<RiskOutcome>,
    lacked_capacity: Option<LackedCapacity>,
    capacity_support: Option<CapacitySupport>,
    meetings_with_person: Option<u32>,
    multiagency_meetings: Option<u32>,
    staff_hours: Option<f64>,
    approaches: CodeSet<Approach>,
    feedback_felt_safer: Option<Feedback>,
    feedback_listened_to: Option<Feedback>,
}

impl fmt::Debug for CaseRecord {
    /// Case fields never reach logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CaseRecord { .. }")
    }
}

/// Collects the problems of one row while it is checked column by column.
struct Checker<'r, 'a> {
    row: &'r RawRow<'a>,
    errors: Vec<FieldIssue>,
    warnings: Vec<FieldIssue>,
}

impl<'a> Checker<'_, 'a> {
    fn text(&self, column: Column) -> &'a str {
        self.row.get(column).trim()
    }

    fn issue(&self, column: Column, reason: impl Into<String>) -> FieldIssue {
        FieldIssue { column, value: self.row.get(column).to_owned(), reason: reason.into() }
    }

    fn reject(&mut self, column: Column, reason: impl Into<String>) {
        let issue = self.issue(column, reason);
        self.errors.push(issue);
    }

    fn warn(&mut self, column: Column, reason: impl Into<String>) {
        let issue = self.issue(column, reason);
        self.warnings.push(issue);
    }

    fn id(&mut self, column: Column) -> String {
        let v = self.text(column);
        if v.is_empty() {
            self.reject(column, format!("{column} is required and is blank"));
        } else if v.chars().count() > MAX_ID_LEN {
            self.reject(column, format!("longer than {MAX_ID_LEN} characters"));
        } else if v.chars().any(char::is_control) {
            self.reject(column, "contains control characters");
        }
        v.to_owned()
    }

    fn date(&mut self, column: Column) -> Option<Date> {
        let v = self.text(column);
        if v.is_empty() {
            if column.required() {
                self.reject(column, format!("{column} is required and is blank"));
            }
            return None;
        }
        match parse_date(v) {
            Ok(d) => Some(d),
            Err(reason) => {
                self.reject(column, reason);
                None
            }
        }
    }

    fn code<T: CodeList>(&mut self, column: Column) -> Option<T> {
        let v = self.text(column);
        if v.is_empty() {
            return None;
        }
        match T::parse_code(v) {
            Ok(c) => Some(c),
            Err(e) => {
                self.reject(column, unknown_code_reason(&e));
                None
            }
        }
    }

    fn codes<T: CodeList>(&mut self, column: Column) -> CodeSet<T> {
        match CodeSet::parse_list(self.text(column)) {
            Ok(set) => set,
            Err(e) => {
                self.reject(column, unknown_code_reason(&e));
                CodeSet::new()
            }
        }
    }

    fn count(&mut self, column: Column) -> Option<u32> {
        let v = self.text(column);
        if v.is_empty() {
            return None;
        }
        let (negative, digits) = match v.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, v),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            self.reject(column, "not a whole number: write a count such as 0, 1 or 12");
            return None;
        }
        if negative && digits.bytes().any(|b| b != b'0') {
            self.reject(column, "negative: a count of meetings is 0 or more");
            return None;
        }
        match digits.parse::<u32>() {
            Ok(n) if n <= MAX_MEETINGS => Some(n),
            _ => {
                self.reject(column, format!("more than {MAX_MEETINGS}: check the export"));
                None
            }
        }
    }

    fn hours(&mut self, column: Column) -> Option<f64> {
        let v = self.text(column);
        if v.is_empty() {
            return None;
        }
        let (negative, body) = match v.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, v),
        };
        let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
        let decimal = !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit())
            && !(body.contains('.') && frac.is_empty());
        if !decimal {
            self.reject(column, "not a decimal number: write hours such as 7 or 7.5");
            return None;
        }
        let n: f64 = body.parse().unwrap_or(f64::INFINITY);
        if negative && n > 0.0 {
            self.reject(column, "negative: staff hours are 0 or more");
            None
        } else if n > MAX_STAFF_HOURS {
            self.reject(column, format!("more than {MAX_STAFF_HOURS} hours: check the export"));
            None
        } else {
            Some(n)
        }
    }
}

fn unknown_code_reason(e: &CodeError) -> String {
    format!(
        "{:?} is not a code of {}: expected one of {} (map local values with a mapping file)",
        e.value.trim(),
        e.list,
        e.expected
    )
}

impl CaseRecord {
    /// Checks a row against every rule of `case-record/1` and builds a record.
    ///
    /// Rejects: a blank required column, an unparseable date, an unknown code, a negative or
    /// malformed number, `concluded_date` before `concern_date`, and a concluded date on a
    /// concern that did not become an enquiry. Warns (and imports as given): outcomes recorded
    /// for a person who expressed none, a risk outcome where no risk was identified, capacity
    /// support for a person who did not lack capacity, and dates out of their usual order.
    pub fn validate(row: &RawRow<'_>) -> Result<Validated, RowRejected> {
        let mut c = Checker { row, errors: Vec::new(), warnings: Vec::new() };
        let case_id = c.id(Column::CaseId);
        let person_id = c.id(Column::PersonId);
        let concern_date = c.date(Column::ConcernDate);
        let enquiry_type = c.code::<EnquiryType>(Column::EnquiryType);
        let enquiry_start_date = c.date(Column::EnquiryStartDate);
        let concluded_date = c.date(Column::ConcludedDate);
        let record = CaseRecord {
            case_id,
            person_id,
            // Placeholder until errors are checked below; never returned when the date is missing.
            concern_date: concern_date.unwrap_or(Date::MIN),
            enquiry_type,
            enquiry_start_date,
            concluded_date,
            age_band: c.code(Column::AgeBand),
            sex: c.code(Column::Sex),
            ethnicity: c.code(Column::Ethnicity),
            primary_support_reason: c.code(Column::PrimarySupportReason),
            risk_types: c.codes(Column::RiskTypes),
            risk_location: c.code(Column::RiskLocation),
            risk_source: c.code(Column::RiskSource),
            outcomes_asked: c.code(Column::OutcomesAsked),
            desired_outcomes: c.codes(Column::DesiredOutcomes),
            negotiated_outcomes: c.codes(Column::NegotiatedOutcomes),
            outcomes_achieved: c.code(Column::OutcomesAchieved),
            risk_action: c.code(Column::RiskAction),
            risk_outcome: c.code(Column::RiskOutcome),
            lacked_capacity: c.code(Column::LackedCapacity),
            capacity_support: c.code(Column::CapacitySupport),
            meetings_with_person: c.count(Column::MeetingsWithPerson),
            multiagency_meetings: c.count(Column::MultiagencyMeetings),
            staff_hours: c.hours(Column::StaffHours),
            approaches: c.codes(Column::Approaches),
            feedback_felt_safer: c.code(Column::FeedbackFeltSafer),
            feedback_listened_to: c.code(Column::FeedbackListenedTo),
        };

        if let (Some(concern), Some(concluded)) = (concern_date, concluded_date)
            && concluded < concern
        {
            c.reject(
                Column::ConcludedDate,
                format!("before the concern date {concern}: an enquiry cannot conclude before its concern"),
            );
        }
        if concluded_date.is_some() && !matches!(enquiry_type, Some(EnquiryType::S42 | EnquiryType::Other)) {
            let why = match enquiry_type {
                Some(_) => "the concern did not lead to an enquiry (enquiry_type is none)",
                None => "enquiry_type is blank",
            };
            c.reject(
                Column::ConcludedDate,
                format!("a concluded date needs an enquiry, but {why}: set enquiry_type to s42 or other"),
            );
        }
        if let (Some(concern), Some(start)) = (concern_date, enquiry_start_date)
            && start < concern
        {
            c.warn(Column::EnquiryStartDate, format!("before the concern date {concern}"));
        }
        if let (Some(start), Some(concluded)) = (enquiry_start_date, concluded_date)
            && concluded < start
        {
            c.warn(Column::ConcludedDate, format!("before the enquiry start date {start}"));
        }
        if enquiry_start_date.is_some() && enquiry_type == Some(EnquiryType::NoEnquiry) {
            c.warn(Column::EnquiryStartDate, "an enquiry start date on a concern that did not lead to an enquiry");
        }

        let expressed = record.outcomes_asked == Some(OutcomesAsked::AskedExpressed);
        if record.outcomes_achieved.is_some() && !expressed {
            c.warn(Column::OutcomesAchieved, "outcomes achieved is recorded but outcomes_asked is not asked_expressed; it is not counted as an achieved outcome");
        }
        for column in [Column::DesiredOutcomes, Column::NegotiatedOutcomes] {
            if !c.text(column).is_empty() && !expressed && !c.errors.iter().any(|e| e.column == column) {
                c.warn(column, "outcomes are listed but outcomes_asked is not asked_expressed");
            }
        }
        if record.risk_outcome.is_some()
            && matches!(record.risk_action, Some(RiskAction::NoRiskAction | RiskAction::NoRiskNoAction))
        {
            c.warn(Column::RiskOutcome, "a risk outcome is recorded but risk_action says no risk was identified");
        }
        if record.capacity_support.is_some() && record.lacked_capacity != Some(LackedCapacity::Yes) {
            c.warn(Column::CapacitySupport, "capacity support is recorded but lacked_capacity is not yes");
        }
        // Values a release counts only up to a cap (DESIGN §6): imported as given, but said.
        use crate::spec::{DAYS_SUM_UPPER, HOURS_SUM_UPPER, MEETINGS_SUM_UPPER};
        for (column, value) in [
            (Column::MeetingsWithPerson, record.meetings_with_person),
            (Column::MultiagencyMeetings, record.multiagency_meetings),
        ] {
            if let Some(n) = value.filter(|&n| n > MEETINGS_SUM_UPPER) {
                c.warn(column, format!("{n} meetings is more than {MEETINGS_SUM_UPPER}, the most a release counts for one enquiry: it is counted as {MEETINGS_SUM_UPPER}"));
            }
        }
        if let Some(h) = record.staff_hours.filter(|&h| h > f64::from(HOURS_SUM_UPPER)) {
            c.warn(Column::StaffHours, format!("{h} hours is more than {HOURS_SUM_UPPER}, the most a release counts for one enquiry: it is counted as {HOURS_SUM_UPPER} (check the export gives hours, not minutes)"));
        }
        if let (Some(concern), Some(concluded)) = (concern_date, concluded_date)
            && (concluded - concern).whole_days() > i64::from(DAYS_SUM_UPPER)
        {
            let days = (concluded - concern).whole_days();
            c.warn(Column::ConcludedDate, format!("the enquiry took {days} days from the concern, more than {DAYS_SUM_UPPER}: it is counted as 366+ days, and as {DAYS_SUM_UPPER} in the mean (check the dates)"));
        }

        if c.errors.is_empty() {
            Ok(Validated { record, warnings: c.warnings })
        } else {
            c.errors.sort_by_key(|e| e.column);
            Err(RowRejected { issues: c.errors })
        }
    }

    /// The council's concern or enquiry reference.
    pub fn case_id(&self) -> &str {
        &self.case_id
    }
    /// The council's person reference, as given (the node hashes it before storing).
    pub fn person_id(&self) -> &str {
        &self.person_id
    }
    /// Date the concern was received.
    pub fn concern_date(&self) -> Date {
        self.concern_date
    }
    /// Whether the concern led to an enquiry; `None` while undecided.
    pub fn enquiry_type(&self) -> Option<EnquiryType> {
        self.enquiry_type
    }
    /// Date the enquiry started.
    pub fn enquiry_start_date(&self) -> Option<Date> {
        self.enquiry_start_date
    }
    /// Date the enquiry concluded (then `enquiry_type` is `s42` or `other`).
    pub fn concluded_date(&self) -> Option<Date> {
        self.concluded_date
    }
    /// Age band.
    pub fn age_band(&self) -> Option<AgeBand> {
        self.age_band
    }
    /// Sex.
    pub fn sex(&self) -> Option<Sex> {
        self.sex
    }
    /// Ethnic group.
    pub fn ethnicity(&self) -> Option<Ethnicity> {
        self.ethnicity
    }
    /// Primary support reason.
    pub fn primary_support_reason(&self) -> Option<SupportReason> {
        self.primary_support_reason
    }
    /// Types of risk.
    pub fn risk_types(&self) -> CodeSet<RiskType> {
        self.risk_types
    }
    /// Location of the risk.
    pub fn risk_location(&self) -> Option<RiskLocation> {
        self.risk_location
    }
    /// Source of the risk.
    pub fn risk_source(&self) -> Option<RiskSource> {
        self.risk_source
    }
    /// Whether the person was asked about outcomes.
    pub fn outcomes_asked(&self) -> Option<OutcomesAsked> {
        self.outcomes_asked
    }
    /// Outcomes the person wanted.
    pub fn desired_outcomes(&self) -> CodeSet<DesiredOutcome> {
        self.desired_outcomes
    }
    /// Outcomes agreed as realistic.
    pub fn negotiated_outcomes(&self) -> CodeSet<DesiredOutcome> {
        self.negotiated_outcomes
    }
    /// Whether the expressed outcomes were achieved.
    pub fn outcomes_achieved(&self) -> Option<OutcomesAchieved> {
        self.outcomes_achieved
    }
    /// Risk assessment result and action.
    pub fn risk_action(&self) -> Option<RiskAction> {
        self.risk_action
    }
    /// What happened to the identified risk.
    pub fn risk_outcome(&self) -> Option<RiskOutcome> {
        self.risk_outcome
    }
    /// Whether the person lacked capacity.
    pub fn lacked_capacity(&self) -> Option<LackedCapacity> {
        self.lacked_capacity
    }
    /// Support for a person who lacked capacity.
    pub fn capacity_support(&self) -> Option<CapacitySupport> {
        self.capacity_support
    }
    /// Meetings with the person.
    pub fn meetings_with_person(&self) -> Option<u32> {
        self.meetings_with_person
    }
    /// Multi-agency meetings.
    pub fn multiagency_meetings(&self) -> Option<u32> {
        self.multiagency_meetings
    }
    /// Staff hours.
    pub fn staff_hours(&self) -> Option<f64> {
        self.staff_hours
    }
    /// Approaches used.
    pub fn approaches(&self) -> CodeSet<Approach> {
        self.approaches
    }
    /// Whether the person felt safer.
    pub fn feedback_felt_safer(&self) -> Option<Feedback> {
        self.feedback_felt_safer
    }
    /// Whether the person felt listened to.
    pub fn feedback_listened_to(&self) -> Option<Feedback> {
        self.feedback_listened_to
    }

    /// The record's canonical text for one column: what a clean case file would hold. Equal
    /// records have equal canonical text, so it serves to detect unchanged rows on re-import.
    pub fn canonical(&self, column: Column) -> String {
        fn opt<T: fmt::Display>(v: Option<T>) -> String {
            v.map(|v| v.to_string()).unwrap_or_default()
        }
        match column {
            Column::CaseId => self.case_id.clone(),
            Column::PersonId => self.person_id.clone(),
            Column::ConcernDate => self.concern_date.to_string(),
            Column::EnquiryType => opt(self.enquiry_type),
            Column::EnquiryStartDate => opt(self.enquiry_start_date),
            Column::ConcludedDate => opt(self.concluded_date),
            Column::AgeBand => opt(self.age_band),
            Column::Sex => opt(self.sex),
            Column::Ethnicity => opt(self.ethnicity),
            Column::PrimarySupportReason => opt(self.primary_support_reason),
            Column::RiskTypes => self.risk_types.to_string(),
            Column::RiskLocation => opt(self.risk_location),
            Column::RiskSource => opt(self.risk_source),
            Column::OutcomesAsked => opt(self.outcomes_asked),
            Column::DesiredOutcomes => self.desired_outcomes.to_string(),
            Column::NegotiatedOutcomes => self.negotiated_outcomes.to_string(),
            Column::OutcomesAchieved => opt(self.outcomes_achieved),
            Column::RiskAction => opt(self.risk_action),
            Column::RiskOutcome => opt(self.risk_outcome),
            Column::LackedCapacity => opt(self.lacked_capacity),
            Column::CapacitySupport => opt(self.capacity_support),
            Column::MeetingsWithPerson => opt(self.meetings_with_person),
            Column::MultiagencyMeetings => opt(self.multiagency_meetings),
            Column::StaffHours => opt(self.staff_hours),
            Column::Approaches => self.approaches.to_string(),
            Column::FeedbackFeltSafer => opt(self.feedback_felt_safer),
            Column::FeedbackListenedTo => opt(self.feedback_listened_to),
        }
    }
}

impl FromStr for Column {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Column::from_name(s).ok_or_else(|| {
            format!(
                "{s:?} is not a case-record/1 column: expected one of {}",
                Column::ALL.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ")
            )
        })
    }
}

mod dates;

pub use dates::{DATE_YEARS, SlashOrder, parse_birth_date, parse_date, parse_date_in};

#[cfg(test)]
mod tests;
