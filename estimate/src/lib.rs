//! Estimates with honest intervals from noisy `msp-quarterly` releases (DESIGN §8).
//!
//! Every released value is an exact count plus independent discrete Gaussian noise whose scale σ
//! is published in the release, so a cell's noise variance is σ², sums of cells (over cells, or
//! over councils) add their variances, and a ratio of noisy sums gets a delta-method variance.
//! A proportion's interval is Fieller's (exact for a ratio of Gaussian noisy counts, however
//! small), a mean's the delta method's. Intervals are 95% and clipped to what is feasible (a
//! proportion lies in [0, 1], a mean of values capped at U in [0, U]). An interval too wide to support a comparison is flagged, not
//! hidden.
//!
//! The [`Measure`]s are the headline figures of the network, defined once here so that a
//! council's node, the coordinator's benchmarks and the dashboard all mean the same thing.
//!
//! [`Estimate`] and [`Verdict`] are the wire types of `msp_schemas::api` (what the coordinator's
//! API answers and the node reads), re-exported here: this crate computes them, and defines no
//! second shape for them.

pub use msp_schemas::api::{Estimate, Verdict, Z95};
use msp_schemas::{ReportSpec, spec::Population};
use serde::Serialize;

/// A noisy quantity: its released value and the variance of the noise in it.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Noisy {
    /// The released (noisy) value.
    pub value: f64,
    /// The variance of its noise.
    pub variance: f64,
}

impl Noisy {
    /// A released value with noise of scale `sigma`.
    pub fn new(value: f64, sigma: f64) -> Self {
        Self { value, variance: sigma * sigma }
    }
}

impl std::ops::Add for Noisy {
    type Output = Noisy;

    /// Independent noises: values and variances add.
    fn add(self, other: Noisy) -> Noisy {
        Noisy { value: self.value + other.value, variance: self.variance + other.variance }
    }
}

impl std::iter::Sum for Noisy {
    fn sum<I: Iterator<Item = Noisy>>(iter: I) -> Noisy {
        iter.fold(Noisy::default(), |a, b| a + b)
    }
}

/// An estimate of `value` with standard error `se`, its 95% interval (and the value) clipped to
/// `[lo, hi]`.
fn clipped(value: f64, se: f64, lo: f64, hi: f64, too_wide: bool) -> Estimate {
    let v = value.clamp(lo, hi);
    Estimate { value: v, se, low: (value - Z95 * se).clamp(lo, hi), high: (value + Z95 * se).clamp(lo, hi), too_wide }
}

/// Above this half-width a proportion's interval is too wide to compare (10 percentage points).
pub const WIDE_PROPORTION: f64 = 0.10;
/// Above this half-width, relative to the estimate, a mean's interval is too wide to compare.
pub const WIDE_MEAN_RELATIVE: f64 = 0.25;

/// The proportion `part / (part + rest)`, with its delta-method standard error and Fieller's 95%
/// interval.
///
/// Noisy counts can be negative; they are taken as 0 for the estimate. `None` when the
/// denominator is not positive: there is nothing to estimate.
///
/// The interval is Fieller's, not the delta method's `value ± 1.96·se`: for a ratio of two
/// Gaussian noisy counts it covers the true proportion with probability 95% however small the
/// counts, where the delta method's covers much less when the denominator's noise is comparable to
/// it (a 250-person council's "fully achieved" among its few Asian people: 87% in
/// `tests/tests/coverage_everywhere.rs`). For large counts the two agree. The standard error stays
/// the delta method's: comparisons and combinations use it.
pub fn proportion(part: Noisy, rest: Noisy) -> Option<Estimate> {
    let (p, r) = (part.value.max(0.0), rest.value.max(0.0));
    let n = p + r;
    if n <= 0.0 {
        return None;
    }
    let value = p / n;
    // ∂(p/(p+r))/∂p = r/n², ∂/∂r = −p/n²; the two noises are independent.
    let variance = (r * r * part.variance + p * p * rest.variance) / n.powi(4);
    let se = variance.sqrt();
    let (low, high) = fieller(part, rest).unwrap_or((0.0, 1.0));
    let (low, high) = (low.clamp(0.0, 1.0).min(value), high.clamp(0.0, 1.0).max(value));
    let too_wide = Z95 * se > WIDE_PROPORTION || (high - low) / 2.0 > WIDE_PROPORTION;
    Some(Estimate { value, se, low, high, too_wide })
}

