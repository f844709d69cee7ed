//! A council's release as the estimator reads it, and the rule that the latest revision of each
//! (council, quarter) is the one benchmarks use: a higher revision supersedes, all are kept.

use std::collections::BTreeMap;

use msp_schemas::{
    CouncilCode, Period, Release, SpecId,
    codes::{MspLevel, TeamModel},
};

/// A council's release as the estimator uses it (the latest revision of its quarter).
#[derive(Debug, Clone)]
pub struct CouncilRelease {
    /// The council.
    pub council: CouncilCode,
    /// The quarter.
    pub period: Period,
    /// The revision.
    pub revision: u32,
    /// The spec the release follows: its tables are that spec's, in its order.
    pub spec: SpecId,
    /// Self-declared team model.
    pub team_model: TeamModel,
    /// Self-declared MSP level.
    pub msp_level: MspLevel,
    /// Each table's values (in spec order) and noise scale.
    pub tables: Vec<(Vec<i64>, f64)>,
}

impl CouncilRelease {
    /// From a validated release document.
    pub fn from_release(r: &Release) -> Self {
        let f = r.fields();
        Self {
            council: r.council(),
            period: r.period(),
            revision: r.revision(),
            spec: r.spec(),
            team_model: f.context.team_model,
            msp_level: f.context.msp_level,
            tables: f.tables.iter().map(|t| (t.values.clone(), t.sigma)).collect(),
        }
    }
}

/// Keeps the latest revision of each (council, quarter).
pub fn latest(releases: impl IntoIterator<Item = CouncilRelease>) -> Vec<CouncilRelease> {
    let mut by: BTreeMap<(CouncilCode, Period), CouncilRelease> = BTreeMap::new();
    for r in releases {
        match by.get(&(r.council, r.period)) {
            Some(have) if have.revision >= r.revision => {}
            _ => {
                by.insert((r.council, r.period), r);
            }
        }
    }
    by.into_values().collect()
}
