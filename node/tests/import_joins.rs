//! Exports in several files joined by ids (`[[join]]` in the mapping): a flat synthetic file split
//! into persons, concerns, enquiries and risks imports to exactly the flat file's tables; rows
//! that cannot be joined are rejected with their own file and line, and every row of every file
//! is accounted for; a mapping whose joins cannot work is refused before anything is stored.

mod common;

use std::collections::{BTreeMap, HashSet};

use common::{Node, assert_accounted, synthetic};
use msp_node::{
    import::{ImportError, ImportSummary, Mapping},
    release::exact_tables,
};
use msp_store::testing::databases;

const JOINED: &str = r#"
[[join]]
file = "persons.csv"
key = "Person ID"
on = "person_id"

[[join]]
file = "enquiries.csv"
key = "Concern ID"
on = "case_id"
rows_per_case = "zero_or_one"

[[join]]
file = "risks.csv"
key = "Concern ID"
on = "case_id"
rows_per_case = "any"
"#;

/// The columns each part holds (the rest of the flat file's, less risk_types, go to enquiries).
const PERSON: &[&str] = &["age_band", "sex", "ethnicity", "primary_support_reason"];
const CONCERN: &[&str] = &["case_id", "person_id", "concern_date"];

fn csv_line(fields: &[&str]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(fields).unwrap();
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

/// Splits a flat case file into the four files of `JOINED`, as a case system's reporting database
/// would export them: one row per person, per concern, per enquiry and per risk type.
/// Returns the main file and the number of risk rows.
fn split(flat: &[u8], node: &Node) -> (std::path::PathBuf, u64) {
    let mut r = csv::Reader::from_reader(flat);
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let enquiry: Vec<&str> = header
        .iter()
        .map(String::as_str)
        .filter(|h| !PERSON.contains(h) && !CONCERN.contains(h) && *h != "risk_types")
        .collect();
    let mut persons = csv_line(&[&["Person ID"], PERSON].concat());
    let mut concerns = csv_line(CONCERN);
    let mut enquiries = csv_line(&[&["Concern ID"], &enquiry[..]].concat());
    let mut risks = csv_line(&["Concern ID", "risk_types"]);
    let mut seen = HashSet::new();
    let mut risk_rows = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        let get = |n: &str| rec[at(n)].to_owned();
        let case = get("case_id");
        if seen.insert(get("person_id")) {
            let row: Vec<String> = [get("person_id")].into_iter().chain(PERSON.iter().map(|c| get(c))).collect();
            persons.push_str(&csv_line(&row.iter().map(String::as_str).collect::<Vec<_>>()));
        }
        concerns.push_str(&csv_line(
            &CONCERN
                .iter()
                .map(|c| rec[at(c)].to_owned())
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        ));
        let values: Vec<String> = enquiry.iter().map(|c| get(c)).collect();
        if values.iter().any(|v| !v.is_empty()) {
            let row: Vec<&str> = [case.as_str()].into_iter().chain(values.iter().map(String::as_str)).collect();
            enquiries.push_str(&csv_line(&row));
        }
        for risk in get("risk_types").split(';').filter(|r| !r.is_empty()) {
            risks.push_str(&csv_line(&[&case, risk]));
            risk_rows += 1;
        }
    }
    node.write("persons.csv", persons);
    node.write("enquiries.csv", enquiries);
    node.write("risks.csv", risks);
    (node.write("concerns.csv", concerns), risk_rows)
}

async fn import_joined(node: &Node, main: &std::path::Path, mapping: &str) -> Result<ImportSummary, ImportError> {
    node.import_with(main, Some(Mapping::parse(mapping).unwrap()), Some(node.path("rejects.csv"))).await
}

/// The rejects report's rows, as (file, line, column, reason).
fn report(node: &Node) -> Vec<(String, u64, String, String)> {
    let mut r = csv::Reader::from_path(node.path("rejects.csv")).unwrap();
    assert_eq!(r.headers().unwrap().iter().take(2).collect::<Vec<_>>(), ["file", "line"]);
    r.records()
        .map(Result::unwrap)
        .map(|x| (x[0].to_owned(), x[1].parse().unwrap(), x[4].to_owned(), x[6].to_owned()))
        .collect()
}

