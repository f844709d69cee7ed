//! A release as people read it: each table under its published title, each cell under the spec's
//! published wording, with the noise and the privacy guarantee in plain words. `msp-node
//! show-release --table` prints these and the node's local pages will show them; nothing here
//! prints.
//!
//! A release's figures are noisy by design (DESIGN §4). The exact local figures can be shown
//! beside them ([`crate::release::exact_tables`] gives them, in spec order), but only on the
//! node: they never leave it.

use msp_schemas::{
    Release,
    release::Privacy,
    spec::{Population, TableKind, TableSpec},
};
use serde::Serialize;

/// Why a published count can be below zero, for whoever reads one.
pub const NEGATIVE_VALUES: &str = "Some published values are negative. Each value has random noise added to protect \
     the people counted, and the node publishes it as it comes out, without raising it to zero: rounding small \
     counts up would make every total, and every figure summed across councils, too high. The coordinator's \
     estimates allow for this, so a negative value is expected for a small or empty cell and is not an error. \
     A total \"less\" a figure per person (msp-quarterly/2's days, meetings and hours) is below zero whenever its \
     people's values are mostly below that figure, noise or not.";

/// The z-value of a two-sided 95% interval of normal noise.
const Z95: f64 = 1.96;

/// One table of a release, labelled for people.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelledTable {
    /// The table's id in the spec.
    pub id: String,
    /// Its published title.
    pub title: String,
    /// Who it counts, in plain words.
    pub population: String,
    /// The ρ spent on it.
    pub rho: f64,
    /// The scale σ of the noise added to each of its values.
    pub sigma: f64,
    /// Its cells, in spec order.
    pub cells: Vec<LabelledCell>,
}

/// One cell of a table, labelled for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelledCell {
    /// The cell's code in the spec.
    pub code: String,
    /// Its published wording.
    pub label: String,
    /// The published (noisy) value.
    pub noisy: i64,
    /// The exact local value, when it was asked for (it never leaves the node).
    pub exact: Option<i64>,
}

impl LabelledTable {
    /// Whether any published value of the table is below zero.
    pub fn has_negative(&self) -> bool {
        self.cells.iter().any(|c| c.noisy < 0)
    }

    /// The table's typical noise in words (see [`noise_in_words`]).
    pub fn noise_in_words(&self) -> String {
        noise_in_words(self.sigma)
    }
}

/// The tables of `release` under the spec's published titles and cell labels, with the exact
/// local figures beside the published ones when `exact` is given (one vector per spec table, in
/// spec order, as [`crate::release::exact_tables`] returns them).
pub fn labelled(release: &Release, exact: Option<&[Vec<i64>]>) -> Vec<LabelledTable> {
    let spec = release.spec().spec();
    release
        .fields()
        .tables
        .iter()
        .map(|t| {
            let index = spec.tables.iter().position(|s| s.id == t.table);
            let table = index.map(|i| &spec.tables[i]);
            let exact = index.and_then(|i| exact.and_then(|e| e.get(i)));
            let cells = t
                .values
                .iter()
                .enumerate()
                .map(|(j, &noisy)| {
                    let cell = table.and_then(|s| s.cells.get(j));
                    LabelledCell {
                        code: cell.map_or_else(|| j.to_string(), |c| c.code.clone()),
                        label: cell.map_or_else(|| j.to_string(), |c| c.label.clone()),
                        noisy,
                        exact: exact.and_then(|e| e.get(j).copied()),
                    }
                })
                .collect();
            LabelledTable {
                id: t.table.clone(),
                title: table.map_or_else(|| t.table.clone(), |s| s.title.to_owned()),
                population: table.map_or_else(String::new, population_in_words),
                rho: t.rho,
                sigma: t.sigma,
                cells,
            }
        })
        .collect()
}

/// Whether any published value of any table is below zero (then show [`NEGATIVE_VALUES`]).
pub fn any_negative(tables: &[LabelledTable]) -> bool {
    tables.iter().any(LabelledTable::has_negative)
}

/// Who a table counts, and how, in plain words.
pub fn population_in_words(table: &TableSpec) -> String {
    let who = match table.population {
        Population::Concerns => "people with a safeguarding concern received in the quarter",
        Population::Concluded => "people with an enquiry concluded in the quarter",
    };
    match table.kind {
        TableKind::Partition => format!("{who}, each counted once"),
        TableKind::MultiValued { k } => format!("{who}, each counted in up to {k} of its rows"),
        TableKind::ClampedSum { upper } => format!("a total over {who}, each person's value capped at {upper}"),
        TableKind::CentredSum { upper, centre } => {
            format!(
                "a total over {who} of each person's value capped at {upper}, less {centre} (so it may be below zero)"
            )
        }
    }
}

