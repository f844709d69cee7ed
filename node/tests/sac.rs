//! `msp-node sac` on real databases (SQLite always, PostgreSQL when configured): a hand-written
//! case file whose every SAC count is worked out below, a synthetic one counted again here from
//! its CSV rows, the files the command writes, and the cells it says it cannot fill.

mod common;

use std::{
    collections::{BTreeMap, HashMap},
    io::Read,
    path::Path,
    process::Command,
};

use common::{Node, synthetic};
use msp_node::sac::{self, CANNOT_FILL, NOT_RECORDED, SacReturn, TOTAL};
use msp_schemas::{
    FinancialYear,
    codes::{
        AgeBand, CapacitySupport, CodeList, Ethnicity, LackedCapacity, OutcomesAchieved, OutcomesAsked, RiskAction,
        RiskLocation, RiskOutcome, RiskSource, RiskType, Sex, SupportReason,
    },
};
use msp_store::testing::databases;
use time::{Date, macros::format_description};

const COLUMNS: &str = "case_id,person_id,concern_date,enquiry_type,enquiry_start_date,concluded_date,age_band,sex,\
ethnicity,primary_support_reason,risk_types,risk_location,risk_source,outcomes_asked,outcomes_achieved,risk_action,\
risk_outcome,lacked_capacity,capacity_support";

/// Eleven concerns of nine people around 2025-26 (1 April 2025 to 31 March 2026). P1 has two
/// enquiries (placed by the later, C2); C3 concludes the day after the year; C4's concern is
/// before the year but its enquiry starts on its first day; C5 is an other enquiry; C7 started
/// the year before and concludes in it; C8 has no start date; C9 is after the year; C11 records
/// three values outside their populations.
const HAND: &str = "\
C1,P1,2025-04-10,s42,2025-04-12,2025-06-01,65-74,female,white,physical,neglect;financial,own_home,known,asked_expressed,fully,risk_action,reduced,yes,advocate
C2,P1,2025-09-01,s42,2025-09-02,2026-03-31,75-84,female,white,physical,neglect,care_home_nursing,service_provider,asked_expressed,partially,risk_action,removed,no,
C3,P2,2025-05-05,s42,2025-05-06,2026-04-01,18-64,male,asian,mental_health,physical,community,unknown_to_individual,not_asked,,risk_no_action,,unknown,
C4,P3,2025-03-20,s42,2025-04-01,2025-07-01,85-94,unknown,unknown,unknown,,,,unknown,,,,,
C5,P4,2025-06-01,other,2025-06-02,2025-08-01,95+,female,black,learning_disability,self_neglect,own_home,known,asked_expressed,fully,no_risk_action,,no,
C6,P5,2025-07-01,none,,,,,,,,,,,,,,,
C7,P6,2024-12-01,s42,2024-12-02,2025-04-30,18-64,male,white,social,psychological,own_home,known,asked_not_expressed,,no_risk_no_action,,no,
C8,P7,2025-10-01,s42,,,65-74,male,mixed,sensory,,,,,,,,,
C9,P8,2026-04-01,s42,2026-04-01,,18-64,male,white,physical,,,,,,,,,
C10,P2,2025-08-01,s42,2025-08-02,2025-12-01,18-64,male,asian,mental_health,sexual;physical,hospital_acute,service_provider,asked_expressed,not_achieved,risk_action,remains,yes,family_friend
C11,P9,2025-11-01,s42,2025-11-02,2026-01-15,65-74,female,other,memory_cognition,domestic,own_home,known,not_asked,fully,no_risk_action,removed,no,advocate
";

fn year() -> FinancialYear {
    "2025-26".parse().unwrap()
}

/// A table as label → counts, for comparing whole tables.
type Cells = BTreeMap<String, Vec<u64>>;

fn cells(r: &SacReturn, id: &str) -> Cells {
    let t = r.table(id).unwrap_or_else(|| panic!("no table {id}"));
    t.rows.iter().map(|row| (row.label.to_owned(), row.counts.clone())).collect()
}