#[tokio::test]
async fn four_files_joined_by_ids_give_exactly_the_flat_file_s_tables() {
    for (db, db2) in databases().await.into_iter().zip(databases().await) {
        let flat = synthetic(150, 1, 11);
        let whole = Node::new(&db).await;
        let s = whole.import(&whole.write("flat.csv", &flat)).await.unwrap();
        assert_eq!(s.counts.rejected, 0);

        let parts = Node::new(&db2).await;
        let (main, risk_rows) = split(&flat, &parts);
        let j = import_joined(&parts, &main, JOINED).await.unwrap();
        assert_accounted(&j);
        assert_eq!(
            (j.counts.rows_read, j.counts.imported, j.counts.rejected),
            (s.counts.rows_read, s.counts.imported, 0),
            "{:?}",
            j.problems
        );
        assert_eq!(j.joined.len(), 3);
        for f in &j.joined {
            assert_eq!((f.rejected, f.matched), (0, f.rows_read), "{f:?}");
            assert_eq!(f.file_sha256.len(), 64);
        }
        assert_eq!(j.joined[2].rows_read, risk_rows, "risks has a row per risk type");
        for period in ["2025-26-Q4", "2026-27-Q1"] {
            let p = period.parse().unwrap();
            assert_eq!(
                exact_tables(&parts.store, msp_schemas::SpecId::MspQuarterlyV1, p).await.unwrap(),
                exact_tables(&whole.store, msp_schemas::SpecId::MspQuarterlyV1, p).await.unwrap(),
                "{period}: the joined import's exact tables are the flat file's"
            );
        }
        let history = parts.store.imports(None).await.unwrap();
        assert_eq!(history[0].file_name, "concerns.csv (joined with persons.csv, enquiries.csv, risks.csv)");
    }
}

#[tokio::test]
async fn rows_that_cannot_be_joined_are_rejected_at_their_own_file_and_line() {
    for db in databases().await {
        let node = Node::new(&db).await;
        // Line 1 is each file's header.
        node.write(
            "persons.csv",
            "Person ID,sex,age_band\n\
             P1,female,65-74\n\
             P2,male,18-64\n\
             P1,male,65-74\n\
             P9,female,75-84\n\
             P3,woman,18-64\n\
             ,female,18-64\n",
        );
        node.write(
            "enquiries.csv",
            "Concern ID,enquiry_type,concluded_date,outcomes_asked,outcomes_achieved\n\
             C1,s42,2026-05-01,asked_expressed,fully\n\
             C2,s42,2026-05-02,asked_expressed,partially\n\
             C77,s42,2026-05-02,asked_expressed,fully\n",
        );
        node.write(
            "risks.csv",
            "Concern ID,risk_types,risk_location\n\
             C1,neglect,own_home\n\
             C1,financial,own_home\n\
             C2,neglect,own_home\n\
             C2,physical,care_home\n",
        );
        let main = node.write(
            "concerns.csv",
            "case_id,person_id,concern_date\n\
             C1,P1,2026-04-02\n\
             C2,P2,2026-04-03\n\
             C3,P3,2026-04-04\n\
             C4,P4,2026-04-05\n",
        );
        let s = import_joined(&node, &main, JOINED).await.unwrap();
        assert_accounted(&s);
        // C1 joins; C2's risks disagree on the location; C3's person has an invalid sex; C4 has no person.
        assert_eq!((s.counts.rows_read, s.counts.imported, s.counts.rejected), (4, 1, 3), "{:?}", s.problems);
        let rows = report(&node);
        let has = |file: &str, line: u64, column: &str, reason: &str| {
            assert!(
                rows.iter().any(|(f, l, c, r)| f == file && *l == line && c == column && r.contains(reason)),
                "{file} line {line} {column}: {reason:?} in {rows:#?}"
            );
        };
        has("concerns.csv", 5, "person_id", "\"P4\" is not in persons.csv");
        has("risks.csv", 5, "risk_location", "as \"own_home\" at line 4 and as \"care_home\" at line 5");
        has("persons.csv", 6, "sex", "woman");
        has("persons.csv", 4, "Person ID", "a second row for Person ID \"P1\" (the first is line 2)");
        has("persons.csv", 5, "Person ID", "no row of concerns.csv has person_id \"P9\"");
        has("persons.csv", 7, "Person ID", "no Person ID on this row");
        has("enquiries.csv", 4, "Concern ID", "no row of concerns.csv has case_id \"C77\"");
        // Every row of every file is accounted for.
        let by_file: BTreeMap<String, (u64, u64, u64)> = s
            .joined
            .iter()
            .map(|f| (f.file.file_name().unwrap().to_string_lossy().into_owned(), (f.rows_read, f.matched, f.rejected)))
            .collect();
        assert_eq!(by_file["persons.csv"], (6, 3, 3), "P1, P2, P3 matched; a second P1, P9 and a blank id rejected");
        assert_eq!(by_file["enquiries.csv"], (3, 2, 1));
        assert_eq!(by_file["risks.csv"], (4, 4, 0), "C2's rows matched its case, which was rejected for them");
        for (_, (read, matched, rejected)) in by_file {
            assert_eq!(read, matched + rejected);
        }
        assert_eq!(node.cases().await, 1);
        // The one imported case has both of its risks.
        for code in ["neglect", "financial"] {
            assert_eq!(risk_type_count(&node, code).await, 1, "{code}");
        }
    }
}