/// Fieller's 95% interval for `F / (F + R)` from independent Gaussian noisy counts `F` (part) and
/// `R` (rest): the proportions π for which `F − π(F + R)`, whose noise has variance
/// `(1 − π)²·var F + π²·var R`, is within 1.96 standard deviations of 0. That is the set where
/// `A·π² − 2B·π + C ≤ 0` with `A = T² − z²(var F + var R)`, `B = F·T − z²·var F`,
/// `C = F² − z²·var F`, `T = F + R`. `None` when `A ≤ 0`: the denominator is not distinguishable
/// from 0 and the set is unbounded, so every proportion is consistent with the data.
fn fieller(part: Noisy, rest: Noisy) -> Option<(f64, f64)> {
    let (f, t) = (part.value, part.value + rest.value);
    let z2 = Z95 * Z95;
    let a = t * t - z2 * (part.variance + rest.variance);
    if a <= 0.0 {
        return None;
    }
    let b = f * t - z2 * part.variance;
    let c = f * f - z2 * part.variance;
    // F/T itself satisfies the inequality, so the discriminant is never negative but for rounding.
    let root = (b * b - a * c).max(0.0).sqrt();
    Some(((b - root) / a, (b + root) / a))
}

/// The mean `sum / count` of values capped at `upper`, with a delta-method interval.
pub fn mean(sum: Noisy, count: Noisy, upper: f64) -> Option<Estimate> {
    mean_of(&[MeanPart { sum, count, centre: 0.0 }], upper)
}

/// One independent part of a mean's data: the noisy sum of the values of `count` people, each
/// less `centre` (0 for a plain clamped sum; a centred sum's centre otherwise), so that the
/// values themselves add up to `sum + centre × count`. Releases of different specs make
/// different parts; within one part the sum's and the count's noises are independent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanPart {
    /// The noisy (centred) sum.
    pub sum: Noisy,
    /// The noisy count of the people summed.
    pub count: Noisy,
    /// What was taken off each person's value.
    pub centre: f64,
}

/// The mean of values capped at `upper` from independent parts, with a delta-method interval:
/// `m = Σ (Sₖ + cₖ·Nₖ) / Σ Nₖ`, so `∂m/∂Sₖ = 1/N` and `∂m/∂Nₖ = (cₖ − m)/N`, and
/// `var m = Σ (var Sₖ + (cₖ − m)²·var Nₖ) / N²`. A centre near the mean makes the count's noise
/// matter little.
pub fn mean_of(parts: &[MeanPart], upper: f64) -> Option<Estimate> {
    let n: f64 = parts.iter().map(|p| p.count.value).sum();
    if n <= 0.0 || parts.is_empty() {
        return None;
    }
    let total: f64 = parts.iter().map(|p| p.sum.value + p.centre * p.count.value).sum();
    let value = (total / n).clamp(0.0, upper);
    let variance =
        parts.iter().map(|p| p.sum.variance + (p.centre - value).powi(2) * p.count.variance).sum::<f64>() / (n * n);
    let se = variance.sqrt();
    let too_wide = value <= 0.0 || Z95 * se > WIDE_MEAN_RELATIVE * value;
    Some(clipped(value, se, 0.0, upper, too_wide))
}

/// The difference `a − b` of two independent estimates (two groups, or a council and its peers
/// when the council is not among them), with its interval.
pub fn difference(a: &Estimate, b: &Estimate) -> Estimate {
    let se = (a.se * a.se + b.se * b.se).sqrt();
    let value = a.value - b.value;
    Estimate { value, se, low: value - Z95 * se, high: value + Z95 * se, too_wide: a.too_wide || b.too_wide }
}

/// Where a measure's cells come from: a release, or the sum of many.
pub trait Cells {
    /// The noisy value of one cell of one table, if the table is there.
    fn cell(&self, table: &str, cell: usize) -> Option<Noisy>;

    /// The noisy sum of some cells of one table.
    fn cells(&self, table: &str, cells: &[usize]) -> Option<Noisy> {
        cells.iter().map(|c| self.cell(table, *c)).sum()
    }

    /// What each person's value had taken off in the sum table `table` (see
    /// [`msp_schemas::TableKind::CentredSum`]); 0 for a plain clamped sum.
    fn centre(&self, table: &str) -> f64 {
        let _ = table;
        0.0
    }

    /// The number of people `cells` of `table` count, as a mean divides by it: independent of
    /// every sum table, not necessarily of other cells (see [`Combined`]'s).
    fn count(&self, table: &str, cells: &[usize]) -> Option<Noisy> {
        self.cells(table, cells)
    }

