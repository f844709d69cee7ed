//! Case files in the encodings and formats councils' systems export, on real databases (SQLite
//! always, PostgreSQL when configured): the same rows as UTF-8 with and without a BOM, UTF-16LE
//! and UTF-16BE with a BOM, Windows-1252 named in the mapping or recognised, and an Excel
//! workbook, each importing the same cases with the same line numbers for the same bad row; and
//! the files that cannot be read, each with an error that says why.

mod common;

use std::collections::BTreeSet;

use common::{HEADER, Node};
use msp_node::{
    clock,
    import::{self, ImportError, ImportOptions, ImportSummary, Mapping},
};
use msp_store::testing::databases;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

/// The rows every format holds: line 4 is rejected (its date is not one); the case ids of lines
/// 2 and 3 are written differently in UTF-8 and Windows-1252.
fn text(eol: &str) -> String {
    [
        format!("{HEADER},meetings_with_person"),
        "Café-1,P1,2026-04-02,s42,2026-05-01,asked_expressed,fully,3".into(),
        "£2,P2,2026-04-03,,,,,".into(),
        "C3,P3,yesterday,,,,,".into(),
        "C4,P4,2026-04-04,s42,2026-05-01,asked_expressed,fully,0".into(),
        String::new(),
    ]
    .join(eol)
}

fn options(node: &Node, mapping: Option<Mapping>) -> ImportOptions {
    ImportOptions {
        mapping,
        rejects_path: Some(node.path("rejects.csv")),
        rejects_dir: node.path("rejects"),
        progress: false,
        clock: clock::system(),
        max_rejected: None,
    }
}

async fn import(node: &Node, file: &std::path::Path, mapping: Option<&str>) -> Result<ImportSummary, ImportError> {
    let mapping = mapping.map(|m| Mapping::parse(m).unwrap());
    import::import_file(&node.store, &node.secret, file, options(node, mapping)).await
}

/// The lines and case ids of the rejects report.
fn rejected(node: &Node) -> Vec<(u64, String)> {
    let mut r = csv::Reader::from_path(node.path("rejects.csv")).unwrap();
    // file, line, case_id, …
    r.records().map(|rec| rec.unwrap()).map(|rec| (rec[1].parse().unwrap(), rec[2].to_owned())).collect()
}

/// Asserts the file imported the rows of `text` as they are, and gives its notes.
async fn assert_same_rows(node: &Node, s: &ImportSummary, what: &str) {
    let c = &s.counts;
    assert_eq!((c.rows_read, c.imported, c.rejected), (4, 3, 1), "{what}: {c:?} {:?}", s.problems);
    assert_eq!(rejected(node), [(4, "C3".to_owned())], "{what}: the file's own line");
    let stored: BTreeSet<String> =
        node.store.case_fingerprints(|_| ()).await.unwrap().into_keys().map(String::from).collect();
    let expected: BTreeSet<String> = ["Café-1", "£2", "C4"].into_iter().map(String::from).collect();
    assert_eq!(stored, expected, "{what}: the case ids as stored");
    let on_disk = std::fs::read(&s.file).unwrap();
    assert_eq!(s.file_sha256, sha256(&on_disk), "{what}: the hash of the bytes on disk");
}

fn sha256(bytes: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let bom: [u8; 2] = if big_endian { [0xFE, 0xFF] } else { [0xFF, 0xFE] };
    let units = text.encode_utf16().flat_map(|u| if big_endian { u.to_be_bytes() } else { u.to_le_bytes() });
    bom.into_iter().chain(units).collect()
}

