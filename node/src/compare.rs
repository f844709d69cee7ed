//! `msp-node compare`: the council's own headline figures beside its region, its authority type,
//! England and any other group the coordinator knows (a named comparator group such as the
//! council's nearest neighbours, `--group named:<id>`), fetched with the council's read token,
//! each with its 95% interval, and a plain verdict against the rest of its region.
//!
//! Each group figure says how many councils stand behind it; one that stands on this council
//! alone is its own figure and is flagged as such. A quarter the council has no release for has
//! nothing to compare, and is refused rather than shown as a table of "no data".

use msp_schemas::{
    CouncilCode,
    api::{self, BenchmarkAnswer, Estimate},
};
use serde::Serialize;

use crate::submit::{Coordinator, SubmitError};

/// Where `msp-node compare` (and the web view's compare page) find the council's read token when
/// no file is given.
pub const TOKEN_ENV: &str = "MSP_NODE_TOKEN";

/// Why there is no comparison.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// The coordinator could not be read.
    #[error(transparent)]
    Fetch(#[from] SubmitError),
    /// The coordinator holds no release of the council for the window.
    #[error(
        "the coordinator holds no release of {council} for {window}, so there is nothing of yours to compare. \
         Release the quarter (`msp-node release --period P`) and send it (`msp-node submit`), or give --period for \
         a quarter you have sent (`msp-node receipts` lists them)"
    )]
    NoRelease {
        /// The council's name.
        council: String,
        /// The quarter or year asked for.
        window: String,
    },
}

/// One measure, side by side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// What it measures.
    pub label: String,
    /// Whether it is a proportion (else a mean).
    pub proportion: bool,
    /// The council's own estimate, interval and whether it is too wide to compare.
    pub own: Option<(f64, f64, f64, bool)>,
    /// The region's, the authority type's, England's and any other group's estimates, with
    /// intervals.
    pub groups: Vec<Option<(f64, f64, f64)>>,
    /// Against the rest of the region: higher, lower, can't tell, or too wide to compare.
    pub verdict: String,
}

/// The comparison as fetched.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The council's name.
    pub council: String,
    /// The groups' names: region, authority type, England, then any others asked for.
    pub groups: Vec<String>,
    /// How many councils stand behind each group's figures (councils with a release in the
    /// window), as `groups`.
    pub councils: Vec<u64>,
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

impl Comparison {
    /// Whether a group's figures stand on one council alone: the council itself, so they are its
    /// own figures rather than a benchmark.
    pub fn alone(&self, group: usize) -> bool {
        self.councils.get(group) == Some(&1)
    }
}

/// Whether the coordinator's answer holds any release of the council: refused when not.
pub fn check_has_release(against: &api::Comparison) -> Result<(), CompareError> {
    if against.a.coverage.councils_included == 0 {
        return Err(CompareError::NoRelease { council: against.a.name.clone(), window: against.a.window.clone() });
    }
    Ok(())
}

