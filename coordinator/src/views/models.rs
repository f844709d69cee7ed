//! Models of practice: team models and MSP levels side by side for one measure, and the
//! differences between them.

use msp_estimate::Measure;
use msp_schemas::codes::{CodeList, MspLevel, TeamModel};

use super::{
    councils::Order,
    differences::differences_table,
    groups::across,
    table::{Value, View},
};
use crate::{
    auth::Access,
    benchmark::{Group, Snapshot, Window},
};

/// Models of practice: team models and MSP levels for one measure, and their differences.
pub fn models(snap: &Snapshot, access: &Access, measure: Measure, window: Window) -> View {
    let teams: Vec<Group> = TeamModel::ALL.iter().map(|m| Group::TeamModel(*m)).collect();
    let levels: Vec<Group> = MspLevel::ALL.iter().map(|l| Group::MspLevel(*l)).collect();
    let pairs = [
        (Group::TeamModel(TeamModel::Specialist), Group::TeamModel(TeamModel::Locality)),
        (Group::TeamModel(TeamModel::Hybrid), Group::TeamModel(TeamModel::Locality)),
        (Group::MspLevel(MspLevel::Gold), Group::MspLevel(MspLevel::Bronze)),
        (Group::MspLevel(MspLevel::Gold), Group::MspLevel(MspLevel::NoLevel)),
    ];
    let mut diffs = differences_table(
        snap,
        access,
        &pairs,
        window,
        &format!("model-differences-{window}"),
        &format!("Differences between models of practice, {window}"),
    );
    diffs.rows.retain(|r| matches!(&r[1], Value::Text(l) if l == measure.label()));
    let (teams, mut data) = across(snap, access, &teams, measure, window, "Team models", Order::Name);
    let (levels, more) = across(snap, access, &levels, measure, window, "MSP levels", Order::Name);
    data.extend(more);
    View {
        title: format!("Models of practice: {}", measure.label()),
        window: Some(window.to_string()),
        tree_size: snap.tree_size,
        tables: vec![teams, levels, diffs],
        data,
    }
}
