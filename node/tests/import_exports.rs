//! Case files as councils' reporting databases export them, on real databases (SQLite always,
//! PostgreSQL when configured): dates with times and month names, CRLF line endings with line
//! numbers that are the file's own, mappings with defaults, month-first dates and unmapped
//! columns, suggestions for a misspelt column, warnings for values a release caps, problems
//! counted by reason, and a limit on rejected rows above which nothing is stored.

mod common;

use common::{HEADER, Node};
use msp_node::{
    clock,
    import::{self, ImportError, ImportOptions, Mapping, MaxRejected},
};
use msp_store::testing::databases;

fn options(node: &Node, mapping: Option<Mapping>, max_rejected: Option<MaxRejected>) -> ImportOptions {
    ImportOptions {
        mapping,
        rejects_path: Some(node.path("rejects.csv")),
        rejects_dir: node.path("rejects"),
        progress: false,
        clock: clock::system(),
        max_rejected,
    }
}

fn report_lines(node: &Node) -> Vec<(u64, String)> {
    let mut r = csv::Reader::from_path(node.path("rejects.csv")).unwrap();
    // file, line, case_id, …
    r.records().map(|rec| rec.unwrap()).map(|rec| (rec[1].parse().unwrap(), rec[2].to_owned())).collect()
}

#[tokio::test]
async fn dates_as_reporting_databases_write_them_are_read_and_crlf_keeps_the_file_s_line_numbers() {
    for db in databases().await {
        let node = Node::new(&db).await;
        // Line 1 is the header. Rejected: line 4 (a two-digit year), line 5 (a case id with a line
        // break in it, so the row takes lines 5 and 6) and line 7.
        let text = format!(
            "{HEADER}\r\n\
             C1,P1,2026-04-02 00:00:00.000,s42,2026-05-01T09:30:00,asked_expressed,fully\r\n\
             C2,P2,2/4/2026,s42,01-May-2026,asked_expressed,fully\r\n\
             C3,P3,2 April 26,s42,,,\r\n\
             \"C4\r\nstill C4\",P4,2 Apr 2026,s42,1 May 2026,asked_expressed,fully\r\n\
             C5,P5,yesterday,,,,\r\n"
        );
        let file = node.write("export.csv", text);
        let s = import::import_file(&node.store, &node.secret, &file, options(&node, None, None)).await.unwrap();
        assert_eq!((s.counts.rows_read, s.counts.imported, s.counts.rejected), (5, 2, 3), "{:?}", s.counts);
        let lines: Vec<u64> = report_lines(&node).into_iter().map(|(l, _)| l).collect();
        assert_eq!(lines, [4, 5, 7], "the file's own lines");
        let two_digit =
            &s.problems.iter().find(|p| p.column == "concern_date" && p.reason.contains("century")).unwrap();
        assert_eq!(two_digit.examples[0].line, 4);
    }
}

