//! `GET /`: every quarter the node holds data or a release for, and where it stands.

use axum::extract::State;
use maud::html;

use crate::{
    quarters::{self, Stage},
    web::{
        Page, State as NodeState,
        auth::Viewer,
        failed,
        layout::{self, count},
    },
};

/// The tag of a stage (its words, never its colour alone).
fn tag(stage: Stage) -> &'static str {
    match stage {
        Stage::NotReleased => "tag tag--unclear",
        Stage::Released | Stage::Approved => "tag tag--wide",
        Stage::Sent => "tag tag--unclear",
        Stage::Receipted => "tag tag--higher",
    }
}

/// The quarters.
pub async fn home(State(node): State<NodeState>, viewer: Viewer) -> Page {
    let states = quarters::states(&node.store).await.map_err(failed)?;
    let council = node.config.council.council();
    let approval = if node.config.four_eyes() {
        "Each release must be approved by an approver other than the person who made it before it is sent."
    } else if node.config.requires_approval() {
        "Each release must be approved by an approver before it is sent."
    } else {
        "Releases are sent without approval (node.toml's [submission] can require it)."
    };
    let body = html! {
        h1 { (council.name) }
        p.lead { "Your council's node: import the case file, check the data, preview and make the quarter's release, "
                 "approve it, and send it to the network." }
        p { (approval) }
        @if states.is_empty() {
            (layout::notice(html! { p { "No case records yet. Import the council's case file on the node's machine: "
                code { "msp-node import FILE" } "." } }))
        } @else {
            div.table-wrap {
                table {
                    caption { "Quarters" }
                    thead { tr {
                        th scope="col" { "Quarter" }
                        th.num scope="col" { "Concerns received" }
                        th.num scope="col" { "Enquiries concluded" }
                        th scope="col" { "State" }
                        th scope="col" { "Next" }
                    } }
                    tbody {
                        @for q in &states {
                            tr {
                                th scope="row" { a href=(format!("/quarters/{}", q.period)) { (q.period) } }
                                td.num { (q.holdings.as_ref().map_or("–".into(), |h| count(h.concerns))) }
                                td.num { (q.holdings.as_ref().map_or("–".into(), |h| count(h.concluded_enquiries))) }
                                td { strong class=(tag(q.stage())) { (q.describe()) } }
                                td { (next_step(q)) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(&viewer, "/", "Quarters", body))
}

/// A link to what to do next with a quarter.
fn next_step(q: &quarters::QuarterState) -> maud::Markup {
    let p = q.period;
    match q.stage() {
        Stage::NotReleased => html! { a href=(format!("/quarters/{p}/preview")) { "Preview the release" } },
        Stage::Released => html! { a href=(format!("/quarters/{p}/release")) { "Check and approve" } },
        Stage::Approved | Stage::Sent => html! { a href=(format!("/quarters/{p}/release")) { "Submit" } },
        Stage::Receipted => html! { a href="/submissions" { "See the receipt" } },
    }
}
