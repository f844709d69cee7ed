//! Golden documents: the committed fixtures and JSON Schemas are exactly what the types produce,
//! and every wire type round-trips byte for byte. Negative cases prove that nothing unread can
//! ride inside a document.
//!
//! To rewrite the committed files after a deliberate change: `MSP_BLESS=1 cargo test -p msp-schemas`.

use std::path::{Path, PathBuf};

use msp_schemas::{
    Receipt, Release, ReleaseFields, SpecId,
    codes::{MspLevel, TeamModel},
    json_schema,
    release::{
        Accounting, CouncilContext, Mechanism, Privacy, PrivacyUnit, ReceiptFormat, ReleaseError, ReleaseFormat,
        Sha256, TableRelease, gaussian_sigma, zcdp_epsilon,
    },
};
use serde_json::{Value, json};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compares `actual` with the committed file, or rewrites it when `MSP_BLESS=1`.
fn golden(path: &Path, actual: &str) {
    if std::env::var_os("MSP_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}; run MSP_BLESS=1 cargo test -p msp-schemas to create it", path.display()));
    assert!(
        committed == actual,
        "{} is stale: it differs from what the types generate. If the change is deliberate, run \
         MSP_BLESS=1 cargo test -p msp-schemas and commit the result.",
        path.display()
    );
}

/// A release as a node would build it at ρ = 0.5, with values that include negatives.
fn example_fields() -> ReleaseFields {
    let spec = SpecId::MspQuarterlyV1.spec();
    let rho_total = 0.5;
    let tables: Vec<TableRelease> = spec
        .tables
        .iter()
        .enumerate()
        .map(|(t, table)| {
            let rho = rho_total * table.weight();
            TableRelease {
                table: table.id.to_owned(),
                rho,
                sigma: gaussian_sigma(table.l2_sensitivity(), rho),
                values: (0..table.cells.len()).map(|i| ((t * 31 + i * 17) % 97) as i64 - 4).collect(),
            }
        })
        .collect();
    let rho: f64 = tables.iter().map(|t| t.rho).sum();
    ReleaseFields {
        format: ReleaseFormat,
        spec: SpecId::MspQuarterlyV1,
        council: "E06000001".parse().unwrap(),
        period: "2026-27-Q1".parse().unwrap(),
        revision: 1,
        created_at: "2026-07-15T09:30:00Z".parse().unwrap(),
        software: "msp-node 0.1.0".into(),
        privacy: Privacy {
            unit: PrivacyUnit,
            accounting: Accounting,
            mechanism: Mechanism,
            rho,
            epsilon: zcdp_epsilon(rho, 1e-6),
            delta: 1e-6,
        },
        context: CouncilContext {
            team_model: TeamModel::Specialist,
            msp_level: MspLevel::Silver,
            recording_system: "Liquidlogic LAS".into(),
            validated: true,
        },
        tables,
    }
}

fn example_receipt() -> Receipt {
    Receipt {
        format: ReceiptFormat,
        submission_id: "sub_0f3a9c2e".into(),
        council: "E06000001".parse().unwrap(),
        period: "2026-27-Q1".parse().unwrap(),
        revision: 1,
        jws_sha256: Sha256::from_bytes([0x5a; 32]),
        log_index: 41,
        tree_size: 42,
        root_hash: Sha256::from_bytes([0xc3; 32]),
        received_at: "2026-07-15T09:31:07Z".parse().unwrap(),
    }
}

fn pretty<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap() + "\n"
}

fn release_fixture() -> String {
    std::fs::read_to_string(crate_dir().join("tests/fixtures/release-v1.json")).unwrap()
}

fn release_value() -> Value {
    serde_json::from_str(&release_fixture()).unwrap()
}

fn parse_release(v: &Value) -> Result<Release, String> {
    Release::from_json(&serde_json::to_vec(v).unwrap()).map_err(|e| e.to_string())
}

