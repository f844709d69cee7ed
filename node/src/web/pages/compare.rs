//! `GET /compare`: the council's headline figures beside its region, its authority type and
//! England, from the coordinator's benchmarks, with their 95% intervals.

use axum::extract::{Query, State};
use maud::html;
use serde::Deserialize;

use crate::{
    compare,
    submit::{Backoff, Coordinator, SubmitError},
    web::{Page, State as NodeState, auth::Viewer, failed, layout},
};

/// `?period=`.
#[derive(Debug, Deserialize, Default)]
pub struct CompareQuery {
    period: Option<String>,
}

fn figure(proportion: bool, (v, l, h): (f64, f64, f64)) -> String {
    let f = |x| layout::measure(proportion, x);
    format!("{} ({} to {})", f(v), f(l), f(h))
}

/// The compare page.
pub async fn compare(State(node): State<NodeState>, viewer: Viewer, Query(q): Query<CompareQuery>) -> Page {
    let Some(token) = node.read_token.as_deref() else {
        let body = html! {
            h1 { "Compare" }
            (layout::notice(html! { p { "The node has no read token for the coordinator's benchmarks. Start the web view "
                "with the council's read token in the " code { (crate::compare::TOKEN_ENV) } " environment variable "
                "(the coordinator's operator issues it)." } }))
        };
        return Ok(layout::page(&viewer, "/compare", "Compare", body));
    };
    let period = q.period.filter(|p| !p.trim().is_empty());
    if let Some(p) = &period {
        layout::period(p)?;
    }
    let coordinator = Coordinator::for_node(&node.config, &node.data, Backoff::default()).map_err(failed)?;
    let fetched = compare::fetch(&coordinator, token, node.config.council, period.as_deref(), &[]).await;
    let body = match fetched {
        Err(compare::CompareError::NoRelease { window, .. }) => html! {
            h1 { "Compare" }
            (layout::notice(html! { p { "The network holds no release of yours for " (window) " yet, so there is "
                "nothing of yours to compare. Once a release is submitted and receipted (see "
                a href="/submissions" { "Submissions" } "), it is compared here with the region, the council type and England." } }))
        },
        Err(compare::CompareError::Fetch(SubmitError::Refused { problem, .. })) if problem.status == 404 => html! {
            h1 { "Compare" }
            (layout::notice(html! { p { "The network has no benchmarks for this period yet: no council's release has "
                "been received for it. Submit yours from " a href="/" { "the quarters" } "." } }))
        },
        Err(compare::CompareError::Fetch(SubmitError::Refused { problem, .. })) if problem.status == 403 => html! {
            h1 { "Compare" }
            (layout::notice(html! { p { "The network's figures for this quarter are not published yet, so they cannot "
                "be compared with yours: " (problem.detail) "." }
                p { "Until then your own exact figures are on " a href="/" { "the quarter's page" } ", and earlier, "
                    "published quarters can be compared here." } }))
        },
        Err(e) => html! {
            h1 { "Compare" }
            (layout::notice(html! { p { "The coordinator's benchmarks could not be fetched: " (e.to_string()) } }))
        },
        Ok(c) => html! {
            h1 { (c.council) " beside " (c.groups.join(", ")) }
            p.lead { (c.window) ". Every figure is an estimate from noisy releases, with its 95% interval." }
            @for (i, g) in c.groups.iter().enumerate() {
                @if c.alone(i) {
                    (layout::notice(html! { p { strong { (g) " is based on 1 council: " } "yours. Its figures are your "
                        "own, not a benchmark, until other councils in it have released the quarter." } }))
                }
            }
            div.table-wrap {
                table {
                    caption { "Headline measures (95% intervals)" }
                    thead { tr {
                        th scope="col" { "Measure" } th scope="col" { (c.council) }
                        @for (i, g) in c.groups.iter().enumerate() {
                            th scope="col" { (g) br; span.hint { "based on " (c.councils[i]) " "
                                (if c.councils[i] == 1 { "council" } else { "councils" }) } }
                        }
                        th scope="col" { "Against the rest of the region" }
                    } }
                    tbody {
                        @for r in &c.rows {
                            tr {
                                th scope="row" { (r.label) }
                                td { (r.own.map_or("no data".into(), |(v, l, h, _)| figure(r.proportion, (v, l, h)))) }
                                @for g in &r.groups { td { (g.map_or("no data".into(), |g| figure(r.proportion, g))) } }
                                td { strong.tag."tag--unclear" { (r.verdict) } }
                            }
                        }
                    }
                }
            }
            p.notes { "From the first " (c.tree_size) " entries of the coordinator's log. 'higher' or 'lower': the whole "
                      "95% interval of the difference from the rest of the region is on one side of zero; 'can't tell': it "
                      "includes zero." }
        },
    };
    Ok(layout::page(&viewer, "/compare", "Compare", body))
}
