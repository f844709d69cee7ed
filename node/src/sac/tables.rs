//! The SAC tables as plain data, built from the counts of [`super`], with the rules followed and
//! the cells the node cannot fill.

use msp_schemas::{
    FinancialYear,
    codes::{
        AgeBand, CapacitySupport, CodeList, Ethnicity, LackedCapacity, OutcomesAchieved, OutcomesAsked, RiskAction,
        RiskLocation, RiskOutcome, RiskSource, RiskType, Sex, SupportReason,
    },
};
use serde::Serialize;

use super::{Cases, Concluded, Person, Slots};

/// The row of a blank field.
pub const NOT_RECORDED: &str = "Not recorded";
/// The last row of a table whose rows add up to it.
pub const TOTAL: &str = "Total";

/// The SAC counting rules this module follows, in words (see the module documentation).
pub const RULES: &[&str] = &[
    "The year runs from 1 April to 31 March; a case is in it when the date that matters falls in it.",
    "SG1a-SG1d count individuals (adults at risk), each once per column: with at least one concern received, \
     Section 42 enquiry started (enquiry_start_date) or other enquiry started in the year. A person is the node's \
     keyed hash of the council's person id.",
    "SG1a-SG1d place each person by the age band, sex, ethnicity and primary support reason of their latest case \
     in the year (the nearest the case file comes to SAC's age on the last day of the year).",
    "SG1e counts cases: every concern received and every enquiry started in the year.",
    "SG2-SG4 count Section 42 enquiries concluded (concluded_date) in the year, each once; an enquiry counts once \
     under each type of risk recorded, so SG2a's rows add up to more than the enquiries.",
    "SG2d counts only enquiries where a risk was identified and action taken; SG3b only those where the person \
     lacked capacity; SG4b only those where outcomes were expressed.",
    "A code 'unknown' is shown under its list's published not-known label; a blank field as 'Not recorded'.",
    "Counts are exact: nothing is rounded or suppressed (NHS England does that when it publishes). These files \
     are for the council's own return and never leave the node by themselves.",
];

/// A cell, or a kind of cell, of the return that the node's data cannot fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Unfilled {
    /// The tables it concerns.
    pub tables: &'static str,
    /// The cells.
    pub cells: &'static str,
    /// Why the node cannot fill them, and what to do.
    pub why: &'static str,
}

/// What the node cannot fill, and why.
pub const CANNOT_FILL: &[Unfilled] = &[
    Unfilled {
        tables: "SG1a-SG1d",
        cells: "individuals summed across councils",
        why: "each node holds only a keyed hash of its own council's person ids, so a person with enquiries in two \
              councils is counted by each (and a person recorded here under two ids is counted twice)",
    },
    Unfilled {
        tables: "SG1a",
        cells: "age on the last day of the year",
        why: "the case file holds an age band per case, not a date of birth: a person who moved into an older band \
              after their latest case is counted in the younger one",
    },
    Unfilled {
        tables: "SG1c",
        cells: "ethnic categories within each group (for example White British, White Irish)",
        why: "the case file holds only the top-level ethnic group; the group rows are filled",
    },
    Unfilled {
        tables: "SG2b, SG2e",
        cells: "a second location or source of risk in one enquiry",
        why: "SAC counts each different location and source that applied; the case file holds one of each per \
              enquiry, so an enquiry with several counts only under the one recorded",
    },
    Unfilled {
        tables: "SG2-SG4",
        cells: "the voluntary columns for concluded other enquiries",
        why: "these tables count Section 42 enquiries only; other enquiries are counted in SG1 and SG1e",
    },
    Unfilled {
        tables: "all",
        cells: "any cell whose field is not a column of case-record/1",
        why: "the case file has no such field: fill these from the case management system",
    },
];

/// One row of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SacRow {
    /// The row heading: the code list's published label, `Not recorded` or `Total`.
    pub label: &'static str,
    /// One count per column.
    pub counts: Vec<u64>,
}

/// One table of the return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SacTable {
    /// Its id (SG1a, …).
    pub id: &'static str,
    /// Its title.
    pub title: &'static str,
    /// What one count is.
    pub counts: &'static str,
    /// The heading over the row labels.
    pub row_heading: &'static str,
    /// The column headings.
    pub columns: Vec<&'static str>,
    /// The rows.
    pub rows: Vec<SacRow>,
}

