//! `/dashboard/status`: which councils' releases the coordinator holds, by quarter, and the privacy
//! budget (ρ) each has published against the network policy's caps (the councils the role may
//! see; every council for national and administrator roles).

use axum::extract::State;
use maud::{Markup, html};

use super::layout::{self, Page, table};
use crate::{
    http::{caller::SignedIn, error::HttpError, state::AppState},
    views::{self, DataTable, Value},
};

/// `GET /dashboard/status`.
pub(in crate::http) async fn page(State(state): State<AppState>, SignedIn(role): SignedIn) -> Page {
    let snap = state.snapshot().await.map_err(HttpError::from)?;
    let view = views::submissions(&snap, &role);
    let policy = &snap.policy;
    Ok(layout::page(
        "Submission status",
        Some(&role),
        "/dashboard/status",
        html! {
            h1 { "Submission status" }
            p { "Which councils' releases the coordinator holds, by quarter. Computed from the first " (view.tree_size) " entries of the transparency log." }
            (table(&view.tables[1], "/v1/views/status", 1))
            (table(&view.tables[0], "/v1/views/status", 0))
            h2 { "Privacy budget published" }
            p {
                "The network policy allows ρ = " (rho(policy.rho_per_release.min)) " to " (rho(policy.rho_per_release.max))
                " per release, at most ρ = " (rho(policy.rho_per_quarter)) " for one quarter of a council's data and ρ = "
                (rho(policy.rho_per_four_quarters)) " for any four consecutive quarters, and revisions up to "
                (policy.max_revision) ". The coordinator counts every release it has accepted, whichever of the council's keys signed it."
            }
            (budget(&view.tables[2]))
        },
    ))
}

/// ρ as shown: to three decimal places, enough for the policy's smallest release (0.05).
fn rho(v: f64) -> String {
    format!("{v:.3}")
}

/// The published-ρ table, its figures to three decimal places, with its download links.
fn budget(t: &DataTable) -> Markup {
    let cell = |v: &Value| match v {
        Value::Decimal(d) => rho(*d),
        Value::Text(s) => s.clone(),
        other => other.number().map_or_else(String::new, rho),
    };
    html! {
        @if t.rows.is_empty() {
            p { "No council has published anything yet." }
        } @else {
            div.table-wrap {
                table {
                    caption { (t.caption) }
                    thead { tr { @for c in &t.columns { th scope="col" { (c.heading) } } } }
                    tbody {
                        @for row in &t.rows {
                            tr {
                                @for (i, v) in row.iter().enumerate() {
                                    @if i == 0 { th scope="row" { (cell(v)) } }
                                    @else if matches!(v, Value::Decimal(_)) { td.num { (cell(v)) } }
                                    @else if matches!(v, Value::Text(s) if !s.is_empty() && i + 1 == row.len()) {
                                        td { strong.tag."tag--wide" { (cell(v)) } }
                                    }
                                    @else { td { (cell(v)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        @for n in &t.notes { p.notes { (n) } }
        p.downloads {
            "Download this table: "
            a href="/v1/views/status?format=csv&table=2" { "CSV" } ", "
            a href="/v1/views/status?format=xlsx" { "XLSX (every table on this page)" } ", "
            a href="/v1/views/status?format=json" { "JSON" }
        }
    }
}

#[cfg(test)]
mod tests {
    use msp_schemas::{
        codes::{MspLevel, TeamModel},
        policy::NetworkPolicy,
    };

    use super::*;
    use crate::{
        auth::Role,
        benchmark::{CouncilRelease, Snapshot},
    };

    fn release(council: &str, period: &str, revision: u32) -> CouncilRelease {
        CouncilRelease {
            council: council.parse().unwrap(),
            period: period.parse().unwrap(),
            revision,
            spec: msp_schemas::SpecId::MspQuarterlyV1,
            team_model: TeamModel::Hybrid,
            msp_level: MspLevel::Silver,
            tables: Vec::new(),
        }
    }

    #[test]
    fn the_budget_table_shows_each_councils_published_rho_against_the_caps() {
        let all = vec![
            release("E06000001", "2026-27-Q1", 1),
            release("E06000001", "2026-27-Q1", 2),
            release("E06000002", "2026-27-Q1", 1),
        ];
        let snap = Snapshot::new(3, all, vec![0.5, 0.5, 0.05], NetworkPolicy::default());
        let view = views::submissions(&snap, &Role::Admin);
        let html = budget(&view.tables[2]).into_string();
        assert!(html.contains("<th scope=\"row\">Hartlepool</th>"), "{html}");
        assert!(html.contains("1.000") && html.contains("0.050") && html.contains("2.500"), "{html}");
        assert!(html.contains("quarter cap: 2026-27-Q1"), "Hartlepool's quarter is spent: {html}");
        assert_eq!(view.tables[2].rows.len(), 2, "councils that published nothing are not listed");
        let empty = Snapshot::new(0, Vec::new(), Vec::new(), NetworkPolicy::default());
        assert!(budget(&views::submissions(&empty, &Role::Admin).tables[2]).into_string().contains("No council"));
    }
}