#[test]
fn the_release_fixture_is_what_a_node_builds() {
    let release = Release::new(example_fields()).expect("the example is valid");
    golden(&crate_dir().join("tests/fixtures/release-v1.json"), &pretty(&release));
}

#[test]
fn the_receipt_fixture_is_current() {
    golden(&crate_dir().join("tests/fixtures/receipt-v1.json"), &pretty(&example_receipt()));
}

#[test]
fn committed_json_schemas_are_current() {
    for (name, text) in json_schema::documents() {
        golden(&crate_dir().join("json").join(name), &text);
    }
}

#[test]
fn the_release_fixture_round_trips_byte_for_byte() {
    let text = release_fixture();
    let release = Release::from_json(text.as_bytes()).unwrap();
    assert_eq!(pretty(&release), text);
    let compact = release.to_json();
    assert_eq!(Release::from_json(&compact).unwrap().to_json(), compact);
    assert_eq!(release.council().as_str(), "E06000001");
    assert_eq!(release.period().to_string(), "2026-27-Q1");
    assert_eq!(release.table("msp_outcomes").unwrap().values.last(), Some(&-3), "noisy values may be negative");
}

#[test]
fn privacy_parameters_survive_a_round_trip_to_the_last_bit() {
    // What opendp's maps return is rarely a short decimal; a lossy float parser would change
    // the numbers a coordinator checks and sums.
    let mut f = example_fields();
    for (i, t) in f.tables.iter_mut().enumerate() {
        t.rho = 0.019_999_999_980_000_002 + i as f64 * 1e-13;
        t.sigma = msp_schemas::release::gaussian_sigma(SpecId::MspQuarterlyV1.spec().tables[i].l2_sensitivity(), t.rho);
    }
    f.privacy.rho = f.tables.iter().map(|t| t.rho).sum();
    f.privacy.epsilon = zcdp_epsilon(f.privacy.rho, f.privacy.delta);
    let release = Release::new(f).unwrap();
    let back = Release::from_json(&release.to_json()).unwrap();
    assert_eq!(back, release);
    assert_eq!(back.to_json(), release.to_json());
}

#[test]
fn the_receipt_fixture_round_trips_byte_for_byte() {
    let text = std::fs::read_to_string(crate_dir().join("tests/fixtures/receipt-v1.json")).unwrap();
    let receipt: Receipt = serde_json::from_str(&text).unwrap();
    assert_eq!(pretty(&receipt), text);
    assert_eq!(receipt, example_receipt());
}

#[test]
fn a_release_with_an_unknown_top_level_field_is_refused() {
    let mut v = release_value();
    v["comment"] = json!("hello");
    let err = parse_release(&v).unwrap_err();
    assert!(err.contains("unknown field `comment`"), "{err}");
}

#[test]
fn a_release_with_an_unknown_nested_field_is_refused() {
    for pointer in ["/privacy", "/context", "/tables/0"] {
        let mut v = release_value();
        v.pointer_mut(pointer).unwrap()["exact_count"] = json!(12);
        let err = parse_release(&v).unwrap_err();
        assert!(err.contains("unknown field `exact_count`"), "{pointer}: {err}");
    }
}

#[test]
fn a_release_with_a_missing_field_is_refused() {
    for field in
        ["format", "spec", "council", "period", "revision", "created_at", "software", "privacy", "context", "tables"]
    {
        let mut v = release_value();
        v.as_object_mut().unwrap().remove(field);
        let err = parse_release(&v).unwrap_err();
        assert!(err.contains(&format!("missing field `{field}`")), "{field}: {err}");
    }
}

#[test]
fn a_release_of_an_unknown_spec_version_is_refused() {
    let mut v = release_value();
    v["spec"] = json!("msp-quarterly/3");
    let err = parse_release(&v).unwrap_err();
    assert!(err.contains("not a report spec this software supports"), "{err}");
    // A /1 release's tables under the /2 spec id are refused for what they lack.
    let mut v = release_value();
    v["spec"] = json!("msp-quarterly/2");
    let err = parse_release(&v).unwrap_err();
    assert!(err.contains("msp-quarterly/2 has 32 tables but the release has 27"), "{err}");
    let mut v = release_value();
    v["format"] = json!("msp-release/2");
    assert!(parse_release(&v).unwrap_err().contains("msp-release/1"));
}

