//! One test per validation rule of `case-record/1` (STYLE habit 2).

use super::*;
use time::macros::date;

/// A complete, consistent row.
fn full() -> RawRow<'static> {
    let mut r = RawRow::new();
    r.set(Column::CaseId, "C-1001")
        .set(Column::PersonId, "P-77")
        .set(Column::ConcernDate, "2026-04-03")
        .set(Column::EnquiryType, "s42")
        .set(Column::EnquiryStartDate, "2026-04-05")
        .set(Column::ConcludedDate, "2026-05-20")
        .set(Column::AgeBand, "85-94")
        .set(Column::Sex, "female")
        .set(Column::Ethnicity, "white")
        .set(Column::PrimarySupportReason, "physical")
        .set(Column::RiskTypes, "neglect;financial")
        .set(Column::RiskLocation, "own_home")
        .set(Column::RiskSource, "known")
        .set(Column::OutcomesAsked, "asked_expressed")
        .set(Column::DesiredOutcomes, "feel_safer;control")
        .set(Column::NegotiatedOutcomes, "feel_safer")
        .set(Column::OutcomesAchieved, "fully")
        .set(Column::RiskAction, "risk_action")
        .set(Column::RiskOutcome, "reduced")
        .set(Column::LackedCapacity, "yes")
        .set(Column::CapacitySupport, "advocate")
        .set(Column::MeetingsWithPerson, "3")
        .set(Column::MultiagencyMeetings, "1")
        .set(Column::StaffHours, "12.5")
        .set(Column::Approaches, "advocacy;mediation")
        .set(Column::FeedbackFeltSafer, "yes")
        .set(Column::FeedbackListenedTo, "partly");
    r
}

fn with(column: Column, value: &'static str) -> RawRow<'static> {
    let mut r = full();
    r.set(column, value);
    r
}

fn rejected(row: RawRow<'_>) -> Vec<FieldIssue> {
    CaseRecord::validate(&row).expect_err("row should be rejected").issues
}

fn only_issue(row: RawRow<'_>, column: Column) -> FieldIssue {
    let issues = rejected(row);
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].column, column);
    issues[0].clone()
}

fn warnings(row: RawRow<'_>) -> Vec<FieldIssue> {
    CaseRecord::validate(&row).expect("row should be accepted").warnings
}

#[test]
fn a_complete_consistent_row_is_accepted_without_warnings() {
    let v = CaseRecord::validate(&full()).unwrap();
    assert!(v.warnings.is_empty(), "{:?}", v.warnings);
    let r = v.record;
    assert_eq!(r.case_id(), "C-1001");
    assert_eq!(r.person_id(), "P-77");
    assert_eq!(r.concern_date(), date!(2026 - 04 - 03));
    assert_eq!(r.concluded_date(), Some(date!(2026 - 05 - 20)));
    assert_eq!(r.enquiry_type(), Some(EnquiryType::S42));
    assert_eq!(r.risk_types().to_string(), "financial;neglect");
    assert_eq!(r.staff_hours(), Some(12.5));
    assert_eq!(r.meetings_with_person(), Some(3));
    assert_eq!(r.outcomes_achieved(), Some(OutcomesAchieved::Fully));
}

#[test]
fn a_row_with_only_the_required_columns_is_accepted() {
    let mut r = RawRow::new();
    r.set(Column::CaseId, "C1").set(Column::PersonId, "P1").set(Column::ConcernDate, "01/04/2026");
    let v = CaseRecord::validate(&r).unwrap();
    assert_eq!(v.record.enquiry_type(), None);
    assert!(v.record.risk_types().is_empty());
    assert_eq!(v.record.concern_date(), date!(2026 - 04 - 01));
}

#[test]
fn a_blank_case_id_is_rejected() {
    let i = only_issue(with(Column::CaseId, "  "), Column::CaseId);
    assert!(i.reason.contains("required"), "{i}");
}

#[test]
fn an_overlong_or_control_character_id_is_rejected() {
    let long: &'static str = Box::leak("x".repeat(MAX_ID_LEN + 1).into_boxed_str());
    only_issue(with(Column::CaseId, long), Column::CaseId);
    only_issue(with(Column::PersonId, "P\u{7}1"), Column::PersonId);
}

#[test]
fn a_blank_person_id_is_rejected() {
    only_issue(with(Column::PersonId, ""), Column::PersonId);
}

#[test]
fn a_blank_concern_date_is_rejected() {
    let issues = rejected(with(Column::ConcernDate, ""));
    assert_eq!(issues[0].column, Column::ConcernDate);
    assert!(issues[0].reason.contains("required"));
}

#[test]
fn unparseable_dates_are_rejected_with_the_accepted_forms() {
    for bad in ["2026-13-01", "31/02/2026", "2026/04/03", "3/4/26", "yesterday", "2026-04-3", "20260403"] {
        let i = only_issue(with(Column::EnquiryStartDate, bad), Column::EnquiryStartDate);
        assert_eq!(i.value, bad);
        assert!(i.reason.starts_with("not a date"), "{bad}: {i}");
    }
    let i = only_issue(with(Column::EnquiryStartDate, "2026-04-3"), Column::EnquiryStartDate);
    assert!(i.reason.contains("YYYY-MM-DD") && i.reason.contains("DD/MM/YYYY"), "{i}");
}