#[tokio::test]
async fn a_mapping_reads_month_first_dates_fills_blanks_and_lets_unmapped_columns_pass() {
    for db in databases().await {
        let node = Node::new(&db).await;
        let mapping = Mapping::parse(
            r#"
date_order = "month_first"
ignore_unmapped = true
[defaults]
sex = "Not Recorded"
[values.sex]
"Not Recorded" = "unknown"
"M" = "male"
"#,
        )
        .unwrap();
        let text = format!(
            "{HEADER},sex,Worker,Team\nC1,P1,4/13/2026,s42,5/1/2026,asked_expressed,fully,,Jo,East\nC2,P2,4/14/2026,,,,,M,Al,West\n"
        );
        let file = node.write("us.csv", text);
        let s =
            import::import_file(&node.store, &node.secret, &file, options(&node, Some(mapping), None)).await.unwrap();
        assert_eq!((s.counts.imported, s.counts.rejected), (2, 0), "{:?}", s.problems);
        let q1: msp_schemas::Period = "2026-27-Q1".parse().unwrap();
        let c = msp_node::completeness::completeness(&node.store, &[q1]).await.unwrap();
        let sex = c.fields.iter().find(|f| f.column == "sex").unwrap();
        assert_eq!((sex.shares[0].applicable, sex.shares[0].missing), (2, 1), "the blank became unknown");

        for (bad, says) in [
            ("date_order = \"middle\"", "date_order must be"),
            ("[defaults]\nsex = \"maybe\"", "is not one of its codes"),
            ("[defaults]\ncase_id = \"X\"", "is required"),
            ("[defaults]\nsexx = \"male\"", "not a case-record/1 column"),
        ] {
            let e = Mapping::parse(bad).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}

#[tokio::test]
async fn a_misspelt_column_is_refused_with_what_it_most_likely_means() {
    for db in databases().await {
        let node = Node::new(&db).await;
        let text = "case_id,person_id,concern_dat,Outcomes Acheived\nC1,P1,2026-04-02,fully\n";
        let file = node.write("typo.csv", text);
        let err = import::import_file(&node.store, &node.secret, &file, options(&node, None, None)).await.unwrap_err();
        let e = err.to_string();
        assert!(e.contains("\"concern_dat\" (did you mean concern_date?)"), "{e}");
        assert!(e.contains("\"Outcomes Acheived\" (did you mean outcomes_achieved?)"), "{e}");
        assert_eq!(node.cases().await, 0);
    }
}

#[tokio::test]
async fn too_many_rejected_rows_store_nothing_and_say_why_and_a_few_are_kept_out_with_reasons_counted() {
    for db in databases().await {
        let node = Node::new(&db).await;
        let text = format!(
            "{HEADER},staff_hours\n\
             C1,P1,2026-04-02,s42,2026-05-01,asked_expressed,fully,300\n\
             C2,P2,2026-04-02,s43,,,,\n\
             C3,P3,2026-04-02,s44,,,,\n\
             C4,P4,2026-04-02,s45,,,,\n\
             C5,P5,2026-04-02,s42,2026-05-01,asked_expressed,fully,95\n"
        );
        let file = node.write("bad.csv", &text);
        let limit: MaxRejected = "50%".parse().unwrap();
        let err =
            import::import_file(&node.store, &node.secret, &file, options(&node, None, Some(limit))).await.unwrap_err();
        assert!(matches!(err, ImportError::TooManyRejected { rejected: 3, read: 5, .. }), "{err}");
        let e = err.to_string();
        assert!(e.contains("3 of the 5 rows") && e.contains("50%") && e.contains("nothing was imported"), "{e}");
        assert!(e.contains("3 × ") && e.contains("rejects.csv"), "the commonest reason and the report: {e}");
        assert_eq!(node.cases().await, 0, "nothing stored");
        assert!(node.store.imports(None).await.unwrap().is_empty(), "no import recorded");
        assert_eq!(report_lines(&node).len(), 5, "the report lists the 3 rejected rows and 2 warnings");

        let limit: MaxRejected = "3".parse().unwrap();
        let s = import::import_file(&node.store, &node.secret, &file, options(&node, None, Some(limit))).await.unwrap();
        assert_eq!((s.counts.imported, s.counts.rejected, s.counts.warnings), (2, 3, 2));
        assert_eq!(s.problems[0].severity, "rejected");
        assert_eq!((s.problems[0].column.as_str(), s.problems[0].count), ("enquiry_type", 3), "{:?}", s.problems);
        let capped = s.problems.iter().find(|p| p.column == "staff_hours").unwrap();
        assert_eq!((capped.count, capped.examples.len()), (2, 2));
        assert!(capped.reason.contains("more than 80"), "{}", capped.reason);
    }
}

#[test]
fn the_rejected_row_limit_reads_as_rows_or_a_share() {
    assert_eq!("250".parse::<MaxRejected>(), Ok(MaxRejected::Rows(250)));
    assert_eq!("5%".parse::<MaxRejected>(), Ok(MaxRejected::Share(0.05)));
    assert!("110%".parse::<MaxRejected>().is_err() && "lots".parse::<MaxRejected>().is_err());
    assert!(MaxRejected::Share(0.1).exceeded(2, 10) && !MaxRejected::Share(0.1).exceeded(1, 10));
    assert!(MaxRejected::Rows(0).exceeded(1, 10) && !MaxRejected::Rows(1).exceeded(1, 10));
}

#[tokio::test]
async fn ticked_columns_become_a_list_and_a_date_of_birth_an_age_band_on_the_concern_date() {
    for db in databases().await {
        let node = Node::new(&db).await;
        let mapping = Mapping::parse(
            r#"
date_of_birth = "DOB"
[lists.risk_types]
"Neglect Y/N" = "neglect"
"Financial Y/N" = "financial"
"#,
        )
        .unwrap();
        let text = format!(
            "{HEADER},risk_types,Neglect Y/N,Financial Y/N,DOB\n\
             C1,P1,2026-04-02,s42,2026-05-01,asked_expressed,fully,physical,Y,yes,1961-04-02\n\
             C2,P2,2026-04-02,s42,2026-05-01,asked_expressed,fully,,N,X,1961-04-03\n\
             C3,P3,2026-04-02,s42,2026-05-01,asked_expressed,fully,,maybe,,1940-01-01\n\
             C4,P4,2026-04-02,s42,2026-05-01,asked_expressed,fully,,,,2010-01-01\n"
        );
        let file = node.write("ticks.csv", text);
        let s =
            import::import_file(&node.store, &node.secret, &file, options(&node, Some(mapping), None)).await.unwrap();
        assert_eq!((s.counts.imported, s.counts.rejected, s.counts.warnings), (3, 1, 1), "{:?}", s.problems);
        let tick = s.problems.iter().find(|p| p.severity == "rejected").unwrap();
        assert!(tick.reason.contains("not a tick for neglect") && tick.examples[0].line == 4, "{tick:?}");
        let child = s.problems.iter().find(|p| p.column == "age_band").unwrap();
        assert!(child.reason.contains("not an adult"), "{child:?}");

        // The exact tables show what was built: C1 and C2 concluded in Q1.
        let q1: msp_schemas::Period = "2026-27-Q1".parse().unwrap();
        let (exact, _) =
            msp_node::release::exact_tables(&node.store, msp_schemas::SpecId::MspQuarterlyV1, q1).await.unwrap();
        let spec = msp_schemas::SpecId::MspQuarterlyV1.spec();
        let cell = |table: &str, code: &str| {
            let (i, t) = spec.tables.iter().enumerate().find(|(_, t)| t.id == table).unwrap();
            exact[i][t.cell_index(code).unwrap()]
        };
        assert_eq!(
            (cell("risk_type", "neglect"), cell("risk_type", "financial"), cell("risk_type", "physical")),
            (1, 2, 1)
        );
        // C1 turned 65 on the day of its concern; C2 was a day short of it.
        assert_eq!(
            (cell("msp_by_age_band", "65-74:expressed_fully"), cell("msp_by_age_band", "18-64:expressed_fully")),
            (1, 1)
        );

        let e = Mapping::parse("[lists.sex]\n\"Male\" = \"male\"").unwrap_err().to_string();
        assert!(e.contains("not a multi-valued column"), "{e}");
        let e = Mapping::parse("ignore = [\"DOB\"]\ndate_of_birth = \"DOB\"").unwrap_err().to_string();
        assert!(e.contains("two roles"), "{e}");
    }
}

#[tokio::test]
async fn blank_lines_do_not_shift_the_line_numbers_of_the_rows_after_them() {
    for db in databases().await {
        let node = Node::new(&db).await;
        // Lines: 1 header, 2 C1, 3 and 4 blank, 5 C2 (bad), 6–7 C3 (a quoted line break in a
        // value, bad), 8 blank, 9 C4 (bad), with CRLF endings.
        let text = format!(
            "{HEADER}\r\nC1,P1,2026-04-02,s42,2026-05-01,asked_expressed,fully\r\n\r\n\r\n\
             C2,P2,bad,,,,\r\nC3,P3,2026-04-02,s42,2026-05-01,\"not\r\nasked\",\r\n\r\nC4,P4,worse,,,,"
        );
        let file = node.write("blanks.csv", text);
        let s = import::import_file(&node.store, &node.secret, &file, options(&node, None, None)).await.unwrap();
        assert_eq!((s.counts.rows_read, s.counts.rejected), (4, 3), "{:?}", s.problems);
        let lines: Vec<u64> = report_lines(&node).into_iter().map(|(l, _)| l).collect();
        assert_eq!(lines, [5, 6, 9], "the file's own lines");
    }
}