#[test]
fn a_release_with_a_wrong_cell_count_is_refused() {
    let mut v = release_value();
    v["tables"][3]["values"].as_array_mut().unwrap().push(json!(5));
    let err = parse_release(&v).unwrap_err();
    assert!(err.contains("\"msp_outcomes\" has 7 cells in the spec but 8 values"), "{err}");
}

#[test]
fn a_release_with_tables_missing_or_out_of_order_is_refused() {
    let mut v = release_value();
    v["tables"].as_array_mut().unwrap().pop();
    assert!(parse_release(&v).unwrap_err().contains("has 27 tables but the release has 26"));
    let mut v = release_value();
    v["tables"].as_array_mut().unwrap().swap(0, 1);
    assert!(parse_release(&v).unwrap_err().contains("table 0 should be \"concern_outcome\""));
}

#[test]
fn a_release_whose_noise_does_not_match_its_budget_is_refused() {
    let mut f = example_fields();
    f.tables[6].sigma *= 0.5;
    assert!(matches!(Release::new(f), Err(ReleaseError::Sigma { .. })));
    let mut f = example_fields();
    f.privacy.rho = 0.25;
    assert!(matches!(Release::new(f), Err(ReleaseError::RhoSum { .. })));
    let mut f = example_fields();
    f.privacy.epsilon = 1.0;
    assert!(matches!(Release::new(f), Err(ReleaseError::Epsilon { .. })));
    let mut f = example_fields();
    f.tables[0].rho = -1.0;
    assert!(matches!(Release::new(f), Err(ReleaseError::NotPositive { .. })));
    let mut f = example_fields();
    f.privacy.delta = 0.0;
    assert!(matches!(Release::new(f), Err(ReleaseError::Delta(_))));
}

#[test]
fn a_release_with_bad_identity_fields_is_refused() {
    for (field, value, expect) in [
        ("council", json!("E99999999"), "not the code of a council"),
        ("period", json!("2026-27-Q5"), "not a financial quarter"),
        ("revision", json!(0), "revision must be 1 or more"),
        ("revision", json!(-1), "invalid value"),
        ("created_at", json!("yesterday"), "RFC 3339"),
        ("software", json!(""), "software must be"),
    ] {
        let mut v = release_value();
        v[field] = value;
        let err = parse_release(&v).unwrap_err();
        assert!(err.contains(expect), "{field}: {err}");
    }
    let mut v = release_value();
    v["privacy"]["mechanism"] = json!("laplace");
    assert!(parse_release(&v).unwrap_err().contains("discrete_gaussian"));
    let mut v = release_value();
    v["context"]["team_model"] = json!("matrix");
    assert!(parse_release(&v).unwrap_err().contains("specialist, locality, hybrid"));
    let mut v = release_value();
    v["tables"][0]["values"][0] = json!(1.5);
    assert!(parse_release(&v).is_err());
}

#[test]
fn a_receipt_with_an_unknown_or_missing_field_is_refused() {
    let mut v = serde_json::to_value(example_receipt()).unwrap();
    v["note"] = json!(1);
    assert!(serde_json::from_value::<Receipt>(v).unwrap_err().to_string().contains("unknown field `note`"));
    let mut v = serde_json::to_value(example_receipt()).unwrap();
    v.as_object_mut().unwrap().remove("root_hash");
    assert!(serde_json::from_value::<Receipt>(v).unwrap_err().to_string().contains("missing field `root_hash`"));
    let mut v = serde_json::to_value(example_receipt()).unwrap();
    v["jws_sha256"] = json!("XYZ");
    assert!(serde_json::from_value::<Receipt>(v).unwrap_err().to_string().contains("SHA-256"));
}
