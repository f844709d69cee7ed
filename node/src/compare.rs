//! `msp-node compare`: the council's own headline figures beside its region, its authority type
//! and England, fetched from the coordinator with the council's read token, each with its 95%
//! interval, and a plain verdict against the rest of its region.

use msp_schemas::{
    CouncilCode,
    api::{self, BenchmarkAnswer, Estimate},
};
use serde::Serialize;

use crate::submit::{Coordinator, SubmitError};

/// One measure, side by side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// What it measures.
    pub label: String,
    /// Whether it is a proportion (else a mean).
    pub proportion: bool,
    /// The council's own estimate, interval and whether it is too wide to compare.
    pub own: Option<(f64, f64, f64, bool)>,
    /// The region's, the authority type's and England's estimates, with intervals.
    pub groups: [Option<(f64, f64, f64)>; 3],
    /// Against the rest of the region: higher, lower, can't tell, or too wide to compare.
    pub verdict: String,
}

/// The comparison as fetched.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The council's name.
    pub council: String,
    /// The groups' names: region, authority type, England.
    pub groups: [String; 3],
    /// The quarter or year.
    pub window: String,
    /// The log size the figures come from.
    pub tree_size: u64,
    /// The rows.
    pub rows: Vec<Row>,
}

fn interval(e: &Estimate) -> (f64, f64, f64) {
    (e.value, e.low, e.high)
}

/// Fetches the council against its region (with the difference's verdict), its authority type and England.
pub async fn fetch(
    coordinator: &Coordinator,
    token: &str,
    council: CouncilCode,
    period: Option<&str>,
) -> Result<Comparison, SubmitError> {
    let c = council.council();
    let when = period.map(|p| format!("&period={p}")).unwrap_or_default();
    let against: api::Comparison =
        coordinator.read(&format!("/v1/compare?a=council:{council}&b=region:{}{when}", c.region.slug()), token).await?;
    let kind: BenchmarkAnswer =
        coordinator.read(&format!("/v1/benchmarks?group=type:{}{when}", c.authority_type.slug()), token).await?;
    let england: BenchmarkAnswer = coordinator.read(&format!("/v1/benchmarks?group=england{when}"), token).await?;
    let rows = against
        .differences
        .iter()
        .map(|d| {
            let too_wide = d.a.is_some_and(|e| e.too_wide) || d.difference.is_some_and(|e| e.too_wide);
            let verdict = match d.verdict {
                _ if too_wide => "too wide to compare",
                Some(v) => v.words(),
                None => "no data",
            };
            Row {
                label: d.label.clone(),
                proportion: d.proportion,
                own: d.a.as_ref().map(interval).map(|(v, l, h)| (v, l, h, too_wide)),
                groups: [
                    d.b.as_ref().map(interval),
                    kind.benchmark.measure(&d.measure).as_ref().map(interval),
                    england.benchmark.measure(&d.measure).as_ref().map(interval),
                ],
                verdict: verdict.to_owned(),
            }
        })
        .collect();
    Ok(Comparison {
        council: against.a.name,
        groups: [against.b.name, kind.benchmark.name, england.benchmark.name],
        window: against.a.window,
        tree_size: against.tree_size,
        rows,
    })
}

fn figure(proportion: bool, (v, l, h): (f64, f64, f64)) -> String {
    if proportion {
        format!("{:.1}% ({:.1}–{:.1})", v * 100.0, l * 100.0, h * 100.0)
    } else {
        format!("{v:.1} ({l:.1}–{h:.1})")
    }
}

/// The comparison as a plain-text table.
pub fn render(c: &Comparison) -> String {
    let mut out = format!(
        "{} beside {}, {} and England, {} (95% intervals; from the first {} entries of the coordinator's log)\n\n",
        c.council, c.groups[0], c.groups[1], c.window, c.tree_size
    );
    let headings = ["Measure", &c.council, &c.groups[0], &c.groups[1], &c.groups[2], "Against the rest of the region"];
    let mut lines: Vec<Vec<String>> = vec![headings.iter().map(|h| (*h).to_owned()).collect()];
    for r in &c.rows {
        let mut line =
            vec![r.label.clone(), r.own.map_or("no data".into(), |(v, l, h, _)| figure(r.proportion, (v, l, h)))];
        line.extend(r.groups.iter().map(|g| g.map_or("no data".into(), |g| figure(r.proportion, g))));
        line.push(r.verdict.clone());
        lines.push(line);
    }
    let widths: Vec<usize> =
        (0..headings.len()).map(|i| lines.iter().map(|l| l[i].chars().count()).max().unwrap_or(0)).collect();
    for l in &lines {
        let cells: Vec<String> = l.iter().zip(&widths).map(|(s, w)| format!("{s:<w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str(
        "\n'higher' or 'lower': the whole 95% interval of the difference from the rest of the region is on one side of zero.\n\
         'can't tell': it includes zero. 'too wide to compare': the council's figure is too uncertain to support a comparison.\n",
    );
    out
}