fn windows_1252(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

#[tokio::test]
async fn utf_8_with_and_without_a_bom_and_utf_16_with_a_bom_import_the_same_rows() {
    let files: [(&str, Vec<u8>); 5] = [
        ("UTF-8", text("\n").into_bytes()),
        ("UTF-8 with a BOM, CRLF", [b"\xEF\xBB\xBF".as_slice(), text("\r\n").as_bytes()].concat()),
        ("UTF-16LE with a BOM, CRLF", utf16(&text("\r\n"), false)),
        ("UTF-16BE with a BOM", utf16(&text("\n"), true)),
        ("UTF-16LE with a BOM", utf16(&text("\n"), false)),
    ];
    for (what, bytes) in &files {
        for db in databases().await {
            let node = Node::new(&db).await;
            let file = node.write("export.csv", bytes);
            let s = import(&node, &file, None).await.unwrap();
            assert_same_rows(&node, &s, what).await;
            assert!(s.notes.is_empty(), "{what}: {:?}", s.notes);
        }
    }
}

#[tokio::test]
async fn windows_1252_named_in_the_mapping_or_recognised_imports_the_same_rows_and_says_so_when_guessed() {
    let bytes = windows_1252(&text("\r\n"));
    for db in databases().await {
        let node = Node::new(&db).await;
        let file = node.write("export.csv", &bytes);
        let s = import(&node, &file, Some("encoding = \"windows-1252\"")).await.unwrap();
        assert_same_rows(&node, &s, "named").await;
        assert!(s.notes.is_empty(), "{:?}", s.notes);
    }
    for db in databases().await {
        let node = Node::new(&db).await;
        let file = node.write("export.csv", &bytes);
        let s = import(&node, &file, None).await.unwrap();
        assert_same_rows(&node, &s, "recognised").await;
        assert_eq!(s.notes.len(), 1, "{:?}", s.notes);
        assert!(s.notes[0].contains("read as Windows-1252"), "{}", s.notes[0]);
        let json = serde_json::to_value(&s).unwrap();
        assert!(json["notes"][0].as_str().unwrap().contains("Windows-1252"), "{json}");
    }
}

#[tokio::test]
async fn a_file_that_mixes_utf_8_and_other_bytes_keeps_the_per_field_rejection() {
    for db in databases().await {
        let node = Node::new(&db).await;
        let mut bytes = text("\n").into_bytes();
        // "C4" becomes "C\xA34": the row at line 5 is not UTF-8, the rest is.
        let at = bytes.windows(3).position(|w| w == b"C4,").unwrap();
        bytes.splice(at + 1..at + 1, [0xA3]);
        let file = node.write("export.csv", &bytes);
        let s = import(&node, &file, None).await.unwrap();
        assert_eq!((s.counts.imported, s.counts.rejected), (2, 2), "{:?}", s.problems);
        assert!(s.notes.is_empty());
        let lines: Vec<u64> = rejected(&node).into_iter().map(|(l, _)| l).collect();
        assert_eq!(lines, [4, 5]);
        assert!(s.problems.iter().any(|p| p.reason.contains("not valid UTF-8")), "{:?}", s.problems);
    }
}

/// The rows of `text` as a workbook: dates as date cells (one a date-time), whole numbers as
/// numbers, blanks as cells never written.
fn workbook(sheets: &[&str]) -> Vec<u8> {
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let datetime = Format::new().set_num_format("dd/mm/yyyy hh:mm");
    for name in sheets {
        let ws = book.add_worksheet();
        ws.set_name(*name).unwrap();
        if *name != "Concerns" {
            ws.write_string(0, 0, "not the case file").unwrap();
            continue;
        }
        let header = format!("{HEADER},meetings_with_person");
        for (col, name) in header.split(',').enumerate() {
            ws.write_string(0, col as u16, name).unwrap();
        }
        let day = |d| ExcelDateTime::from_ymd(2026, 4, d).unwrap();
        let concluded = ExcelDateTime::from_ymd(2026, 5, 1).unwrap().and_hms(9, 30, 0).unwrap();
        for (row, id, person, d) in [(1, "Café-1", "P1", 2), (2, "£2", "P2", 3), (4, "C4", "P4", 4)] {
            ws.write_string(row, 0, id).unwrap();
            ws.write_string(row, 1, person).unwrap();
            ws.write_datetime_with_format(row, 2, day(d), &date).unwrap();
            if row != 2 {
                ws.write_string(row, 3, "s42").unwrap();
                ws.write_datetime_with_format(row, 4, &concluded, &datetime).unwrap();
                ws.write_string(row, 5, "asked_expressed").unwrap();
                ws.write_string(row, 6, "fully").unwrap();
                ws.write_number(row, 7, if row == 1 { 3.0 } else { 0.0 }).unwrap();
            }
        }
        ws.write_string(3, 0, "C3").unwrap();
        ws.write_string(3, 1, "P3").unwrap();
        ws.write_string(3, 2, "yesterday").unwrap();
    }
    book.save_to_buffer().unwrap()
}

#[tokio::test]
async fn an_excel_workbook_imports_the_same_rows_with_the_sheet_s_row_numbers() {
    for db in databases().await {
        let node = Node::new(&db).await;
        let file = node.write("export.xlsx", workbook(&["Concerns", "Notes"]));
        let s = import(&node, &file, None).await.unwrap();
        assert_same_rows(&node, &s, "xlsx, first sheet").await;
    }
    for db in databases().await {
        let node = Node::new(&db).await;
        let file = node.write("export.xlsx", workbook(&["Read me", "Concerns"]));
        let err = import(&node, &file, None).await.unwrap_err();
        assert!(matches!(err, ImportError::UnknownColumns { .. }), "the first sheet is read: {err}");
        let s = import(&node, &file, Some("sheet = \" concerns\"")).await.unwrap();
        assert_same_rows(&node, &s, "xlsx, named sheet").await;
    }
    for db in databases().await {
        // A workbook is known by its bytes, whatever it is called.
        let node = Node::new(&db).await;
        let file = node.write("export.csv", workbook(&["Concerns"]));
        let s = import(&node, &file, None).await.unwrap();
        assert_same_rows(&node, &s, "xlsx named .csv").await;
    }
}

/// A password-protected workbook as Excel saves one: an OLE compound file holding an
/// `EncryptedPackage` stream (here empty).
fn encrypted_workbook() -> Vec<u8> {
    let mut file = vec![0u8; 512 * 3];
    file[..8].copy_from_slice(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
    let put = |f: &mut Vec<u8>, at: usize, v: u32| f[at..at + 4].copy_from_slice(&v.to_le_bytes());
    file[24..34].copy_from_slice(&[0x3E, 0, 3, 0, 0xFE, 0xFF, 9, 0, 6, 0]);
    put(&mut file, 44, 1); // one FAT sector
    put(&mut file, 48, 1); // the directory at sector 1
    put(&mut file, 60, 0xFFFF_FFFE); // no mini FAT
    put(&mut file, 68, 0xFFFF_FFFE); // no DIFAT sectors
    put(&mut file, 76, 0); // the FAT at sector 0
    for at in (80..512).step_by(4) {
        put(&mut file, at, 0xFFFF_FFFF);
    }
    put(&mut file, 512, 0xFFFF_FFFD);
    put(&mut file, 516, 0xFFFF_FFFE);
    for at in (520..1024).step_by(4) {
        put(&mut file, at, 0xFFFF_FFFF);
    }
    for (i, name) in ["Root Entry", "EncryptedPackage"].iter().enumerate() {
        let entry = 1024 + i * 128;
        for (j, unit) in name.encode_utf16().enumerate() {
            file[entry + 2 * j..entry + 2 * j + 2].copy_from_slice(&unit.to_le_bytes());
        }
        put(&mut file, entry + 116, 0xFFFF_FFFE);
    }
    file
}

#[tokio::test]
async fn unreadable_workbooks_missing_sheets_and_unknown_encodings_are_refused_saying_why() {
    for db in databases().await {
        let node = Node::new(&db).await;
        let file = node.write("export.xlsx", workbook(&["Concerns", "Notes"]));
        let err = import(&node, &file, Some("sheet = \"Enquiries\"")).await.unwrap_err();
        assert!(matches!(err, ImportError::NoSuchSheet { .. }), "{err}");
        assert!(err.to_string().contains(r#"its sheets are "Concerns", "Notes""#), "{err}");

        let file = node.write("locked.xlsx", encrypted_workbook());
        let err = import(&node, &file, None).await.unwrap_err();
        assert!(matches!(err, ImportError::WorkbookPassword(_)), "{err}");
        assert!(err.to_string().contains("password"), "{err}");

        let mut broken = workbook(&["Concerns"]);
        broken.truncate(broken.len() / 2);
        let file = node.write("broken.xlsx", broken);
        let err = import(&node, &file, None).await.unwrap_err();
        assert!(matches!(err, ImportError::Workbook { .. }), "{err}");
        let file = node.write("not-a-workbook.xlsx", text("\n"));
        let err = import(&node, &file, None).await.unwrap_err();
        assert!(matches!(err, ImportError::Workbook { .. }), "{err}");

        let file = node.write("export.csv", text("\n"));
        let err = import(&node, &file, Some("encoding = \"ebcdic\"")).await.unwrap_err();
        assert!(matches!(err, ImportError::UnknownEncoding { .. }), "{err}");
        assert!(err.to_string().contains("windows-1252"), "{err}");
        assert_eq!(node.cases().await, 0, "nothing was stored");
    }
}
