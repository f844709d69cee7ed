//! Submission status: which councils have released which quarters, and the privacy budget (ρ)
//! each has published against the network policy's caps, from the coordinator's own ledger (every
//! release it accepted, whichever of the council's keys signed it).

use msp_schemas::policy::{CAP_TOLERANCE, NetworkPolicy};

use super::table::{DataTable, Value, View, col};
use crate::{
    auth::Role,
    benchmark::{Snapshot, StatusRow},
};

/// Which councils have released which quarters, and the ρ each has published.
pub fn submissions(snap: &Snapshot, role: &Role) -> View {
    let (quarters, rows) = snap.status(|c| matches!(role, Role::National | Role::Admin) || role.sees_council(c));
    let mut columns = vec![col("Council"), col("Code"), col("Region")];
    columns.extend(quarters.iter().map(|q| col(q)));
    let budget = published(&quarters, &rows, &snap.policy);
    let summary = quarters
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let received = rows.iter().filter(|r| r.revisions[i] > 0).count();
            vec![Value::text(q.as_str()), Value::Count(received as f64), Value::Count((rows.len() - received) as f64)]
        })
        .collect();
    let shown = rows.len();
    let rows = rows
        .iter()
        .map(|r| {
            let mut row = vec![Value::text(&r.name), Value::text(&r.council), Value::text(&r.region)];
            row.extend(r.revisions.iter().map(|v| match v {
                0 => Value::text("not received"),
                1 => Value::text("received"),
                n => Value::text(format!("revision {n}")),
            }));
            row
        })
        .collect();
    View {
        title: "Submission status".into(),
        window: None,
        tree_size: snap.tree_size,
        data: Vec::new(),
        tables: vec![
            DataTable {
                id: "submission-status".into(),
                caption: "Releases received, by council and quarter".into(),
                columns,
                rows,
                notes: vec!["'revision n' means a corrected release superseded the first.".into()],
            },
            DataTable {
                id: "submission-summary".into(),
                caption: "Councils whose release was received, by quarter".into(),
                columns: vec![col("Quarter"), col("Received"), col("Not received")],
                rows: summary,
                notes: vec![format!("Of {shown} councils shown.")],
            },
            budget,
        ],
    }
}

/// The ρ each council has published per quarter and at most in any four consecutive quarters,
/// against the policy's caps: the councils that have published anything.
fn published(quarters: &[String], rows: &[StatusRow], policy: &NetworkPolicy) -> DataTable {
    let mut columns = vec![col("Council"), col("Code")];
    columns.extend(quarters.iter().map(|q| col(&format!("ρ {q}"))));
    columns.extend([col("Most in four quarters"), col("Quarter cap"), col("Four-quarter cap"), col("At a cap")]);
    // A cap is reached when not even the smallest release the policy allows still fits under it.
    let reached = |spent: f64, cap: f64| spent + policy.rho_per_release.min > cap * (1.0 + CAP_TOLERANCE);
    let rows = rows
        .iter()
        .filter(|r| r.most_in_four_quarters > 0.0)
        .map(|r| {
            let mut row = vec![Value::text(&r.name), Value::text(&r.council)];
            row.extend(r.rho.iter().map(|rho| Value::Decimal(*rho)));
            let full: Vec<&str> = quarters
                .iter()
                .zip(&r.rho)
                .filter(|(_, rho)| reached(**rho, policy.rho_per_quarter))
                .map(|(q, _)| q.as_str())
                .collect();
            let mut at = Vec::new();
            if !full.is_empty() {
                at.push(format!("quarter cap: {}", full.join(", ")));
            }
            if reached(r.most_in_four_quarters, policy.rho_per_four_quarters) {
                at.push("four-quarter cap".to_owned());
            }
            row.extend([
                Value::Decimal(r.most_in_four_quarters),
                Value::Decimal(policy.rho_per_quarter),
                Value::Decimal(policy.rho_per_four_quarters),
                Value::text(at.join("; ")),
            ]);
            row
        })
        .collect();
    DataTable {
        id: "published-rho".into(),
        caption: "Privacy budget published (ρ), by council and quarter of data".into(),
        columns,
        rows,
        notes: vec![
            format!(
                "The coordinator's own ledger: the ρ of every release it accepted (all revisions), whichever of the \
                 council's keys signed it. The network policy caps each quarter at ρ = {} and any four consecutive \
                 quarters at ρ = {}; a release that would pass either is refused (budget-exceeded).",
                policy.rho_per_quarter, policy.rho_per_four_quarters
            ),
            "Councils that have published nothing are not listed.".into(),
        ],
    }
}