/// The expected table from (label, counts) pairs; every other row of the table is zero.
fn expect(r: &SacReturn, id: &str, given: &[(&str, &[u64])]) {
    let got = cells(r, id);
    let width = got.values().next().unwrap().len();
    let mut want: Cells = got.keys().map(|k| (k.clone(), vec![0; width])).collect();
    for (label, counts) in given {
        assert!(want.contains_key(*label), "{id} has no row {label:?}: {:?}", got.keys());
        want.insert((*label).to_owned(), counts.to_vec());
    }
    assert_eq!(got, want, "{id}");
}

#[tokio::test]
async fn every_count_of_a_hand_written_file_is_the_one_worked_out_by_hand() {
    for db in databases().await {
        let node = Node::new(&db).await;
        node.import(&node.write("hand.csv", format!("{COLUMNS}\n{HAND}"))).await.unwrap();
        let r = sac::sac_return(&node.store, year()).await.unwrap();
        // SG1: concerns P1 P2 P4 P5 P7 P9; Section 42 P1 P2 P3 P9; other P4.
        expect(
            &r,
            "SG1a",
            &[
                ("18-64", &[1, 1, 0]),
                ("65-74", &[2, 1, 0]),
                ("75-84", &[1, 1, 0]),
                ("85-94", &[0, 1, 0]),
                ("95+", &[1, 0, 1]),
                (NOT_RECORDED, &[1, 0, 0]),
                (TOTAL, &[6, 4, 1]),
            ],
        );
        expect(
            &r,
            "SG1b",
            &[
                ("Male", &[2, 1, 0]),
                ("Female", &[3, 2, 1]),
                ("Unknown", &[0, 1, 0]),
                (NOT_RECORDED, &[1, 0, 0]),
                (TOTAL, &[6, 4, 1]),
            ],
        );
        expect(
            &r,
            "SG1c",
            &[
                ("White", &[1, 1, 0]),
                ("Asian / Asian British", &[1, 1, 0]),
                ("Black / African / Caribbean / Black British", &[1, 0, 1]),
                ("Mixed / Multiple", &[1, 0, 0]),
                ("Other Ethnic Group", &[1, 1, 0]),
                ("Undeclared / Not Known", &[0, 1, 0]),
                (NOT_RECORDED, &[1, 0, 0]),
                (TOTAL, &[6, 4, 1]),
            ],
        );
        expect(
            &r,
            "SG1d",
            &[
                ("Physical Support", &[1, 1, 0]),
                ("Mental Health Support", &[1, 1, 0]),
                ("Learning Disability Support", &[1, 0, 1]),
                ("Sensory Support", &[1, 0, 0]),
                ("Support with Memory and Cognition", &[1, 1, 0]),
                ("Not Known", &[0, 1, 0]),
                (NOT_RECORDED, &[1, 0, 0]),
                (TOTAL, &[6, 4, 1]),
            ],
        );
        expect(
            &r,
            "SG1e",
            &[
                ("Safeguarding concerns", &[8]),
                ("Section 42 safeguarding enquiries", &[6]),
                ("Other safeguarding enquiries", &[1]),
            ],
        );
        // SG2-SG4: concluded Section 42 enquiries C1 C2 C4 C7 C10 C11.
        expect(
            &r,
            "SG2a",
            &[
                ("Neglect and Acts of Omission", &[2]),
                ("Financial or Material Abuse", &[1]),
                ("Psychological Abuse", &[1]),
                ("Sexual Abuse", &[1]),
                ("Physical Abuse", &[1]),
                ("Domestic Abuse", &[1]),
                (NOT_RECORDED, &[1]),
                ("Concluded Section 42 enquiries (each once)", &[6]),
            ],
        );
        expect(
            &r,
            "SG2b",
            &[
                ("Own Home", &[3]),
                ("Care Home - Nursing", &[1]),
                ("Hospital - Acute", &[1]),
                (NOT_RECORDED, &[1]),
                (TOTAL, &[6]),
            ],
        );
        expect(
            &r,
            "SG2c",
            &[
                ("Risk identified and action taken", &[3]),
                ("No risk identified and no action taken", &[1]),
                ("No risk identified and action taken", &[1]),
                (NOT_RECORDED, &[1]),
                (TOTAL, &[6]),
            ],
        );
        expect(&r, "SG2d", &[("Risk reduced", &[1]), ("Risk removed", &[1]), ("Risk remains", &[1]), (TOTAL, &[3])]);
        expect(
            &r,
            "SG2e",
            &[("Other - Known to Individual", &[3]), ("Service Provider", &[2]), (NOT_RECORDED, &[1]), (TOTAL, &[6])],
        );
        expect(
            &r,
            "SG3a",
            &[
                ("Yes, they lacked capacity", &[2]),
                ("No, they did not lack capacity", &[3]),
                (NOT_RECORDED, &[1]),
                (TOTAL, &[6]),
            ],
        );
        expect(
            &r,
            "SG3b",
            &[
                ("Yes, they were supported by an advocate", &[1]),
                ("Yes, they were supported by a family member or friend", &[1]),
                (TOTAL, &[2]),
            ],
        );
        expect(
            &r,
            "SG4a",
            &[
                ("Yes, they were asked and outcomes were expressed", &[3]),
                ("Yes, they were asked but no outcomes were expressed", &[1]),
                ("No, they were not asked", &[1]),
                ("Don't know", &[1]),
                (TOTAL, &[6]),
            ],
        );
        expect(
            &r,
            "SG4b",
            &[("Fully achieved", &[1]), ("Partially achieved", &[1]), ("Not achieved", &[1]), (TOTAL, &[3])],
        );
        let notes = r.notes.join("\n");
        assert_eq!(r.notes.len(), 4, "{notes}");
        for said in [
            "1 Section 42 enquiry on a concern of the year has no enquiry_start_date",
            "1 concluded enquiry records a risk outcome",
            "1 concluded enquiry records capacity support",
            "1 concluded enquiry records outcomes achieved",
        ] {
            assert!(notes.contains(said), "{said:?} in {notes}");
        }
    }
}