/// Half the width of the range that holds about 95% of a value's noise: 1.96σ.
pub fn noise_half_width(sigma: f64) -> f64 {
    Z95 * sigma
}

/// A table's typical noise in words: "about 95% of published values are within ±N of the exact
/// figure".
pub fn noise_in_words(sigma: f64) -> String {
    let h = noise_half_width(sigma);
    let n = if h >= 10.0 { format!("{h:.0}") } else { format!("{h:.1}") };
    format!("about 95% of published values are within ±{n} of the exact figure")
}

/// The privacy guarantee of a release in two or three plain sentences: ρ, ε at δ, and what they
/// mean for one person.
pub fn privacy_in_words(p: &Privacy) -> String {
    format!(
        "This release spent ρ = {rho:.4} of the council's privacy budget (zero-concentrated differential privacy); \
         stated as (ε, δ), that is ε = {eps:.2} at δ = {delta:e}. It bounds what the published figures can reveal \
         about any one person: whether or not that person's records are included changes the chance of any \
         published result by at most a factor of e^ε, except with a probability of at most δ, whatever else the \
         reader knows. Each release uses up part of the budget for good, and the caps bound what can be learned \
         per quarter and per four quarters, not over a lifetime.",
        rho = p.rho,
        eps = p.epsilon,
        delta = p.delta
    )
}

/// Formats a count with thousands separators.
pub fn thousands(n: impl Into<i128>) -> String {
    let s = n.into().to_string();
    let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{sign}{out}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_show_thousands_separators() {
        assert_eq!(thousands(0u64), "0");
        assert_eq!(thousands(999u64), "999");
        assert_eq!(thousands(1_000u64), "1,000");
        assert_eq!(thousands(1_234_567u64), "1,234,567");
        assert_eq!(thousands(-1_234i64), "-1,234");
    }

    use msp_schemas::spec::SpecId;

    #[test]
    fn the_typical_noise_is_the_half_width_of_a_95_percent_range() {
        assert!((noise_half_width(10.0) - 19.6).abs() < 1e-9);
        assert_eq!(noise_in_words(10.0), "about 95% of published values are within ±20 of the exact figure");
        assert_eq!(noise_in_words(2.0), "about 95% of published values are within ±3.9 of the exact figure");
    }

    #[test]
    fn populations_say_who_is_counted_and_how() {
        let spec = SpecId::MspQuarterlyV1.spec();
        let words = |id| population_in_words(spec.table(id).unwrap());
        assert_eq!(
            words("concern_outcome"),
            "people with a safeguarding concern received in the quarter, each counted once"
        );
        assert!(words("risk_type").contains("up to 3"));
        assert!(words("days_to_conclude_sum").contains("capped at 365"));
    }

    fn fixture() -> Release {
        Release::from_json(include_bytes!("../../schemas/tests/fixtures/release-v1.json")).unwrap()
    }

    #[test]
    fn privacy_in_words_states_rho_epsilon_and_delta() {
        let words = privacy_in_words(&fixture().fields().privacy);
        assert!(words.contains("ρ = ") && words.contains("ε = ") && words.contains("δ = "), "{words}");
    }

    #[test]
    fn tables_carry_the_published_titles_and_labels_with_the_exact_figures_beside() {
        let release = fixture();
        let spec = release.spec().spec();
        let exact: Vec<Vec<i64>> = spec.tables.iter().map(|t| (0..t.cells.len() as i64).collect()).collect();
        let tables = labelled(&release, Some(&exact));
        assert_eq!(tables.len(), release.fields().tables.len());
        for (t, s) in tables.iter().zip(&spec.tables) {
            assert_eq!((t.id.as_str(), t.title.as_str()), (s.id, s.title));
            let labels: Vec<&str> = t.cells.iter().map(|c| c.label.as_str()).collect();
            assert_eq!(labels, s.cells.iter().map(|c| c.label.as_str()).collect::<Vec<_>>());
            assert!(t.cells.iter().enumerate().all(|(j, c)| c.exact == Some(j as i64)));
        }
        assert!(labelled(&release, None).iter().all(|t| t.cells.iter().all(|c| c.exact.is_none())));
    }
}
