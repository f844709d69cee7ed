//! `GET /submissions`: every release sent or queued, with the coordinator's receipt and its place
//! in the network's log once received (each receipt was checked against the log when kept).

use axum::extract::State;
use maud::html;

use crate::{
    submit::receipt::stored_receipt,
    web::{Page, State as NodeState, auth::Viewer, failed, layout},
};

/// The submissions page.
pub async fn submissions(State(node): State<NodeState>, viewer: Viewer) -> Page {
    let outbox = node.store.outbox(None).await.map_err(failed)?;
    let mut rows = Vec::with_capacity(outbox.len());
    for o in outbox.iter().rev() {
        let approval = node.store.approval(o.period, o.revision).await.map_err(failed)?;
        let receipt = o.receipt_jws.as_deref().and_then(stored_receipt);
        rows.push((o, approval, receipt));
    }
    let body = html! {
        h1 { "Submissions" }
        p.lead { "What the node has sent to the network, and the coordinator's signed receipts." }
        @if rows.is_empty() {
            (layout::notice(html! { p { "Nothing has been sent yet. Make and approve a release from "
                a href="/" { "the quarters" } ", then submit it." } }))
        } @else {
            div.table-wrap {
                table {
                    caption { "Releases sent, newest first" }
                    thead { tr {
                        th scope="col" { "Release" } th scope="col" { "Approved by" } th scope="col" { "State" }
                        th.num scope="col" { "Log position" } th scope="col" { "Receipt" }
                    } }
                    tbody {
                        @for (o, approval, receipt) in &rows {
                            tr {
                                th scope="row" { a href=(format!("/quarters/{}/release", o.period)) { (o.period) " r" (o.revision) } }
                                td { @match approval { Some(a) => { (a.by) br; span.hint { (a.at) } } None => { "–" } } }
                                td {
                                    @if o.receipt_jws.is_some() {
                                        strong.tag."tag--higher" { "Receipted" } br;
                                        span.hint { "verified against the log at " (o.received_at.as_deref().unwrap_or("")) }
                                    } @else {
                                        strong.tag."tag--wide" { "Awaiting receipt" } br;
                                        span.hint { (o.attempts) " attempts" @if let Some(e) = &o.last_error { "; last error: " (e) } }
                                    }
                                }
                                td.num { (receipt.as_ref().and_then(|r| r["log_index"].as_u64()).map_or("–".into(), |i| i.to_string())) }
                                td { (receipt.as_ref().and_then(|r| r["submission_id"].as_str()).map_or("–".into(), str::to_owned)) }
                            }
                        }
                    }
                }
            }
            p.notes { "A receipt is kept only once its signature checks out with the coordinator's pinned key and the "
                      "log proves it holds the release. `msp-node verify-receipt` checks a receipt against the log as it is now." }
        }
    };
    Ok(layout::page(&viewer, "/submissions", "Submissions", body))
}