/// One CSV row of a case file, by column name.
type CsvRow = HashMap<String, String>;

fn date(s: &str) -> Option<Date> {
    let iso = format_description!("[year]-[month]-[day]");
    let uk = format_description!("[day]/[month]/[year]");
    (!s.is_empty()).then(|| Date::parse(s, iso).or_else(|_| Date::parse(s, uk)).expect("a date"))
}

/// The published label of a code, or `Not recorded` when blank.
fn label<T: CodeList>(code: &str) -> String {
    if code.is_empty() { NOT_RECORDED.to_owned() } else { T::parse_code(code).unwrap().label().to_owned() }
}

/// Adds one to `label`'s counts at `column` in a table of `width` columns.
fn bump(t: &mut Cells, label: String, column: usize, width: usize) {
    t.entry(label).or_insert_with(|| vec![0; width])[column] += 1;
}

/// A person in SG1: whether in each column, their latest case's (day, case id), and its row.
type Placed<'a> = ([bool; 3], (Date, &'a str), &'a CsvRow);

/// The SAC tables of `rows`, counted straight from the CSV text by the rules of `node/src/sac`.
fn counted_from_csv(rows: &[CsvRow], year: FinancialYear) -> BTreeMap<&'static str, Cells> {
    let in_year = |d: Option<Date>| d.is_some_and(|d| year.first_day() <= d && d <= year.last_day());
    let mut tables: BTreeMap<&'static str, Cells> = BTreeMap::new();
    // SG1: person id → (in each column, the latest case's (day, case id), its row).
    let mut people: HashMap<&str, Placed<'_>> = HashMap::new();
    for r in rows {
        let f = |c: &str| r[c].as_str();
        let (concern, start) = (date(f("concern_date")), date(f("enquiry_start_date")));
        let in_concern = in_year(concern);
        let started = in_year(start);
        let (s42, other) = (f("enquiry_type") == "s42", f("enquiry_type") == "other");
        let sg1e = tables.entry("SG1e").or_default();
        for (label, yes) in [
            ("Safeguarding concerns", in_concern),
            ("Section 42 safeguarding enquiries", s42 && started),
            ("Other safeguarding enquiries", other && started),
        ] {
            sg1e.entry(label.to_owned()).or_insert_with(|| vec![0]);
            if yes {
                bump(sg1e, label.to_owned(), 0, 1);
            }
        }
        let columns = [in_concern, s42 && started, other && started];
        if columns.iter().any(|c| *c) {
            let day = [in_concern.then_some(concern), started.then_some(start)].into_iter().flatten().flatten().max();
            let key = (day.unwrap(), f("case_id"));
            let p = people.entry(f("person_id")).or_insert(([false; 3], key, r));
            for (had, now) in p.0.iter_mut().zip(columns) {
                *had |= now;
            }
            if key > p.1 {
                (p.1, p.2) = (key, r);
            }
        }
        if !(s42 && in_year(date(f("concluded_date")))) {
            continue;
        }
        let sg2a = tables.entry("SG2a").or_default();
        let types: Vec<&str> = f("risk_types").split(';').filter(|t| !t.is_empty()).collect();
        if types.is_empty() {
            bump(sg2a, NOT_RECORDED.to_owned(), 0, 1);
        }
        for t in types {
            bump(sg2a, label::<RiskType>(t), 0, 1);
        }
        bump(sg2a, "Concluded Section 42 enquiries (each once)".to_owned(), 0, 1);
        let mut one = |id, label: String| {
            let t = tables.entry(id).or_default();
            bump(t, label, 0, 1);
            bump(t, TOTAL.to_owned(), 0, 1);
        };
        one("SG2b", label::<RiskLocation>(f("risk_location")));
        one("SG2c", label::<RiskAction>(f("risk_action")));
        one("SG2e", label::<RiskSource>(f("risk_source")));
        one("SG3a", label::<LackedCapacity>(f("lacked_capacity")));
        one("SG4a", label::<OutcomesAsked>(f("outcomes_asked")));
        if f("risk_action") == "risk_action" {
            one("SG2d", label::<RiskOutcome>(f("risk_outcome")));
        }
        if f("lacked_capacity") == "yes" {
            one("SG3b", label::<CapacitySupport>(f("capacity_support")));
        }
        if f("outcomes_asked") == "asked_expressed" {
            one("SG4b", label::<OutcomesAchieved>(f("outcomes_achieved")));
        }
    }
    for (id, column, name) in [
        ("SG1a", "age_band", label::<AgeBand> as fn(&str) -> String),
        ("SG1b", "sex", label::<Sex>),
        ("SG1c", "ethnicity", label::<Ethnicity>),
        ("SG1d", "primary_support_reason", label::<SupportReason>),
    ] {
        let t = tables.entry(id).or_default();
        for (columns, _, row) in people.values() {
            for (i, _) in columns.iter().enumerate().filter(|(_, c)| **c) {
                bump(t, name(&row[column]), i, 3);
                bump(t, TOTAL.to_owned(), i, 3);
            }
        }
    }
    tables
}