#[tokio::test]
async fn joins_that_cannot_work_are_refused_before_anything_is_stored() {
    for db in databases().await {
        let node = Node::new(&db).await;
        node.write("persons.csv", "Person ID,sex\nP1,female\n");
        node.write("people.csv", "Client,sex\nP1,female\n");
        let main = node.write("concerns.csv", "case_id,person_id,concern_date,sex\nC1,P1,2026-04-02,female\n");
        let refused = |mapping: String| {
            let node = &node;
            let main = main.clone();
            async move { import_joined(node, &main, &mapping).await.unwrap_err().to_string() }
        };
        let join = |file: &str, key: &str, on: &str, extra: &str| {
            format!("ignore = []\n[[join]]\nfile = \"{file}\"\nkey = \"{key}\"\non = \"{on}\"\n{extra}")
        };
        let e = refused(join("persons.csv", "Person ID", "person_id", "")).await;
        assert!(e.contains("persons.csv has a column \"sex\", and so does concerns.csv"), "{e}");
        let e = refused(join("people.csv", "Person ID", "person_id", "ignore = [\"sex\"]")).await;
        assert!(e.contains("has no column \"Person ID\"") && e.contains("\"Client\""), "{e}");
        let e = refused(join("persons.csv", "Person ID", "Client No", "ignore = [\"sex\"]")).await;
        assert!(e.contains("on the column \"Client No\"") && e.contains("\"person_id\""), "{e}");
        let e = refused(join("missing.csv", "Person ID", "person_id", "")).await;
        assert!(e.contains("missing.csv"), "{e}");
        assert_eq!(node.cases().await, 0);
        assert!(node.store.imports(None).await.unwrap().is_empty(), "no import was begun");
        // Ignoring the clashing column in the joined file makes it work.
        let s = import_joined(&node, &main, &join("persons.csv", "Person ID", "person_id", "ignore = [\"sex\"]"))
            .await
            .unwrap();
        assert_eq!((s.counts.imported, s.joined[0].matched), (1, 1));

        for (bad, why) in [
            (
                "[[join]]\nfile = \"p.csv\"\nkey = \"k\"\non = \"person_id\"\nrows_per_case = \"many\"\n",
                "rows_per_case",
            ),
            ("[[join]]\nfile = \"p.csv\"\nkey = \"\"\non = \"person_id\"\n", "needs a file"),
            ("[[join]]\nfile = \"p.csv\"\nkey = \"k\"\non = \"x\"\nignore = [\"K\"]\n", "ignores its own key"),
            ("[[join]]\nfile = \"p.csv\"\nkey = \"k\"\n", "on"),
        ] {
            let e = Mapping::parse(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}

#[tokio::test]
async fn a_case_s_rows_combine_ticked_columns_and_a_value_that_is_no_tick_rejects_it_at_its_line() {
    for db in databases().await {
        let node = Node::new(&db).await;
        node.write("risks.csv", "Concern ID,Neglect,Financial\nC1,Y,N\nC1,N,Yes\nC2,Y,\nC2,N,maybe\n");
        let main = node.write(
            "concerns.csv",
            "case_id,person_id,concern_date,enquiry_type,concluded_date\nC1,P1,2026-04-02,s42,2026-05-01\nC2,P2,2026-04-02,s42,2026-05-01\n",
        );
        let mapping = "[[join]]\nfile = \"risks.csv\"\nkey = \"Concern ID\"\non = \"case_id\"\nrows_per_case = \"any\"\n\
                       [lists.risk_types]\nNeglect = \"neglect\"\nFinancial = \"financial\"\n";
        let s = import_joined(&node, &main, mapping).await.unwrap();
        assert_eq!((s.counts.imported, s.counts.rejected), (1, 1), "{:?}", s.problems);
        let rows = report(&node);
        assert!(
            rows.iter()
                .any(|(f, l, c, r)| f == "risks.csv" && *l == 5 && c == "risk_types" && r.contains("not a tick")),
            "{rows:#?}"
        );
        for code in ["neglect", "financial"] {
            assert_eq!(risk_type_count(&node, code).await, 1, "C1 has {code}, ticked on one of its two rows");
        }
    }
}

/// The people 2026-27-Q1's exact `risk_type` table counts with risk type `code`.
async fn risk_type_count(node: &Node, code: &str) -> i64 {
    let spec = msp_schemas::SpecId::MspQuarterlyV1;
    let (exact, _) = exact_tables(&node.store, spec, "2026-27-Q1".parse().unwrap()).await.unwrap();
    let i = spec.spec().position("risk_type").unwrap();
    exact[i][spec.spec().tables[i].cell_index(code).unwrap()]
}