#[test]
fn both_date_forms_are_read() {
    assert_eq!(parse_date("2026-05-31").unwrap(), date!(2026 - 05 - 31));
    assert_eq!(parse_date("31/05/2026").unwrap(), date!(2026 - 05 - 31));
    assert_eq!(parse_date("29/02/2028").unwrap(), date!(2028 - 02 - 29));
}

#[test]
fn implausible_years_are_rejected() {
    let i = only_issue(with(Column::ConcernDate, "1066-10-14"), Column::ConcernDate);
    assert!(i.reason.contains("implausible"), "{i}");
    only_issue(with(Column::ConcernDate, "2100-01-01"), Column::ConcernDate);
    for edge in ["1990-01-01", "2099-12-31"] {
        let d = parse_date(edge).unwrap();
        assert!(crate::Period::containing(d).is_ok(), "{edge} has a quarter");
    }
}

#[test]
fn concluded_before_concern_is_rejected() {
    let i = only_issue(with(Column::ConcludedDate, "2026-04-02"), Column::ConcludedDate);
    assert!(i.reason.contains("before the concern date 2026-04-03"), "{i}");
}

#[test]
fn concluded_on_the_day_of_the_concern_is_accepted() {
    let mut r = with(Column::ConcludedDate, "2026-04-03");
    r.set(Column::EnquiryStartDate, "2026-04-03");
    assert!(warnings(r).is_empty());
}

#[test]
fn a_concluded_date_without_an_enquiry_is_rejected() {
    let i = only_issue(with(Column::EnquiryType, "none"), Column::ConcludedDate);
    assert!(i.reason.contains("set enquiry_type to s42 or other"), "{i}");
    let i = only_issue(with(Column::EnquiryType, ""), Column::ConcludedDate);
    assert!(i.reason.contains("blank"), "{i}");
}

#[test]
fn an_unknown_code_is_rejected_naming_the_expected_codes() {
    let i = only_issue(with(Column::Sex, "F"), Column::Sex);
    assert_eq!(i.value, "F");
    assert!(i.reason.contains("male, female, unknown") && i.reason.contains("mapping"), "{i}");
    for column in [
        Column::EnquiryType,
        Column::AgeBand,
        Column::Ethnicity,
        Column::PrimarySupportReason,
        Column::RiskLocation,
        Column::RiskSource,
        Column::OutcomesAsked,
        Column::OutcomesAchieved,
        Column::RiskAction,
        Column::RiskOutcome,
        Column::LackedCapacity,
        Column::CapacitySupport,
        Column::FeedbackFeltSafer,
        Column::FeedbackListenedTo,
    ] {
        let issues = rejected(with(column, "bogus"));
        assert!(issues.iter().any(|i| i.column == column && i.value == "bogus"), "{column}: {issues:?}");
    }
}

#[test]
fn codes_are_read_ignoring_case() {
    let v = CaseRecord::validate(&with(Column::Sex, "Female")).unwrap();
    assert_eq!(v.record.sex(), Some(Sex::Female));
}

#[test]
fn an_unknown_item_in_a_list_is_rejected() {
    for column in [Column::RiskTypes, Column::DesiredOutcomes, Column::NegotiatedOutcomes, Column::Approaches] {
        let value: &'static str = format!("{};nonsense", column.codes().unwrap()[0]).leak();
        let i = only_issue(with(column, value), column);
        assert!(i.reason.contains("\"nonsense\""), "{column}: {i}");
    }
}

#[test]
fn negative_counts_are_rejected() {
    let i = only_issue(with(Column::MeetingsWithPerson, "-1"), Column::MeetingsWithPerson);
    assert!(i.reason.starts_with("negative"), "{i}");
    only_issue(with(Column::MultiagencyMeetings, "-2"), Column::MultiagencyMeetings);
}

#[test]
fn fractional_or_textual_counts_are_rejected() {
    for bad in ["1.5", "two", "1e3", "0x1", " "] {
        if bad.trim().is_empty() {
            continue;
        }
        let i = only_issue(with(Column::MeetingsWithPerson, bad), Column::MeetingsWithPerson);
        assert!(i.reason.contains("whole number"), "{bad}: {i}");
    }
    let i = only_issue(with(Column::MultiagencyMeetings, "99999999999"), Column::MultiagencyMeetings);
    assert!(i.reason.contains("more than"), "{i}");
}

#[test]
fn negative_staff_hours_are_rejected() {
    let i = only_issue(with(Column::StaffHours, "-0.5"), Column::StaffHours);
    assert!(i.reason.starts_with("negative"), "{i}");
}

#[test]
fn malformed_staff_hours_are_rejected() {
    for bad in ["NaN", "inf", "1e2", "7,5", ".5", "5.", "1.2.3", "abc"] {
        let i = only_issue(with(Column::StaffHours, bad), Column::StaffHours);
        assert!(i.reason.contains("decimal"), "{bad}: {i}");
    }
    only_issue(with(Column::StaffHours, "1000000"), Column::StaffHours);
    assert_eq!(CaseRecord::validate(&with(Column::StaffHours, "0")).unwrap().record.staff_hours(), Some(0.0));
}