#[tokio::test]
async fn a_synthetic_file_counts_as_its_csv_rows_say_by_the_sac_rules() {
    let csv = synthetic(400, 4, 21);
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<CsvRow> = reader
        .records()
        .map(|r| headers.iter().zip(r.unwrap().iter()).map(|(h, v)| (h.to_owned(), v.to_owned())).collect())
        .collect();
    for db in databases().await {
        let node = Node::new(&db).await;
        node.import(&node.write("synthetic.csv", &csv)).await.unwrap();
        assert_eq!(node.cases().await as usize, rows.len());
        for year in ["2025-26", "2026-27"] {
            let year: FinancialYear = year.parse().unwrap();
            let r = sac::sac_return(&node.store, year).await.unwrap();
            let want = counted_from_csv(&rows, year);
            for t in &r.tables {
                let got: Cells = cells(&r, t.id).into_iter().filter(|(_, c)| c.iter().any(|n| *n > 0)).collect();
                let want = want.get(t.id).cloned().unwrap_or_default();
                let want: Cells = want.into_iter().filter(|(_, c)| c.iter().any(|n| *n > 0)).collect();
                assert_eq!(got, want, "{year} {}", t.id);
            }
            if year.start_year() == 2025 {
                let sg1a = r.table("SG1a").unwrap();
                let s42 = sg1a.count(TOTAL, sg1a.columns[1]).unwrap();
                assert!(s42 > 100, "the synthetic year is a full one: {s42} people");
            }
        }
    }
}