    /// The independent parts of a mean of the sum table `sum` over the people `count_cells` of
    /// `count` count (one part unless the cells come from releases of several specs).
    fn mean_parts(&self, sum: &str, count: &str, count_cells: &[usize]) -> Option<Vec<MeanPart>> {
        Some(vec![MeanPart {
            sum: self.cell(sum, 0)?,
            count: self.count(count, count_cells)?,
            centre: self.centre(sum),
        }])
    }
}

/// One spec's cells, with each table that other tables measure again ([`ReportSpec::margins`])
/// estimated from all of them by generalised least squares.
///
/// A table's cell and each crossed table's cells of it added over their groups are unbiased for
/// the same exact count, with independent noises of known variance, so the best linear unbiased
/// estimate is their inverse-variance weighted mean, with variance `1 / Σ 1/vᵢ` exactly. The
/// weights are the same for every cell of the table (a table's cells share their σ), so the
/// combined cells stay independent of each other and of every table not involved, and every
/// formula downstream holds. The crossed tables' own cells are read as released.
///
/// The number of people a mean divides by is estimated the same way ([`Cells::count`]): every
/// complete table of the concluded population (each person in exactly one cell) measures its
/// size, so the people some cells of one such table count are measured both by those cells and
/// by the other complete tables' size less the table's remaining cells, independently; the count
/// is the inverse-variance mean of the two. It is correlated with the tables it is made from,
/// which is why only means (whose sums are tables of their own) read it.
pub struct Combined<C> {
    inner: C,
    combined: Vec<(&'static str, Vec<Noisy>)>,
    /// Each complete table of the concluded population, with its cells and its total.
    complete: Vec<(&'static str, usize, Noisy)>,
}

impl<C: Cells> Combined<C> {
    /// `inner`'s cells (those of releases of `spec`), combined as `spec` says.
    pub fn new(spec: &ReportSpec, inner: C) -> Self {
        let combined = spec
            .margins
            .iter()
            .filter_map(|m| {
                let own = spec.table(m.table)?;
                let n = own.cells.len();
                let cells = (0..n)
                    .map(|c| {
                        let mut measured = vec![inner.cell(m.table, c)?];
                        for id in &m.crossed {
                            let groups = spec.table(id)?.cells.len() / n;
                            let cells: Vec<usize> = (0..groups).map(|g| g * n + c).collect();
                            measured.push(inner.cells(id, &cells)?);
                        }
                        Some(least_squares(&measured))
                    })
                    .collect::<Option<Vec<Noisy>>>()?;
                Some((m.table, cells))
            })
            .collect();
        let complete = spec
            .tables
            .iter()
            .filter(|t| t.complete && t.population == Population::Concluded)
            .filter_map(|t| {
                let all: Vec<usize> = (0..t.cells.len()).collect();
                Some((t.id, t.cells.len(), inner.cells(t.id, &all)?))
            })
            .collect();
        Self { inner, combined, complete }
    }

    fn combined(&self, table: &str) -> Option<&[Noisy]> {
        self.combined.iter().find(|(t, _)| *t == table).map(|(_, c)| c.as_slice())
    }
}

/// The inverse-variance weighted mean of independent unbiased measurements of one quantity (a
/// measurement without noise is the answer).
pub fn least_squares(measured: &[Noisy]) -> Noisy {
    if let Some(exact) = measured.iter().find(|m| m.variance <= 0.0) {
        return *exact;
    }
    let precision: f64 = measured.iter().map(|m| 1.0 / m.variance).sum();
    let value = measured.iter().map(|m| m.value / m.variance).sum::<f64>() / precision;
    Noisy { value, variance: 1.0 / precision }
}

impl<C: Cells> Cells for Combined<C> {
    fn count(&self, table: &str, cells: &[usize]) -> Option<Noisy> {
        let direct = self.inner.cells(table, cells)?;
        let Some((_, n, _)) = self.complete.iter().find(|(t, ..)| *t == table) else { return Some(direct) };
        let others: Vec<Noisy> = self.complete.iter().filter(|(t, ..)| *t != table).map(|(.., total)| *total).collect();
        if others.is_empty() {
            return Some(direct);
        }
        let rest: Vec<usize> = (0..*n).filter(|c| !cells.contains(c)).collect();
        let people = least_squares(&others);
        let left = self.inner.cells(table, &rest)?;
        let by_difference = Noisy { value: people.value - left.value, variance: people.variance + left.variance };
        Some(least_squares(&[direct, by_difference]))
    }

    fn cell(&self, table: &str, cell: usize) -> Option<Noisy> {
        match self.combined(table) {
            Some(cells) => cells.get(cell).copied(),
            None => self.inner.cell(table, cell),
        }
    }

    fn cells(&self, table: &str, cells: &[usize]) -> Option<Noisy> {
        match self.combined(table) {
            Some(combined) => cells.iter().map(|c| combined.get(*c).copied()).sum(),
            None => self.inner.cells(table, cells),
        }
    }

    fn centre(&self, table: &str) -> f64 {
        self.inner.centre(table)
    }
}

/// Cells from releases of several specs, each part its own spec's (combined) cells: a cell is the
/// sum of the parts', and is there only if every part has its table (a benchmark does not show
/// a table some of its councils' releases lack as if it were all of them); a mean has a part for
/// each.
pub struct Mixed<C>(pub Vec<C>);

impl<C: Cells> Cells for Mixed<C> {
    fn cell(&self, table: &str, cell: usize) -> Option<Noisy> {
        if self.0.is_empty() {
            return None;
        }
        self.0.iter().map(|c| c.cell(table, cell)).sum()
    }

    fn cells(&self, table: &str, cells: &[usize]) -> Option<Noisy> {
        if self.0.is_empty() {
            return None;
        }
        self.0.iter().map(|c| c.cells(table, cells)).sum()
    }

    fn mean_parts(&self, sum: &str, count: &str, count_cells: &[usize]) -> Option<Vec<MeanPart>> {
        let parts: Vec<Vec<MeanPart>> =
            self.0.iter().map(|c| c.mean_parts(sum, count, count_cells)).collect::<Option<_>>()?;
        (!parts.is_empty()).then(|| parts.concat())
    }
}

/// How a headline measure is computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Formula {
    /// `part / (part + rest)` over cells of one table.
    Proportion {
        /// The table.
        table: &'static str,
        /// Cells counted in the numerator.
        part: &'static [usize],
        /// The other cells of the denominator.
        rest: &'static [usize],
    },
    /// A clamped sum over the total of a histogram: a mean of values capped at `upper`.
    Mean {
        /// The sum table.
        sum: &'static str,
        /// The histogram whose cells count the people summed.
        count: &'static str,
        /// The histogram's cells that count them.
        count_cells: &'static [usize],
        /// The cap on each value.
        upper: f64,
    },
}

macro_rules! measures {
    ($($variant:ident => $id:literal, $label:literal, $short:literal, $formula:expr;)+) => {
        /// The network's headline measures.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Measure {
            $(
                #[doc = $label]
                $variant,
            )+
        }

        impl Measure {
            /// Every headline measure, in display order.
            pub const ALL: &'static [Measure] = &[$(Measure::$variant,)+];

            /// Machine name.
            pub fn id(self) -> &'static str {
                match self { $(Measure::$variant => $id,)+ }
            }

            /// What it measures, for people.
            pub fn label(self) -> &'static str {
                match self { $(Measure::$variant => $label,)+ }
            }

