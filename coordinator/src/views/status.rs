//! Submission status: which councils have released which quarters.

use super::table::{DataTable, Value, View, col};
use crate::{auth::Role, benchmark::Snapshot};

/// Which councils have released which quarters.
pub fn submissions(snap: &Snapshot, role: &Role) -> View {
    let (quarters, rows) = snap.status(|c| matches!(role, Role::National | Role::Admin) || role.sees_council(c));
    let mut columns = vec![col("Council"), col("Code"), col("Region")];
    columns.extend(quarters.iter().map(|q| col(q)));
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
        .into_iter()
        .map(|r| {
            let mut row = vec![Value::text(r.name), Value::text(r.council), Value::text(r.region)];
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
        ],
    }
}
