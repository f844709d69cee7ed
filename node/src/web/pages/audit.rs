//! `GET /audit`: the audit log, newest first (the same as `msp-node audit`).

use axum::extract::State;
use maud::html;

use crate::web::{Page, State as NodeState, auth::Viewer, failed, layout};

/// Entries shown (`msp-node audit` prints them all).
const SHOWN: u32 = 200;

/// The audit page.
pub async fn audit(State(node): State<NodeState>, viewer: Viewer) -> Page {
    let entries = node.store.audit_log(Some(SHOWN)).await.map_err(failed)?;
    let body = html! {
        h1 { "Audit log" }
        p.lead { "Who made, approved and submitted each release, and who signed in, newest first." }
        div.table-wrap {
            table {
                caption { "The last " (SHOWN) " entries" }
                thead { tr {
                    th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "How" }
                    th scope="col" { "What" } th scope="col" { "Release" } th scope="col" { "Detail" }
                } }
                tbody {
                    @for e in &entries {
                        tr {
                            td { (e.at) } th scope="row" { (e.actor) } td { (e.via.to_string()) } td { (e.action_label()) }
                            td { @if let Some(p) = e.period { (p) @if let Some(r) = e.revision { " r" (r) } } }
                            td.detail { (e.detail) }
                        }
                    }
                }
            }
        }
        p.notes { "`msp-node audit` prints every entry." }
    };
    Ok(layout::page(&viewer, "/audit", "Audit log", body))
}