            /// A few words for a chart axis, where the full label will not fit.
            pub fn short(self) -> &'static str {
                match self { $(Measure::$variant => $short,)+ }
            }

            /// How it is computed.
            pub fn formula(self) -> Formula {
                match self { $(Measure::$variant => $formula,)+ }
            }
        }
    };
}

// msp_outcomes cells: 0 expressed_fully, 1 expressed_partially, 2 expressed_not_achieved,
// 3 expressed_unrecorded, 4 asked_not_expressed, 5 not_asked, 6 unknown.
measures! {
    Asked => "asked", "Asked about the outcomes they wanted (of those whose record says)", "Asked about outcomes",
        Formula::Proportion { table: "msp_outcomes", part: &[0, 1, 2, 3, 4], rest: &[5] };
    Expressed => "expressed", "Expressed the outcomes they wanted (of those whose record says)", "Expressed outcomes",
        Formula::Proportion { table: "msp_outcomes", part: &[0, 1, 2, 3], rest: &[4, 5] };
    Fully => "fully", "Outcomes fully achieved (of those who expressed outcomes)", "Fully achieved",
        Formula::Proportion { table: "msp_outcomes", part: &[0], rest: &[1, 2] };
    Partially => "partially", "Outcomes partially achieved (of those who expressed outcomes)", "Partially achieved",
        Formula::Proportion { table: "msp_outcomes", part: &[1], rest: &[0, 2] };
    NotAchieved => "not_achieved", "Outcomes not achieved (of those who expressed outcomes)", "Not achieved",
        Formula::Proportion { table: "msp_outcomes", part: &[2], rest: &[0, 1] };
    FullyOrPartially => "fully_or_partially", "Outcomes fully or partially achieved", "Fully or partially achieved",
        Formula::Proportion { table: "msp_outcomes", part: &[0, 1], rest: &[2] };
    RiskReducedOrRemoved => "risk_reduced_or_removed", "Identified risks removed or reduced", "Risk removed or reduced",
        Formula::Proportion { table: "risk_outcome", part: &[0, 1], rest: &[2] };
    CapacitySupported => "capacity_supported", "Lacking capacity and supported by an advocate, family or friend", "Lacking capacity, supported",
        Formula::Proportion { table: "capacity", part: &[1, 2], rest: &[3] };
    Repeat => "repeat", "Repeat enquiry within 12 months", "Repeat within 12 months",
        Formula::Proportion { table: "repeat_within_12m", part: &[1], rest: &[0] };
    FeltSafer => "felt_safer", "Felt safer (of those asked)", "Felt safer",
        Formula::Proportion { table: "feedback_felt_safer", part: &[0], rest: &[1, 2] };
    ListenedTo => "listened_to", "Felt listened to (of those asked)", "Felt listened to",
        Formula::Proportion { table: "feedback_listened_to", part: &[0], rest: &[1, 2] };
    MeanDays => "mean_days", "Mean days from concern to conclusion (each capped at 365)", "Days to conclude",
        Formula::Mean { sum: "days_to_conclude_sum", count: "days_to_conclude", count_cells: &[0, 1, 2, 3, 4, 5, 6], upper: 365.0 };
    MeanMeetings => "mean_meetings", "Mean meetings with the person (each capped at 10)", "Meetings with the person",
        Formula::Mean { sum: "meetings_with_person_sum", count: "meetings_with_person", count_cells: &[0, 1, 2, 3, 4, 5], upper: 10.0 };
    MeanMultiagency => "mean_multiagency_meetings", "Mean multi-agency meetings (each capped at 10)", "Multi-agency meetings",
        Formula::Mean { sum: "multiagency_meetings_sum", count: "multiagency_meetings", count_cells: &[0, 1, 2, 3, 4, 5], upper: 10.0 };
    MeanStaffHours => "mean_staff_hours", "Mean staff hours where recorded (each capped at 80)", "Staff hours",
        Formula::Mean { sum: "staff_hours_sum", count: "staff_hours", count_cells: &[0, 1, 2, 3, 4], upper: 80.0 };
    // msp-quarterly/2's section 42 versions, as the SAC counts: msp_by_enquiry_type's first seven
    // cells are msp_outcomes' for section 42 enquiries; risk_outcome_by_enquiry_type's first five
    // risk_outcome's.
    AskedS42 => "asked_s42", "Section 42 enquiries: asked about the outcomes they wanted (of those whose record says)", "Asked (s42)",
        Formula::Proportion { table: "msp_by_enquiry_type", part: &[0, 1, 2, 3, 4], rest: &[5] };
    ExpressedS42 => "expressed_s42", "Section 42 enquiries: expressed the outcomes they wanted (of those whose record says)", "Expressed (s42)",
        Formula::Proportion { table: "msp_by_enquiry_type", part: &[0, 1, 2, 3], rest: &[4, 5] };
    FullyS42 => "fully_s42", "Section 42 enquiries: outcomes fully achieved (of those who expressed outcomes)", "Fully achieved (s42)",
        Formula::Proportion { table: "msp_by_enquiry_type", part: &[0], rest: &[1, 2] };
    FullyOrPartiallyS42 => "fully_or_partially_s42", "Section 42 enquiries: outcomes fully or partially achieved", "Fully or partially (s42)",
        Formula::Proportion { table: "msp_by_enquiry_type", part: &[0, 1], rest: &[2] };
    RiskReducedOrRemovedS42 => "risk_reduced_or_removed_s42", "Section 42 enquiries: identified risks removed or reduced", "Risk removed or reduced (s42)",
        Formula::Proportion { table: "risk_outcome_by_enquiry_type", part: &[0, 1], rest: &[2] };
}