impl SacTable {
    /// The count in the row labelled `row`, column headed `column`.
    pub fn count(&self, row: &str, column: &str) -> Option<u64> {
        let c = self.columns.iter().position(|h| *h == column)?;
        self.rows.iter().find(|r| r.label == row).map(|r| r.counts[c])
    }
}

/// The SAC tables of one year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SacReturn {
    /// The financial year.
    #[serde(serialize_with = "as_text")]
    pub year: FinancialYear,
    /// The tables, in the return's order.
    pub tables: Vec<SacTable>,
    /// The rules followed.
    pub rules: &'static [&'static str],
    /// What cannot be filled.
    pub cannot_fill: &'static [Unfilled],
    /// What this year's records leave out, with counts.
    pub notes: Vec<String>,
}

fn as_text<S: serde::Serializer>(year: &FinancialYear, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(year)
}

impl SacReturn {
    /// The table with id `id`.
    pub fn table(&self, id: &str) -> Option<&SacTable> {
        self.tables.iter().find(|t| t.id == id)
    }
}

/// One row per code, then `Not recorded`, then (when the rows partition the population) `Total`.
fn code_rows<T: CodeList>(columns: &[&Slots], total: bool) -> Vec<SacRow> {
    let labels = T::ALL.iter().map(|c| c.label()).chain([NOT_RECORDED]);
    let mut rows: Vec<SacRow> =
        labels.enumerate().map(|(i, label)| SacRow { label, counts: columns.iter().map(|s| s[i]).collect() }).collect();
    if total {
        rows.push(SacRow { label: TOTAL, counts: columns.iter().map(|s| s.iter().sum()).collect() });
    }
    rows
}

const SG1_COLUMNS: [&str; 3] = [
    "Individuals involved in safeguarding concerns",
    "Individuals involved in Section 42 safeguarding enquiries",
    "Individuals involved in other safeguarding enquiries",
];
const CONCLUDED: &str = "Concluded Section 42 enquiries";

/// SG1's three columns for one breakdown.
fn sg1<T: CodeList>(people: &[Person], field: impl Fn(&Person) -> Option<T>) -> Vec<SacRow> {
    let mut columns = [super::slots::<T>(), super::slots::<T>(), super::slots::<T>()];
    for p in people {
        let v = field(p);
        for (slots, counted) in columns.iter_mut().zip([p.concern, p.s42, p.other]) {
            if counted {
                super::tally(slots, v);
            }
        }
    }
    code_rows::<T>(&columns.iter().collect::<Vec<_>>(), true)
}

