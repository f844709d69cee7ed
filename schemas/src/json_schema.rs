//! JSON Schema documents for the contracts, generated from the types.
//!
//! The generated files are committed under `schemas/json/` so that people writing exports and
//! other implementations can read them without building anything; a test fails when they are
//! stale (run `MSP_BLESS=1 cargo test -p msp-schemas` to rewrite them).

use serde_json::{Value, json};

use crate::{
    api::{BenchmarkAnswer, Comparison, SignedTreeHead, SubmissionAccepted},
    case_record::{CASE_RECORD_FORMAT, Column, MAX_ID_LEN},
    policy::{NetworkPolicy, SignedPolicy},
    release::{Receipt, ReleaseFields},
    spec::SpecId,
};

/// Every committed document: its file name under `schemas/json/` and its text.
pub fn documents() -> Vec<(&'static str, String)> {
    vec![
        ("case-record-1.schema.json", pretty(&case_record_schema())),
        ("msp-release-1.schema.json", pretty(&schemars::schema_for!(ReleaseFields))),
        ("msp-receipt-1.schema.json", pretty(&schemars::schema_for!(Receipt))),
        ("submission-accepted.schema.json", pretty(&schemars::schema_for!(SubmissionAccepted))),
        ("signed-tree-head.schema.json", pretty(&schemars::schema_for!(SignedTreeHead))),
        ("msp-quarterly-1.json", pretty(SpecId::MspQuarterlyV1.spec())),
        ("msp-quarterly-2.json", pretty(SpecId::MspQuarterlyV2.spec())),
        ("benchmark-answer.schema.json", pretty(&schemars::schema_for!(BenchmarkAnswer))),
        ("comparison.schema.json", pretty(&schemars::schema_for!(Comparison))),
        ("msp-policy-1.schema.json", pretty(&schemars::schema_for!(NetworkPolicy))),
        ("signed-policy.schema.json", pretty(&schemars::schema_for!(SignedPolicy))),
        ("msp-policy-1.default.json", pretty(&NetworkPolicy::default())),
    ]
}

fn pretty<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("schemas serialise");
    s.push('\n');
    s
}

/// A JSON Schema describing one row of a `case-record/1` file as an object of column → text:
/// which columns exist, which are required, and what text each accepts.
pub fn case_record_schema() -> Value {
    // The shapes `case_record::parse_date` reads (it alone decides whether the date exists).
    let date_pattern = r"^\s*([0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|\+[0-9]{2}:?[0-9]{2})?)?|[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}|[0-9]{1,2}[- ][A-Za-z]{3,9}\.?[- ][0-9]{4})\s*$";
    let mut properties = serde_json::Map::new();
    for column in Column::ALL {
        let mut p = json!({ "type": "string", "description": column.description() });
        let obj = p.as_object_mut().expect("built as an object");
        if column.is_date() {
            obj.insert("pattern".into(), json!(date_pattern));
        } else if let Some(codes) = column.codes() {
            if column.multi_valued() {
                let alt = codes.iter().map(|c| regex_escape(c)).collect::<Vec<_>>().join("|");
                obj.insert("pattern".into(), json!(format!(r"^\s*(({alt})\s*(;\s*({alt})\s*)*)?;?\s*$")));
                obj.insert("x-codes".into(), json!(codes));
            } else {
                let mut values: Vec<Value> = codes.iter().map(|c| json!(c)).collect();
                values.push(json!(""));
                obj.insert("enum".into(), Value::Array(values));
            }
        } else {
            match column {
                Column::MeetingsWithPerson | Column::MultiagencyMeetings => {
                    obj.insert("pattern".into(), json!(r"^([0-9]+)?$"));
                }
                Column::StaffHours => {
                    obj.insert("pattern".into(), json!(r"^([0-9]+(\.[0-9]+)?)?$"));
                }
                _ => {
                    obj.insert("minLength".into(), json!(1));
                    obj.insert("maxLength".into(), json!(MAX_ID_LEN));
                }
            }
        }
        properties.insert(column.name().to_owned(), p);
    }
    let required: Vec<&str> = Column::ALL.iter().filter(|c| c.required()).map(|c| c.name()).collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": CASE_RECORD_FORMAT,
        "description": "One row of a council's safeguarding case file: a CSV file with a header row, UTF-8 with or without BOM. \
            Each property is a column; blank means not recorded. Codes are matched ignoring case; a mapping file can translate local values.",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false
    })
}

fn regex_escape(s: &str) -> String {
    s.chars().flat_map(|c| if c == '+' || c == '.' { vec!['\\', c] } else { vec![c] }).collect()
}