/// Fetches the council against its region (with the difference's verdict), its authority type,
/// England and the groups `also` names (group ids such as `named:hartlepool-neighbours`); refused
/// when the coordinator holds no release of the council for the window.
pub async fn fetch(
    coordinator: &Coordinator,
    token: &str,
    council: CouncilCode,
    period: Option<&str>,
    also: &[String],
) -> Result<Comparison, CompareError> {
    let c = council.council();
    let when = period.map(|p| format!("&period={p}")).unwrap_or_default();
    let against: api::Comparison =
        coordinator.read(&format!("/v1/compare?a=council:{council}&b=region:{}{when}", c.region.slug()), token).await?;
    check_has_release(&against)?;
    let kind: BenchmarkAnswer =
        coordinator.read(&format!("/v1/benchmarks?group=type:{}{when}", c.authority_type.slug()), token).await?;
    let mut others: Vec<BenchmarkAnswer> =
        vec![kind, coordinator.read(&format!("/v1/benchmarks?group=england{when}"), token).await?];
    for g in also {
        let id: String = g.chars().filter(|c| c.is_ascii_alphanumeric() || ":-_".contains(*c)).collect();
        others.push(coordinator.read(&format!("/v1/benchmarks?group={id}{when}"), token).await?);
    }
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
                groups: std::iter::once(d.b.as_ref().map(interval))
                    .chain(others.iter().map(|o| o.benchmark.measure(&d.measure).as_ref().map(interval)))
                    .collect(),
                verdict: verdict.to_owned(),
            }
        })
        .collect();
    Ok(Comparison {
        council: against.a.name,
        councils: std::iter::once(against.b.coverage.councils_included)
            .chain(others.iter().map(|o| o.benchmark.coverage.councils_included))
            .collect(),
        groups: std::iter::once(against.b.name).chain(others.into_iter().map(|o| o.benchmark.name)).collect(),
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
        "{} beside {} (95% intervals; from the first {} entries of the coordinator's log), {}\n\n",
        c.council,
        match c.groups.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => c.groups.join(", "),
        },
        c.tree_size,
        c.window
    );
    let mut headings: Vec<&str> = vec!["Measure", &c.council];
    headings.extend(c.groups.iter().map(String::as_str));
    headings.push("Against the rest of the region");
    let mut based = vec![String::new(), "your release".to_owned()];
    based.extend((0..c.groups.len()).map(|i| {
        let n = c.councils[i];
        format!("based on {n} council{}{}", if n == 1 { "" } else { "s" }, if c.alone(i) { " *" } else { "" })
    }));
    based.push(String::new());
    let mut lines: Vec<Vec<String>> = vec![headings.iter().map(|h| (*h).to_owned()).collect(), based];
    for r in &c.rows {
        let mut line =
            vec![r.label.clone(), r.own.map_or("no data".into(), |(v, l, h, _)| figure(r.proportion, (v, l, h)))];
        line.extend(r.groups.iter().enumerate().map(|(i, g)| {
            let star = if c.alone(i) { " *" } else { "" };
            g.map_or("no data".into(), |g| format!("{}{star}", figure(r.proportion, g)))
        }));
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
    if (0..c.groups.len()).any(|i| c.alone(i)) {
        out.push_str(
            "\n* based on 1 council: yours. That figure is your own council's, not a benchmark: no other council in \
             the group has a release for this window yet.\n",
        );
    }
    out.push_str(
        "\n'higher' or 'lower': the whole 95% interval of the difference from the rest of the region is on one side of zero.\n\
         'can't tell': it includes zero. 'too wide to compare': the council's figure is too uncertain to support a comparison.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use msp_schemas::api::{Benchmark, Coverage};

    fn benchmark(name: &str, councils: u64) -> Benchmark {
        Benchmark {
            group: "council:E06000001".into(),
            name: name.into(),
            window: "2026-27-Q1".into(),
            coverage: Coverage {
                councils_included: councils,
                councils_in_group: 12,
                quarters_included: councils,
                quarters_expected: 12,
            },
            measures: vec![],
            median_days: None,
            tables: vec![],
        }
    }

    #[test]
    fn an_answer_without_the_councils_release_is_refused_saying_what_to_do() {
        let against = |own| api::Comparison {
            tree_size: 3,
            a: benchmark("Hartlepool", own),
            b: benchmark("North East", 3),
            differences: vec![],
        };
        let err = check_has_release(&against(0)).unwrap_err().to_string();
        assert!(err.contains("no release of Hartlepool for 2026-27-Q1") && err.contains("msp-node submit"), "{err}");
        check_has_release(&against(1)).unwrap();
    }

    #[test]
    fn each_group_says_how_many_councils_it_stands_on_and_a_group_of_one_is_flagged_as_the_councils_own() {
        let row = Row {
            label: "Outcomes fully achieved".into(),
            proportion: true,
            own: Some((0.5, 0.4, 0.6, false)),
            groups: vec![Some((0.5, 0.4, 0.6)), Some((0.55, 0.5, 0.6)), Some((0.6, 0.58, 0.62))],
            verdict: "can't tell".into(),
        };
        let c = Comparison {
            council: "Hartlepool".into(),
            groups: vec!["North East".into(), "English unitaries".into(), "England".into()],
            councils: vec![1, 20, 140],
            window: "2026-27-Q1".into(),
            tree_size: 161,
            rows: vec![row],
        };
        let text = render(&c);
        assert!(text.contains("based on 1 council *") && text.contains("based on 20 councils"), "{text}");
        assert!(text.contains("based on 140 councils") && text.contains("50.0% (40.0–60.0) *"), "{text}");
        assert!(text.contains("* based on 1 council: yours"), "{text}");
        let plural = render(&Comparison { councils: vec![3, 20, 140], ..c });
        assert!(!plural.contains('*'), "{plural}");
    }
}