#[test]
fn every_problem_of_a_row_is_reported_in_column_order() {
    let mut r = full();
    r.set(Column::StaffHours, "-1").set(Column::Sex, "x").set(Column::CaseId, "");
    let cols: Vec<_> = rejected(r).iter().map(|i| i.column).collect();
    assert_eq!(cols, [Column::CaseId, Column::Sex, Column::StaffHours]);
}

#[test]
fn outcomes_achieved_without_expressed_outcomes_is_a_warning() {
    let mut r = with(Column::OutcomesAsked, "not_asked");
    r.set(Column::DesiredOutcomes, "").set(Column::NegotiatedOutcomes, "");
    let w = warnings(r);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].column, Column::OutcomesAchieved);
}

#[test]
fn listed_outcomes_without_expressed_outcomes_is_a_warning() {
    let mut r = with(Column::OutcomesAsked, "asked_not_expressed");
    r.set(Column::OutcomesAchieved, "");
    let cols: Vec<_> = warnings(r).iter().map(|w| w.column).collect();
    assert_eq!(cols, [Column::DesiredOutcomes, Column::NegotiatedOutcomes]);
}

#[test]
fn a_risk_outcome_where_no_risk_was_identified_is_a_warning() {
    let w = warnings(with(Column::RiskAction, "no_risk_no_action"));
    assert_eq!(w.iter().map(|w| w.column).collect::<Vec<_>>(), [Column::RiskOutcome]);
}

#[test]
fn capacity_support_without_lacking_capacity_is_a_warning() {
    let w = warnings(with(Column::LackedCapacity, "no"));
    assert_eq!(w.iter().map(|w| w.column).collect::<Vec<_>>(), [Column::CapacitySupport]);
}

#[test]
fn dates_out_of_their_usual_order_are_warnings() {
    let w = warnings(with(Column::EnquiryStartDate, "2026-04-01"));
    assert_eq!(w.iter().map(|w| w.column).collect::<Vec<_>>(), [Column::EnquiryStartDate]);
    let w = warnings(with(Column::EnquiryStartDate, "2026-05-25"));
    assert_eq!(w.iter().map(|w| w.column).collect::<Vec<_>>(), [Column::ConcludedDate]);
    let mut r = with(Column::EnquiryType, "none");
    r.set(Column::ConcludedDate, "");
    let w = warnings(r);
    assert_eq!(w.iter().map(|w| w.column).collect::<Vec<_>>(), [Column::EnquiryStartDate]);
}

#[test]
fn canonical_text_normalises_what_the_file_said() {
    let mut r = full();
    r.set(Column::RiskTypes, " Neglect ; financial ")
        .set(Column::ConcernDate, "03/04/2026")
        .set(Column::StaffHours, "12.50");
    let a = CaseRecord::validate(&r).unwrap().record;
    let b = CaseRecord::validate(&full()).unwrap().record;
    assert_eq!(a, b);
    for c in Column::ALL {
        assert_eq!(a.canonical(*c), b.canonical(*c));
    }
    assert_eq!(a.canonical(Column::RiskTypes), "financial;neglect");
    assert_eq!(a.canonical(Column::ConcernDate), "2026-04-03");
}

#[test]
fn debug_output_never_shows_case_fields() {
    let v = CaseRecord::validate(&full()).unwrap();
    let shown = format!("{:?} {:?}", v.record, full());
    assert!(!shown.contains("P-77") && !shown.contains("C-1001"), "{shown}");
}

#[test]
fn columns_match_design_section_5() {
    assert_eq!(Column::COUNT, 27);
    let required: Vec<_> = Column::ALL.iter().filter(|c| c.required()).map(|c| c.name()).collect();
    assert_eq!(required, ["case_id", "person_id", "concern_date"]);
    for c in Column::ALL {
        assert_eq!(Column::from_name(c.name()), Some(*c));
    }
    assert!("Case ID".parse::<Column>().unwrap_err().contains("case_id"));
}

#[test]
fn values_a_release_caps_are_imported_with_a_warning() {
    let mut r = with(Column::StaffHours, "300");
    r.set(Column::MeetingsWithPerson, "12");
    r.set(Column::MultiagencyMeetings, "10");
    let w = warnings(r);
    let hours = w.iter().find(|i| i.column == Column::StaffHours).expect("a warning for 300 hours");
    assert!(hours.reason.contains("more than 80") && hours.reason.contains("minutes"), "{hours}");
    let meetings = w.iter().find(|i| i.column == Column::MeetingsWithPerson).expect("a warning for 12 meetings");
    assert!(meetings.reason.contains("counted as 10"), "{meetings}");
    assert!(!w.iter().any(|i| i.column == Column::MultiagencyMeetings), "10 is within the cap");
    assert!(warnings(with(Column::StaffHours, "80")).iter().all(|i| i.column != Column::StaffHours));
}
