//! `GET /quarters/{period}`: the quarter's exact local figures — every headline measure with its
//! trend over the quarters held, and every table of the report — and `GET
//! /quarters/{period}/preview`: how far a release would sit from them, at the configured ρ and at
//! others, before anything is spent.

use axum::extract::{Path, State};
use maud::{Markup, html};
use msp_schemas::Period;

use crate::{
    policy,
    release::{self, Expected, ReleaseError},
    spending,
    web::{
        Page, State as NodeState,
        auth::Viewer,
        failed,
        layout::{self, count, measure},
    },
};

/// Quarters of trend shown.
const TREND: usize = 6;

/// The quarter's exact figures.
pub async fn quarter(State(node): State<NodeState>, viewer: Viewer, Path(p): Path<String>) -> Page {
    let period = layout::period(&p)?;
    let spec = release::current_spec(&node.store, &node.config).await.map_err(failed)?;
    let (exact, concluded) = release::exact_tables(&node.store, spec, period).await.map_err(failed)?;
    let mut trend: Vec<(Period, Vec<Expected>)> = Vec::new();
    let mut q = Some(period);
    for _ in 0..TREND {
        let Some(at) = q else { break };
        // The quarter itself was read above; the earlier ones are read here.
        let tables = if at == period {
            exact.clone()
        } else {
            release::exact_tables(&node.store, spec, at).await.map_err(failed)?.0
        };
        if tables.iter().all(|t| t.iter().all(|&v| v == 0)) {
            break;
        }
        trend.push((at, release::expected(spec, &tables, 1.0).map_err(failed)?));
        q = at.previous();
    }
    trend.reverse();
    let body = html! {
        h1 { (period) ": the council's exact figures" }
        (layout::exact_warning())
        p { (count(concluded as u64)) " people with an enquiry concluded in the quarter. "
            a href=(format!("/quarters/{period}/preview")) { "Preview the release of " (period) } "." }
        @if !trend.is_empty() { (trend_table(&trend)) }
        h2 { "Every table of the report" }
        @for (t, values) in spec.spec().tables.iter().zip(&exact) {
            div.table-wrap {
                table {
                    caption { (t.title) }
                    thead { tr { th scope="col" { "Cell" } th.num scope="col" { "Exact (local)" } } }
                    tbody {
                        @for (c, v) in t.cells.iter().zip(values) {
                            tr { th scope="row" { (c.label) } td.num { (count(*v)) } }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(&viewer, "", &format!("{period}: exact figures"), body))
}

fn trend_table(trend: &[(Period, Vec<Expected>)]) -> Markup {
    let measures = &trend.last().expect("a quarter at least").1;
    html! {
        div.table-wrap {
            table {
                caption { "Headline measures, exact, over the last quarters held" }
                thead { tr {
                    th scope="col" { "Measure" }
                    @for (p, _) in trend { th.num scope="col" { (p) } }
                } }
                tbody {
                    @for (i, m) in measures.iter().enumerate() {
                        tr {
                            th scope="row" { (m.label) }
                            @for (_, row) in trend {
                                td.num { (row[i].exact.map_or("–".into(), |v| measure(m.proportion, v))) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Budgets a preview shows besides the configured one, within the network's limits.
const OTHERS: [f64; 4] = [0.1, 0.25, 0.5, 1.0];

/// The preview of a release.
pub async fn preview(State(node): State<NodeState>, viewer: Viewer, Path(p): Path<String>) -> Page {
    let period = layout::period(&p)?;
    let budget = node.config.budget();
    let held = policy::held(&node.store).await.map_err(failed)?;
    let range = held.policy.rho_per_release;
    let mut rhos: Vec<f64> = OTHERS.iter().copied().filter(|r| range.admits(*r)).collect();
    if !rhos.iter().any(|r| (r - budget.rho_per_release).abs() < 1e-12) {
        rhos.push(budget.rho_per_release);
    }
    rhos.sort_by(f64::total_cmp);
    let spec = release::current_spec(&node.store, &node.config).await.map_err(failed)?;
    let (exact, concluded) = release::exact_tables(&node.store, spec, period).await.map_err(failed)?;
    let columns: Vec<(f64, Vec<Expected>)> = rhos
        .iter()
        .map(|&r| release::expected(spec, &exact, r).map(|e| (r, e)))
        .collect::<Result<_, _>>()
        .map_err(failed)?;
    let released = node.store.release(period, None).await.map_err(failed)?;
    let spend = match spending::preview(&node.store, &node.config, period, false, (node.clock)().date()).await {
        Err(ReleaseError::Store(e)) => return Err(failed(e)),
        other => other.map_err(|e| e.to_string()),
    };
    let body = html! {
        h1 { "Preview the release of " (period) }
        p.lead { "How far the published figures would sit from the exact ones. Nothing is spent and nothing leaves the "
                 "node until you make the release." }
        p { "Each column is a budget ρ for the release: a larger ρ means less noise and narrower intervals, but spends "
            "more of the privacy budget, which never comes back. This node is set to ρ = " strong { (budget.rho_per_release) }
            " (node.toml's [budget]); " (held.describe()) " allows " (range.min) " to " (range.max) ". "
            (count(concluded as u64)) " people concluded, as the data stand now." }
        div.table-wrap {
            table {
                caption { "Expected 95% interval of each headline measure: exact value ± half-width" }
                thead { tr {
                    th scope="col" { "Measure" }
                    th.num scope="col" { "Exact (local)" }
                    @for (r, _) in &columns {
                        th.num scope="col" { "ρ\u{a0}=\u{a0}" (r) @if (*r - budget.rho_per_release).abs() < 1e-12 { " (configured)" } }
                    }
                } }
                tbody {
                    @for (i, m) in columns[0].1.iter().enumerate() {
                        tr {
                            th scope="row" { (m.label) }
                            td.num { (m.exact.map_or("–".into(), |v| measure(m.proportion, v))) }
                            @for (_, col) in &columns {
                                td.num { (col[i].half_width.map_or("–".into(), |h| format!("±\u{a0}{}", measure(m.proportion, h)))) }
                            }
                        }
                    }
                }
            }
        }
        p.notes { "– means no data for the measure this quarter. ± is the half-width of the 95% interval the noise "
                  "alone would give; the coordinator's benchmarks also allow for it." }
        @if let Some(r) = released {
            (layout::notice(html! { p { (period) " was released already (revision " (r.revision) ", " (r.created_at) "). "
                a href=(format!("/quarters/{period}/release")) { "See the release as it will leave" } "." } }))
        } @else {
            @match &spend {
                Err(why) => { (layout::notice(html! { p { strong { "It cannot be released now: " } (why) } })) }
                Ok(None) => {}
                Ok(Some(s)) => {
                    h2 { "Make the release" }
                    form method="post" action=(format!("/quarters/{period}/release")) {
                        (layout::csrf(&viewer))
                        input type="hidden" name="rho" value=(budget.rho_per_release);
                        dl.summary-list {
                            dt { "It spends" } dd { "ρ = " (format!("{:.4}", s.rho)) " (ε = " (format!("{:.2}", s.epsilon))
                                " at δ = " (format!("{:e}", s.delta)) "), for good" }
                            dt { "Left for " (period) } dd { "ρ = " (format!("{:.4}", s.quarter_left)) " of " (s.quarter_cap) }
                            dt { "Left in four quarters" } dd { "ρ = " (format!("{:.4}", s.four_quarters_left)) " of " (s.four_quarters_cap) }
                            dt { "Limits from" } dd { (s.policy) }
                        }
                        p { "The release is then kept on the node until it is approved and submitted." }
                        div.form-row {
                            div {
                                input type="checkbox" id="confirm" name="confirm" value="yes" required;
                                label.inline for="confirm" { " I have checked the preview and want to spend this budget" }
                            }
                        }
                        button.button type="submit" { "Make the release" }
                    }
                }
            }
        }
    };
    Ok(layout::page(&viewer, "", &format!("Preview {period}"), body))
}