/// Which way a measure is better, so that a difference can be read (and coloured) by what it
/// means rather than by its sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// More is better (outcomes achieved, people asked).
    HigherIsBetter,
    /// Less is better (outcomes not achieved, repeat enquiries).
    LowerIsBetter,
    /// Neither: a difference is a difference (days, meetings and hours reflect need and practice
    /// as much as quality; "partially achieved" sits between better and worse).
    Neither,
}

impl Measure {
    /// Which way the measure is better.
    pub fn direction(self) -> Direction {
        match self {
            Measure::Asked
            | Measure::Expressed
            | Measure::Fully
            | Measure::FullyOrPartially
            | Measure::RiskReducedOrRemoved
            | Measure::CapacitySupported
            | Measure::FeltSafer
            | Measure::ListenedTo
            | Measure::AskedS42
            | Measure::ExpressedS42
            | Measure::FullyS42
            | Measure::FullyOrPartiallyS42
            | Measure::RiskReducedOrRemovedS42 => Direction::HigherIsBetter,
            Measure::NotAchieved | Measure::Repeat => Direction::LowerIsBetter,
            Measure::Partially
            | Measure::MeanDays
            | Measure::MeanMeetings
            | Measure::MeanMultiagency
            | Measure::MeanStaffHours => Direction::Neither,
        }
    }

