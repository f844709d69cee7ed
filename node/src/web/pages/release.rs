//! `GET /quarters/{period}/release`: the release as it will leave the council — every table with
//! its cells' published wording, the noisy value beside the exact local one, the privacy
//! parameters in plain words — with the approval and submission forms, and `GET
//! /quarters/{period}/release.json`: its exact bytes.
//!
//! The approval form names the revision and the SHA-256 of the bytes shown: if the quarter is
//! revised after the page was opened, that approval is refused ([`crate::submit::approval`]).

use axum::{
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use maud::{Markup, html};
use msp_schemas::Release;

use crate::{
    readable, release as releases,
    store::StoredRelease,
    web::{
        Page, State as NodeState,
        auth::Viewer,
        failed,
        layout::{self, count},
    },
};

/// The stored latest release of the quarter, or the page saying there is none.
async fn latest(node: &NodeState, period: msp_schemas::Period) -> Result<StoredRelease, Response> {
    node.store.release(period, None).await.map_err(failed)?.ok_or_else(|| {
        layout::refusal(
            StatusCode::NOT_FOUND,
            "Not released yet",
            &format!("{period} has not been released. Preview it first at /quarters/{period}/preview."),
        )
    })
}

/// The release page.
pub async fn release(State(node): State<NodeState>, viewer: Viewer, Path(p): Path<String>) -> Page {
    let period = layout::period(&p)?;
    let stored = latest(&node, period).await?;
    let doc = Release::from_json(stored.document.as_bytes()).map_err(failed)?;
    let (exact, _) = releases::exact_tables(&node.store, doc.spec(), period).await.map_err(failed)?;
    let tables = readable::labelled(&doc, Some(&exact));
    let approval = node.store.approval(period, stored.revision).await.map_err(failed)?;
    let sent = node.store.outgoing(period, stored.revision).await.map_err(failed)?;
    let f = doc.fields();
    let sha = stored.sha256();
    let any_negative = readable::any_negative(&tables);
    let body = html! {
        h1 { (period) " release, revision " (stored.revision) }
        p.lead { "This is exactly what will leave the council: every figure below in the \"Published\" column, and "
                 "nothing else." }
        dl.summary-list {
            dt { "Made" } dd { (stored.created_at) " by " (stored.made_by.as_deref().unwrap_or("(not recorded)")) }
            dt { "Privacy" } dd { (readable::privacy_in_words(&f.privacy)) }
            dt { "Approval" } dd {
                @match &approval {
                    Some(a) => { "Approved by " strong { (a.by) } " at " (a.at) }
                    None if node.config.requires_approval() => { "Not approved yet" }
                    None => { "Not needed (node.toml does not ask for it)" }
                }
            }
            dt { "Sent" } dd {
                @match &sent {
                    Some(o) if o.receipt_jws.is_some() => { "Receipted at " (o.received_at.as_deref().unwrap_or("")) " — "
                        a href="/submissions" { "see the receipt" } }
                    Some(o) => { "Queued, " (o.attempts) " attempts" @if let Some(e) = &o.last_error { "; last error: " (e) } }
                    None => { "Not yet" }
                }
            }
            dt { "SHA-256 of the bytes" } dd { code.hash { (sha) } }
            dt { "Download" } dd { a href=(format!("/quarters/{period}/release.json")) download=(format!("{}-{period}-r{}.json", f.council, stored.revision)) { "The exact bytes (JSON)" } }
        }
        (actions(&node, &viewer, &stored, &sha, approval.is_some(), sent.as_ref().is_some_and(|o| o.receipt_jws.is_some())))
        h2 { "Every table as it will leave" }
        @if any_negative { (layout::notice(html! { p { (readable::NEGATIVE_VALUES) } })) }
        p { "The exact column is the council's own count as the node holds it now; it never leaves the node." }
        @for t in &tables {
            div.table-wrap {
                table {
                    caption { (t.title) span.hint { " — " (t.population) "; " (t.noise_in_words()) } }
                    thead { tr { th scope="col" { "Cell" } th.num scope="col" { "Published (noisy)" } th.num scope="col" { "Exact (local)" } } }
                    tbody {
                        @for c in &t.cells {
                            tr {
                                th scope="row" { (c.label) }
                                td.num { (count(c.noisy)) }
                                td.num { (c.exact.map_or("–".into(), count)) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(&viewer, "", &format!("{period} release"), body))
}

/// The approve and submit forms, as far as this viewer and this release's state allow.
fn actions(node: &NodeState, viewer: &Viewer, r: &StoredRelease, sha: &str, approved: bool, receipted: bool) -> Markup {
    let period = r.period;
    let needs = node.config.requires_approval();
    let own = r.made_by.as_deref().is_some_and(|m| viewer.actor().same_person(m));
    html! {
        @if receipted {
        } @else if needs && !approved {
            h2 { "Approve" }
            @if !viewer.user.role.may_approve() {
                p { "An approver must approve this release before it is sent. Your account is an officer's." }
            } @else if own && node.config.four_eyes() {
                p { "You made this release, and this node asks for four eyes: another approver must approve it." }
            } @else {
                form method="post" action=(format!("/quarters/{period}/approve")) {
                    (layout::csrf(viewer))
                    input type="hidden" name="revision" value=(r.revision);
                    input type="hidden" name="sha256" value=(sha);
                    p { "You approve exactly the release on this page (revision " (r.revision) ", SHA-256 "
                        code { (&sha[..16]) "…" } "), as " strong { (viewer.user.name) } "." }
                    button.button type="submit" { "Approve this release" }
                }
            }
        } @else {
            h2 { "Submit" }
            form method="post" action=(format!("/quarters/{period}/submit")) {
                (layout::csrf(viewer))
                input type="hidden" name="revision" value=(r.revision);
                p { "Signs the release with the node's key and sends it to the coordinator at " code { (node.config.coordinator_url) }
                    ", which answers with a receipt the node checks against the network's log." }
                button.button type="submit" { "Submit to the network" }
            }
        }
    }
}

/// The exact bytes, as a download.
pub async fn download(State(node): State<NodeState>, _viewer: Viewer, Path(p): Path<String>) -> Page {
    let period = layout::period(&p)?;
    let stored = latest(&node, period).await?;
    let name = format!("attachment; filename=\"{}-{period}-r{}.json\"", node.config.council, stored.revision);
    let mut r = (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], stored.document).into_response();
    r.headers_mut().insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&name).map_err(failed)?);
    Ok(r)
}
