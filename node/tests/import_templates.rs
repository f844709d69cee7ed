//! The mapping templates in deploy/config/mappings/ import their sample exports: every row, none
//! rejected, and the values built as the templates say (ticked columns into lists, dates of birth
//! into age bands, month-first dates, month names). A template that stops working fails here.

mod common;

use common::Node;
use msp_node::{
    clock,
    import::{self, ImportOptions, Mapping, MaxRejected},
    release::exact_tables,
};
use msp_store::testing::databases;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/config/mappings");

/// Imports a template's sample export with no rejected row allowed; the exact tables of 2026-27-Q1.
async fn import(node: &Node, name: &str) -> (import::ImportSummary, Vec<Vec<i64>>) {
    let mapping = Mapping::parse(&std::fs::read_to_string(format!("{DIR}/{name}.example.toml")).unwrap())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let options = ImportOptions {
        mapping: Some(mapping),
        rejects_path: Some(node.path(&format!("{name}-rejects.csv"))),
        rejects_dir: node.path("rejects"),
        progress: false,
        clock: clock::system(),
        max_rejected: Some(MaxRejected::Rows(0)),
    };
    let sample = std::path::PathBuf::from(format!("{DIR}/samples/{name}.csv"));
    let s = import::import_file(&node.store, &node.secret, &sample, options)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(s.counts.rejected, 0, "{name}: {:?}", s.problems);
    assert_eq!(s.counts.warnings, 0, "{name}: {:?}", s.problems);
    let (exact, _) =
        exact_tables(&node.store, msp_schemas::SpecId::MspQuarterlyV1, "2026-27-Q1".parse().unwrap()).await.unwrap();
    (s, exact)
}

fn cell(exact: &[Vec<i64>], table: &str, code: &str) -> i64 {
    let (i, t) =
        msp_schemas::SpecId::MspQuarterlyV1.spec().tables.iter().enumerate().find(|(_, t)| t.id == table).unwrap();
    exact[i][t.cell_index(code).unwrap_or_else(|| panic!("{table} has no cell {code}"))]
}

#[tokio::test]
async fn the_las_style_template_reads_times_ticked_abuse_columns_and_dates_of_birth() {
    for db in databases().await {
        let node = Node::new(&db).await;
        let (s, exact) = import(&node, "liquidlogic-las").await;
        assert_eq!((s.counts.rows_read, s.counts.imported), (5, 5));
        // Ticked Y/N abuse columns: financial in 100231, neglect in 100231 and 100234.
        assert_eq!((cell(&exact, "risk_type", "financial"), cell(&exact, "risk_type", "neglect")), (1, 2));
        // Dates of birth: 88, 35 and 97 on their concern dates.
        assert_eq!(cell(&exact, "msp_by_age_band", "85-94:expressed_fully"), 1);
        assert_eq!(cell(&exact, "msp_by_age_band", "18-64:expressed_partially"), 1);
        assert_eq!(cell(&exact, "msp_by_age_band", "95+:not_asked"), 1);
    }
}

#[tokio::test]
async fn the_mosaic_style_template_reads_month_names_lists_and_its_own_wording() {
    for db in databases().await {
        let node = Node::new(&db).await;
        let (s, exact) = import(&node, "mosaic").await;
        assert_eq!((s.counts.rows_read, s.counts.imported), (4, 4));
        assert_eq!(cell(&exact, "desired_outcomes", "control"), 1, "a |-separated list in the system's words");
        assert_eq!(cell(&exact, "enquiry_type", "s42") + cell(&exact, "enquiry_type", "other"), 3);
    }
}

#[tokio::test]
async fn the_eclipse_style_template_reads_month_first_dates_and_ticked_outcomes() {
    for db in databases().await {
        let node = Node::new(&db).await;
        let (s, exact) = import(&node, "eclipse").await;
        assert_eq!((s.counts.rows_read, s.counts.imported), (4, 4));
        assert_eq!(cell(&exact, "desired_outcomes", "feel_safer"), 2, "ticked outcome columns");
        // 4/13/2026 is 13 April, month first: all in Q1.
        assert_eq!(cell(&exact, "concern_outcome", "s42_enquiry"), 2);
    }
}

#[tokio::test]
async fn the_several_files_template_joins_persons_enquiries_and_abuse_types_to_concerns() {
    for db in databases().await {
        let node = Node::new(&db).await;
        let mapping = Mapping::parse(&std::fs::read_to_string(format!("{DIR}/several-files.example.toml")).unwrap())
            .expect("the template is a valid mapping");
        let options = ImportOptions {
            mapping: Some(mapping),
            rejects_path: Some(node.path("rejects.csv")),
            rejects_dir: node.path("rejects"),
            progress: false,
            clock: clock::system(),
            max_rejected: Some(MaxRejected::Rows(0)),
        };
        let main = std::path::PathBuf::from(format!("{DIR}/samples/several-files/concerns.csv"));
        let s = import::import_file(&node.store, &node.secret, &main, options).await.unwrap();
        assert_eq!(
            (s.counts.rows_read, s.counts.imported, s.counts.rejected, s.counts.warnings),
            (4, 4, 0, 0),
            "{:?}",
            s.problems
        );
        let joined: Vec<(u64, u64, u64)> = s.joined.iter().map(|f| (f.rows_read, f.matched, f.rejected)).collect();
        assert_eq!(joined, [(3, 3, 0), (3, 3, 0), (4, 4, 0)], "persons, enquiries, abuse types: every row joined");
        let (exact, _) = exact_tables(&node.store, msp_schemas::SpecId::MspQuarterlyV1, "2026-27-Q1".parse().unwrap())
            .await
            .unwrap();
        // 50019, born 1 December 1951, is 74 on 2 June 2026, and was not asked.
        assert_eq!(cell(&exact, "msp_by_age_band", "65-74:not_asked"), 1);
        assert!(cell(&exact, "risk_type", "neglect") >= 1, "abuse types gathered from their own file");
    }
}