fn node_cli(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_msp-node"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(args)
        .current_dir(dir)
        .env_remove("MSP_NODE_DATABASE_URL")
        .output()
        .expect("msp-node runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// One part of a zip file, as text.
fn part(zip: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut xml = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut xml).unwrap();
    xml
}

#[test]
fn the_command_writes_readable_csv_and_a_workbook_and_says_what_it_cannot_fill() {
    let dir = tempfile::tempdir().unwrap();
    node_cli(dir.path(), &["init", "--council", "E06000001", "--coordinator", "https://coordinator.test:8443"]);
    std::fs::write(dir.path().join("hand.csv"), format!("{COLUMNS}\n{HAND}")).unwrap();
    node_cli(dir.path(), &["import", "hand.csv"]);

    let human = node_cli(dir.path(), &["sac", "--year", "2025-26"]);
    assert!(
        human.contains("Safeguarding Adults Collection 2025-26") && human.contains("never sent anywhere"),
        "{human}"
    );
    assert!(human.contains("SG2a Concluded Section 42 enquiries by type of risk"), "{human}");
    assert!(human.contains("Cannot be filled from the case records:"), "{human}");
    for u in CANNOT_FILL {
        assert!(human.contains(u.cells) && human.contains(u.why), "{} in {human}", u.cells);
    }
    assert!(human.contains("no enquiry_start_date"), "{human}");
    let sac_dir = dir.path().join("data/sac");
    assert!(human.contains(&sac_dir.join("sac-2025-26.xlsx").display().to_string()), "{human}");

    let mut csv = csv::Reader::from_path(sac_dir.join("sac-2025-26-SG1a.csv")).unwrap();
    assert_eq!(csv.headers().unwrap().iter().next(), Some("Age band"));
    let rows: Vec<Vec<String>> = csv.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    assert_eq!(rows.last().unwrap(), &["Total", "6", "4", "1"]);
    let notes = std::fs::read_to_string(sac_dir.join("sac-2025-26-notes.csv")).unwrap();
    assert!(notes.contains("cannot fill") && notes.contains("date of birth"), "{notes}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(sac_dir.join("sac-2025-26-SG1a.csv")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "exact small counts are kept private");
    }

    let xlsx = std::fs::read(sac_dir.join("sac-2025-26.xlsx")).unwrap();
    assert_eq!(&xlsx[..2], b"PK", "an XLSX file is a zip");
    let book = part(&xlsx, "xl/workbook.xml");
    for sheet in ["About", "SG1a", "SG1b", "SG1c", "SG1d", "SG1e", "SG2a", "SG2b", "SG2c", "SG2d", "SG2e", "SG3a"] {
        assert!(book.contains(&format!("name=\"{sheet}\"")), "{sheet} in {book}");
    }
    assert!(book.contains("name=\"SG4b\""), "{book}");
    let strings = part(&xlsx, "xl/sharedStrings.xml");
    assert!(strings.contains("Neglect and Acts of Omission") && strings.contains("Cannot be filled"), "{strings}");
    let sg1a = part(&xlsx, "xl/worksheets/sheet2.xml");
    assert!(sg1a.contains("<v>6</v>") && !sg1a.contains("<f>"), "counts as numbers, no formulas: {sg1a}");

    let out = tempfile::tempdir().unwrap();
    let json = node_cli(dir.path(), &["sac", "--year", "2025-26", "--json", "--out", out.path().to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["return"]["year"], "2025-26");
    assert_eq!(v["return"]["cannot_fill"].as_array().unwrap().len(), CANNOT_FILL.len());
    assert_eq!(v["files"].as_array().unwrap().len(), 16, "14 tables, the notes and the workbook");
    assert!(out.path().join("sac-2025-26-SG4b.csv").exists());
}