    /// The measure with this id (as [`Measure::id`] gives it).
    pub fn from_id(id: &str) -> Option<Measure> {
        Measure::ALL.iter().copied().find(|m| m.id() == id)
    }

    /// Whether the measure is a proportion (shown as a percentage).
    pub fn is_proportion(self) -> bool {
        matches!(self.formula(), Formula::Proportion { .. })
    }

    /// The measure's estimate from `cells`, if its tables are there and it is defined.
    pub fn estimate(self, cells: &impl Cells) -> Option<Estimate> {
        match self.formula() {
            Formula::Proportion { table, part, rest } => {
                proportion(cells.cells(table, part)?, cells.cells(table, rest)?)
            }
            Formula::Mean { sum, count, count_cells, upper } => {
                mean_of(&cells.mean_parts(sum, count, count_cells)?, upper)
            }
        }
    }
}

/// A measure is named on the wire by its id: `benchmark.measure(Measure::Fully)` finds its estimate.
impl AsRef<str> for Measure {
    fn as_ref(&self) -> &str {
        self.id()
    }
}

/// The cells of one release as released: each value with its table's noise scale.
#[derive(Debug, Clone)]
pub struct ReleaseCells<'a>(pub &'a msp_schemas::release::ReleaseFields);

impl<'a> ReleaseCells<'a> {
    /// The release's cells as the measures read them: combined as its spec says ([`Combined`]),
    /// as the coordinator reads them.
    pub fn combined(fields: &'a msp_schemas::release::ReleaseFields) -> Combined<Self> {
        Combined::new(fields.spec.spec(), ReleaseCells(fields))
    }
}