/// The heading over a concluded-enquiry table's rows, from its case-file column.
fn heading(column: &'static str) -> &'static str {
    match column {
        "risk_types" => "Type of risk",
        "risk_location" => "Location of risk",
        "risk_action" => "Action taken and result",
        "risk_outcome" => "Risk outcome",
        "risk_source" => "Source of risk",
        "lacked_capacity" => "Lacked capacity",
        "capacity_support" => "Support",
        "outcomes_asked" => "Asked about outcomes",
        "outcomes_achieved" => "Outcomes achieved",
        other => other,
    }
}

/// A table of concluded enquiries by one field.
fn concluded<T: CodeList>(
    id: &'static str,
    title: &'static str,
    counts: &'static str,
    slots: &Slots,
    total: bool,
) -> SacTable {
    SacTable {
        id,
        title,
        counts,
        row_heading: heading(T::NAME),
        columns: vec![CONCLUDED],
        rows: code_rows::<T>(&[slots], total),
    }
}

/// Builds the tables.
pub(super) fn build(year: FinancialYear, people: Vec<Person>, cases: &Cases, c: &Concluded) -> SacReturn {
    let individuals = "an adult at risk, once per column";
    let sg1_table = |id, title, row_heading, rows| SacTable {
        id,
        title,
        counts: individuals,
        row_heading,
        columns: SG1_COLUMNS.to_vec(),
        rows,
    };
    let mut risk_types = concluded::<RiskType>(
        "SG2a",
        "Concluded Section 42 enquiries by type of risk",
        "a concluded enquiry, once under each type of risk recorded",
        &c.risk_types,
        false,
    );
    risk_types.rows.push(SacRow { label: "Concluded Section 42 enquiries (each once)", counts: vec![c.enquiries] });
    let tables = vec![
        sg1_table("SG1a", "Individuals by age band", "Age band", sg1::<AgeBand>(&people, |p| p.about.age)),
        sg1_table("SG1b", "Individuals by sex", "Sex", sg1::<Sex>(&people, |p| p.about.sex)),
        sg1_table("SG1c", "Individuals by ethnicity", "Ethnicity", sg1::<Ethnicity>(&people, |p| p.about.ethnicity)),
        sg1_table(
            "SG1d",
            "Individuals by primary support reason",
            "Primary support reason",
            sg1::<SupportReason>(&people, |p| p.about.reason),
        ),
        SacTable {
            id: "SG1e",
            title: "Safeguarding concerns and enquiries (cases)",
            counts: "a concern received or an enquiry started in the year",
            row_heading: "Case",
            columns: vec!["Cases in the year"],
            rows: [
                ("Safeguarding concerns", cases.concerns),
                ("Section 42 safeguarding enquiries", cases.s42_started),
                ("Other safeguarding enquiries", cases.other_started),
            ]
            .map(|(label, n)| SacRow { label, counts: vec![n] })
            .to_vec(),
        },
        risk_types,
        concluded::<RiskLocation>(
            "SG2b",
            "Concluded Section 42 enquiries by location of risk",
            "a concluded enquiry",
            &c.location,
            true,
        ),
        concluded::<RiskAction>(
            "SG2c",
            "Concluded Section 42 enquiries by action taken and result",
            "a concluded enquiry",
            &c.action,
            true,
        ),
        concluded::<RiskOutcome>(
            "SG2d",
            "Risk outcome, where a risk was identified and action taken",
            "a concluded enquiry where a risk was identified and action taken",
            &c.outcome,
            true,
        ),
        concluded::<RiskSource>(
            "SG2e",
            "Concluded Section 42 enquiries by source of risk",
            "a concluded enquiry",
            &c.source,
            true,
        ),
        concluded::<LackedCapacity>(
            "SG3a",
            "Concluded Section 42 enquiries: did the individual lack capacity?",
            "a concluded enquiry",
            &c.capacity,
            true,
        ),
        concluded::<CapacitySupport>(
            "SG3b",
            "Where the individual lacked capacity: were they supported by an advocate, family or friend?",
            "a concluded enquiry where the person lacked capacity",
            &c.support,
            true,
        ),
        concluded::<OutcomesAsked>(
            "SG4a",
            "Making Safeguarding Personal: was the individual asked about the outcomes they wanted?",
            "a concluded enquiry",
            &c.asked,
            true,
        ),
        concluded::<OutcomesAchieved>(
            "SG4b",
            "Making Safeguarding Personal: where outcomes were expressed, were they achieved?",
            "a concluded enquiry where outcomes were expressed",
            &c.achieved,
            true,
        ),
    ];
    SacReturn { year, tables, rules: RULES, cannot_fill: CANNOT_FILL, notes: notes(cases, c) }
}

/// What this year's records leave out.
fn notes(cases: &Cases, c: &Concluded) -> Vec<String> {
    let enquiries = |n: u64| if n == 1 { "1 concluded enquiry".to_owned() } else { format!("{n} concluded enquiries") };
    let mut notes = Vec::new();
    if cases.s42_undated > 0 {
        let n = cases.s42_undated;
        let (what, has, it) = if n == 1 {
            ("Section 42 enquiry on a concern", "has", "it")
        } else {
            ("Section 42 enquiries on concerns", "have", "them")
        };
        notes.push(format!(
            "{n} {what} of the year {has} no enquiry_start_date, so no year's SG1 Section 42 column or SG1e counts \
             {it} (record the start date and import again)"
        ));
    }
    for (n, what) in [
        (c.outcome_elsewhere, "a risk outcome but no risk identified with action taken: not in SG2d"),
        (c.support_elsewhere, "capacity support but the person did not lack capacity: not in SG3b"),
        (c.achieved_elsewhere, "outcomes achieved but no outcomes expressed: not in SG4b"),
    ] {
        if n > 0 {
            notes.push(format!("{} {} {what}", enquiries(n), if n == 1 { "records" } else { "record" }));
        }
    }
    notes
}
