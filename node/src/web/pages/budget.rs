//! `GET /budget`: the privacy budget spent and left, per quarter and per four quarters, beside the
//! network's limits (the rules are in [`crate::dp::ledger`] and [`crate::dp::limits`]).

use axum::extract::State;
use maud::html;
use msp_schemas::Period;

use crate::{
    dp::{ledger, limits},
    policy, release as releases,
    web::{Page, State as NodeState, auth::Viewer, failed, layout},
};

/// The budget page.
pub async fn budget(State(node): State<NodeState>, viewer: Viewer) -> Page {
    let charges = node.store.charges().await.map_err(failed)?;
    let held = policy::held(&node.store).await.map_err(failed)?;
    let budget = node.config.budget();
    let caps = limits::tightest(&budget, &held.policy);
    let charged: Vec<(Period, f64, bool)> = charges.iter().map(|c| (c.period, c.rho, c.revision.is_some())).collect();
    let quarters = ledger::statement(&charged, caps, releases::last_finished_quarter((node.clock)().date()).ok());
    let keeps = limits::Limits::new(&budget, node.config.spec, &held.policy, &held.describe());
    let p = &held.policy;
    let eps = |rho: f64| format!("{:.2}", crate::dp::mechanism::spent_epsilon(rho, budget.delta));
    let body = html! {
        h1 { "Privacy budget" }
        p.lead { "Every release spends budget, and spent budget never comes back: it bounds how much the published "
                 "figures, all together, can ever reveal about any one person." }
        div.table-wrap {
            table {
                caption { "Limits: the network's policy beside this node's settings" }
                thead { tr { th scope="col" { "Limit" } th.num scope="col" { "Network" } th.num scope="col" { "This node" } } }
                tbody {
                    tr { th scope="row" { "ρ per release" } td.num { (p.rho_per_release.min) " to " (p.rho_per_release.max) } td.num { (budget.rho_per_release) } }
                    tr { th scope="row" { "ρ per quarter of data (a release and its revisions)" } td.num { (p.rho_per_quarter) } td.num { (budget.rho_per_quarter) } }
                    tr { th scope="row" { "ρ per four consecutive quarters" } td.num { (p.rho_per_four_quarters) } td.num { (budget.rho_per_four_quarters) } }
                    tr { th scope="row" { "Releases of one quarter" } td.num { "at most " (p.max_revision) } td.num { "–" } }
                }
            }
        }
        p { "Policy: " (held.describe()) ". "
            @match &keeps {
                Ok(_) => { "This node's settings keep to it (they may be stricter, never looser)." }
                Err(e) => { strong { "This node's settings do not keep to it, so releases are refused: " } (e.to_string()) }
            }
            " What is left below is held to the tighter of the two: ρ = " (caps.per_quarter) " per quarter, ρ = "
            (caps.per_four_quarters) " per four quarters. ε is stated at δ = " (format!("{:e}", budget.delta)) "." }
        @if quarters.is_empty() {
            (layout::notice(html! { p { "No budget has been spent yet." } }))
        } @else {
            div.table-wrap {
                table {
                    caption { "Spent and left, per quarter of data" }
                    thead { tr {
                        th scope="col" { "Quarter" } th.num scope="col" { "Releases" } th.num scope="col" { "Spent ρ (ε)" }
                        th.num scope="col" { "Left ρ" } th.num scope="col" { "Four quarters to here: spent ρ (ε)" }
                    } }
                    tbody {
                        @for q in &quarters {
                            tr {
                                th scope="row" { (q.period) }
                                td.num { (q.releases) @if q.interrupted > 0 { " (+" (q.interrupted) " interrupted)" } }
                                td.num { (format!("{:.4}", q.spent)) " (" (eps(q.spent)) ")" }
                                td.num { (format!("{:.4}", q.remaining)) }
                                td.num { (q.four_quarters_from) "–" (q.period) ": " (format!("{:.4}", q.four_quarters_spent)) " (" (eps(q.four_quarters_spent)) ")" }
                            }
                        }
                    }
                }
            }
            p.notes { "An interrupted release is one whose budget was charged but which did not finish: the budget is "
                      "spent and nothing was released (never the other way round)." }
        }
    };
    Ok(layout::page(&viewer, "/budget", "Privacy budget", body))
}