impl Cells for ReleaseCells<'_> {
    fn cell(&self, table: &str, cell: usize) -> Option<Noisy> {
        let t = self.0.tables.iter().find(|t| t.table == table)?;
        Some(Noisy::new(*t.values.get(cell)? as f64, t.sigma))
    }

    fn centre(&self, table: &str) -> f64 {
        self.0.spec.spec().table(table).map_or(0.0, |t| t.centre())
    }

    /// Cells of one table summed exactly (in i128, so no i64 values can overflow or lose their
    /// sign) before the sum is made a float; their noises are independent, so variances add.
    fn cells(&self, table: &str, cells: &[usize]) -> Option<Noisy> {
        let t = self.0.tables.iter().find(|t| t.table == table)?;
        let sum = cells.iter().try_fold(0i128, |acc, c| Some(acc + i128::from(*t.values.get(*c)?)))?;
        Some(Noisy { value: sum as f64, variance: cells.len() as f64 * t.sigma * t.sigma })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use msp_schemas::SpecId;

    #[test]
    fn a_proportion_of_exact_counts_has_a_zero_width_interval() {
        let e = proportion(Noisy::new(30.0, 0.0), Noisy::new(70.0, 0.0)).unwrap();
        assert_eq!((e.value, e.se, e.low, e.high), (0.3, 0.0, 0.3, 0.3));
    }

    #[test]
    fn the_delta_method_variance_matches_its_formula() {
        // p = 100/(100+50); var = (50²·4 + 100²·9)/150⁴.
        let e = proportion(Noisy::new(100.0, 2.0), Noisy::new(50.0, 3.0)).unwrap();
        let expected = ((2500.0 * 4.0 + 10000.0 * 9.0) / 150f64.powi(4)).sqrt();
        assert!((e.se - expected).abs() < 1e-15);
        // With counts this large Fieller's interval is the delta method's to within a few percent.
        assert!(((e.high - e.low) / (2.0 * Z95 * expected) - 1.0).abs() < 0.05, "{e:?}");
    }

    #[test]
    fn fiellers_interval_solves_its_defining_inequality_at_both_ends() {
        let (part, rest) = (Noisy::new(6.0, 5.0), Noisy::new(9.0, 5.0));
        let (lo, hi) = fieller(part, rest).unwrap();
        let (f, t) = (6.0, 15.0);
        let pivot = |pi: f64| (f - pi * t) / ((1.0 - pi).powi(2) * 25.0 + pi * pi * 25.0).sqrt();
        assert!((pivot(lo).abs() - Z95).abs() < 1e-9 && (pivot(hi).abs() - Z95).abs() < 1e-9, "{lo} {hi}");
        assert!(lo < 0.4 && 0.4 < hi, "the estimate 6/15 is inside");
        // A denominator lost in its noise: every proportion is consistent with the data.
        assert_eq!(fieller(Noisy::new(2.0, 5.0), Noisy::new(3.0, 5.0)), None);
        let e = proportion(Noisy::new(2.0, 5.0), Noisy::new(3.0, 5.0)).unwrap();
        assert_eq!((e.low, e.high, e.too_wide), (0.0, 1.0, true));
    }

    #[test]
    fn intervals_are_clipped_to_what_is_feasible_and_empty_denominators_give_nothing() {
        let e = proportion(Noisy::new(3.0, 5.0), Noisy::new(-1.0, 5.0)).unwrap();
        assert_eq!(e.value, 1.0);
        assert!(e.low >= 0.0 && e.high <= 1.0);
        assert!(proportion(Noisy::new(-2.0, 1.0), Noisy::new(-3.0, 1.0)).is_none());
        let m = mean(Noisy::new(4000.0, 100.0), Noisy::new(10.0, 3.0), 365.0).unwrap();
        assert_eq!(m.value, 365.0);
        assert!(m.high <= 365.0);
        assert!(mean(Noisy::new(1.0, 1.0), Noisy::new(0.0, 1.0), 10.0).is_none());
    }

    #[test]
    fn wide_intervals_are_flagged() {
        assert!(proportion(Noisy::new(5.0, 3.0), Noisy::new(5.0, 3.0)).unwrap().too_wide);
        assert!(!proportion(Noisy::new(500.0, 3.0), Noisy::new(500.0, 3.0)).unwrap().too_wide);
    }

    #[test]
    fn verdicts_follow_the_interval_of_the_difference() {
        let a = proportion(Noisy::new(800.0, 2.0), Noisy::new(200.0, 2.0)).unwrap();
        let b = proportion(Noisy::new(600.0, 2.0), Noisy::new(400.0, 2.0)).unwrap();
        assert_eq!(Verdict::of(&difference(&a, &b)), Verdict::Higher);
        assert_eq!(Verdict::of(&difference(&b, &a)), Verdict::Lower);
        assert_eq!(Verdict::of(&difference(&a, &a)), Verdict::CannotTell);
    }

    #[test]
    fn a_release_s_cells_are_summed_exactly_whatever_their_size() {
        let bytes = include_bytes!("../../schemas/tests/fixtures/release-v1.json");
        let mut f = msp_schemas::Release::from_json(bytes).unwrap().fields().clone();
        let t = f.tables.iter_mut().find(|t| t.table == "msp_outcomes").unwrap();
        t.values[..3].copy_from_slice(&[i64::MAX, i64::MAX, i64::MIN]);
        let sigma = t.sigma;
        let sum = ReleaseCells(&f).cells("msp_outcomes", &[0, 1, 2]).unwrap();
        assert_eq!(sum.value, (i128::from(i64::MAX) - 1) as f64, "MAX + MAX + MIN = MAX − 1, no overflow");
        assert!((sum.variance - 3.0 * sigma * sigma).abs() < 1e-9);
        assert!(ReleaseCells(&f).cells("msp_outcomes", &[0, 99]).is_none(), "a cell not there");
    }

    #[test]
    fn a_mean_of_a_plain_and_a_centred_part_adds_the_values_and_the_counts_noise_around_the_centres() {
        // Part 1: 10 people summing 100 (not centred); part 2: 20 people whose values less 5 sum
        // to −50, so their values sum to 50. The mean is 150/30 = 5.
        let p1 = MeanPart { sum: Noisy::new(100.0, 3.0), count: Noisy::new(10.0, 2.0), centre: 0.0 };
        let p2 = MeanPart { sum: Noisy::new(-50.0, 4.0), count: Noisy::new(20.0, 1.5), centre: 5.0 };
        let e = mean_of(&[p1, p2], 10.0).unwrap();
        assert!((e.value - 5.0).abs() < 1e-12, "{e:?}");
        // var = (9 + (0 − 5)²·4 + 16 + (5 − 5)²·2.25) / 30².
        let expected = ((9.0 + 25.0 * 4.0 + 16.0) / 900.0f64).sqrt();
        assert!((e.se - expected).abs() < 1e-12, "{e:?}");
        // One plain part is the old ratio mean.
        assert_eq!(mean_of(&[p1], 10.0), mean(p1.sum, p1.count, 10.0));
        assert_eq!(mean_of(&[], 10.0), None);
    }

    /// Cells of made-up tables: every value exact, with a given σ per table.
    struct Made(Vec<(&'static str, Vec<f64>, f64)>);

    impl Cells for Made {
        fn cell(&self, table: &str, cell: usize) -> Option<Noisy> {
            let (_, v, sigma) = self.0.iter().find(|(t, ..)| *t == table)?;
            Some(Noisy::new(*v.get(cell)?, *sigma))
        }
    }

    #[test]
    fn the_count_a_mean_divides_by_combines_its_own_cells_with_every_other_complete_table() {
        let spec = SpecId::MspQuarterlyV1.spec();
        // 100 people; every complete table of the concluded population puts them in its first
        // cells, 80 recorded and 20 not in staff_hours (cell 5 "unrecorded").
        let tables = spec
            .tables
            .iter()
            .map(|t| {
                let mut v = vec![0.0; t.cells.len()];
                match t.id {
                    "staff_hours" => (v[0], v[5]) = (80.0, 20.0),
                    _ => v[0] = 100.0,
                }
                (t.id, v, if t.id == "staff_hours" { 3.0 } else { 2.0 })
            })
            .collect();
        let c = Combined::new(spec, Made(tables));
        let recorded = c.count("staff_hours", &[0, 1, 2, 3, 4]).unwrap();
        assert!((recorded.value - 80.0).abs() < 1e-9, "{recorded:?}");
        // Direct: 5 cells at σ 3 (var 45). By difference: the other complete tables' total, each
        // of k cells at σ 2 (var 4k), combined, less the unrecorded cell (var 9).
        let complete: Vec<_> = spec
            .tables
            .iter()
            .filter(|t| t.complete && t.population == Population::Concluded && t.id != "staff_hours")
            .collect();
        assert!(complete.len() >= 10, "{}", complete.len());
        let others = 1.0 / complete.iter().map(|t| 1.0 / (4.0 * t.cells.len() as f64)).sum::<f64>();
        let expected = 1.0 / (1.0 / 45.0 + 1.0 / (others + 9.0));
        assert!((recorded.variance - expected).abs() < 1e-9, "{} vs {expected}", recorded.variance);
        assert!(recorded.variance < 45.0, "narrower than the cells alone");
        // A table not complete (blanks left out) is counted by its own cells only.
        assert_eq!(c.count("meetings_with_person", &[0, 1]), c.cells("meetings_with_person", &[0, 1]));
    }

    #[test]
    fn every_measure_names_cells_that_exist_in_the_spec() {
        let spec = SpecId::MspQuarterlyV2.spec();
        for m in Measure::ALL {
            let check = |table: &str, cells: &[usize]| {
                let t = spec.table(table).unwrap_or_else(|| panic!("{}: no table {table}", m.id()));
                assert!(cells.iter().all(|c| *c < t.cells.len()), "{}: {table}", m.id());
            };
            match m.formula() {
                Formula::Proportion { table, part, rest } => {
                    check(table, part);
                    check(table, rest);
                    assert!(part.iter().all(|p| !rest.contains(p)), "{}", m.id());
                }
                Formula::Mean { sum, count, count_cells, .. } => {
                    check(sum, &[0]);
                    check(count, count_cells);
                }
            }
        }
        assert!(Measure::ALL.iter().all(|m| Measure::from_id(m.id()) == Some(*m)));
        assert_eq!(Measure::from_id("nothing"), None);
        let staff = spec.table("staff_hours").unwrap();
        assert_eq!(staff.cells[5].code, "unrecorded", "mean staff hours leaves out unrecorded");
    }
}
