//! `/dashboard/methodology`: how to read the figures (differential privacy, the budget, the
//! network policy and what it cannot check, intervals, coverage), for anyone, signed in or not.

use axum::response::Response;
use maud::html;

use msp_estimate::{WIDE_MEAN_RELATIVE, WIDE_PROPORTION};

use super::layout;
use crate::http::caller::SignedIn;

/// The centres of `msp-quarterly/2`'s sums, in words: "182 days, 2 meetings with the person, …".
fn centres() -> String {
    let words: Vec<String> = msp_schemas::spec::V2_CENTRES
        .iter()
        .map(|(id, centre, _)| {
            let (one, many) = match *id {
                "days_to_conclude_sum" => ("day", "days"),
                "meetings_with_person_sum" => ("meeting with the person", "meetings with the person"),
                "multiagency_meetings_sum" => ("multi-agency meeting", "multi-agency meetings"),
                _ => ("staff hour", "staff hours"),
            };
            format!("{centre} {}", if *centre == 1 { one } else { many })
        })
        .collect();
    words.join(", ")
}

/// `GET /dashboard/methodology`.
pub(in crate::http) async fn page(reader: Option<SignedIn>) -> Response {
    let role = reader.map(|SignedIn(role)| role);
    layout::page(
        "How to read this",
        role.as_ref(),
        "/dashboard/methodology",
        html! {
            h1 { "How to read these figures" }
            p.lead { "Every figure here comes from councils' quarterly releases, which are protected by differential privacy. Here is what that means, and how to read an interval." }
            h2 { "What leaves a council" }
            p { "Each council runs a node beside its case management system. The node keeps the council's case records; nothing about any person ever leaves it. Once a quarter it counts, from its own records, a fixed set of tables — outcomes asked and achieved, risk, mental capacity, demographics, time and meetings — and adds carefully calibrated random noise to every count before it is sent. Only those noisy tables reach this service." }
            h2 { "Differential privacy, in plain English" }
            p { "The noise is large enough that no one can tell from a release whether any particular person's records were in the council's data, yet small enough that totals over a council, a region or England remain useful. The promise is about people: adding or removing everything about one person changes what a release can show only by a small, bounded amount." }
            p { "Before counting, each person is reduced to one row a quarter: their latest concluded enquiry, at most three enquiries counted, at most three values from each list, and numbers capped (days at 365, meetings at 10, hours at 80). So one person can move a count by at most one. In the current report (version 2), a person with more than three risk types, outcomes or approaches keeps three chosen by a keyed hash, so that no type is under-counted for being late in the list, as version 1's first-three rule did." }
            p { "Days, meetings and hours are released as totals. In version 2 a fixed figure near a typical council's average is first taken off each person's capped value (" (centres()) "), which halves or better how far one person can move the total, and so the noise needed; the average is the same quantity in both versions." }
            h2 { "The privacy budget" }
            p { "How much noise is added is set by a privacy budget, written ρ (rho). Smaller budgets mean more noise and stronger protection. Each release spends a part of the council's budget: by default a quarter's data may be released once and corrected once, and any four consecutive quarters may spend a fixed total. The budget bounds what can be learned about a person per quarter and per year; someone who appears in many years is protected year by year, not over a lifetime. Councils can see their own spending with msp-node budget." }
            h2 { "One network policy for every council" }
            p { "The coordinator's operator sets one privacy policy for the whole network, and both ends enforce it. Every council's node fetches it, signed, and will not make or send a release that breaks it; a council may set a stricter budget for itself, never a looser one. This service refuses any release that breaks it, whichever council's key signed it: a privacy budget per release outside the agreed range, a quarter of data or any four quarters spending more than the caps (counted here across every release a council has published, so a second key or a restored backup cannot spend again), too many revisions, a release dated in the future, or a value no council could have (beyond the most people a council can have in a quarter, plus a generous allowance for the noise). So no single node, misconfigured or not, can publish figures with too little noise, or move a benchmark by more than its own people could." }
            p { "What the policy cannot check is whether a council's own case records are right. A council that recorded its cases wrongly makes a correct, well-protected release of wrong figures. Each release says whether the council's performance team checked the quarter's data against its case system; the council's Safeguarding Adults Board is where that assurance belongs." }
            h2 { "How to read an interval" }
            p { "Every estimate comes with a 95% interval. Because the noise is known exactly, we know how far it can plausibly have moved each figure: in about 95 of 100 cases the true figure lies inside the interval. We check this by simulation, releasing synthetic councils with known truth thousands of times: a single council of 250 and of 2,000 people, England and every region, a quarter and a financial year, every measure and every breakdown." }
            p { "A percentage is a ratio of two noisy counts. Its interval is Fieller's, which holds its 95% however small the counts: for a small group within a small council (say, the few people of one ethnic group) the interval becomes wide, up to the whole of 0% to 100% when the count is lost in the noise, rather than narrow and wrong." }
            p { "Whether people were asked about outcomes, and whether those outcomes were achieved, is released several times over: in its own table and in the tables by support reason, age band, ethnic group and sex (and, in version 2, by type of enquiry), each with its own noise. The benchmarks combine them all, weighting each by how precise it is (generalised least squares), which narrows those intervals at no cost in privacy. The number of people an average divides by is estimated the same way, from every table that counts everyone. Version 2 also shares the privacy budget by need, so that a council of 250 people a quarter sees outcomes fully achieved within about ±3 points, days to conclude within ±8 days, meetings within ±0.3 and staff hours within ±2.5 hours." }
            p { "During a move from one report version to the next, some councils' releases are version 1 and some version 2. Their shared tables are added up. A figure only version 2 releases (the section 42 figures, outcomes by approach or risk type) is shown for a group only when every council in it released version 2: a figure from some of a group's councils would not describe the group." }
            p { "The interval covers the privacy noise, and only that. It does not cover differences in how councils record "
                "their cases (one council's \"not applicable\" is another's \"not known\"), in who is referred, or in "
                "which cases reach an enquiry: two councils can differ for any of those reasons as well as in practice." }
            p { "When comparing two groups, look at the interval of the difference. " strong.tag."tag--better" { "higher — better" } " or "
                strong.tag."tag--worse" { "lower — worse" } " means the whole interval is on one side of zero, and says what that means for the measure: "
                "for most measures more is better, but for \"outcomes not achieved\" and \"repeat enquiry\" less is, so there higher is "
                strong.tag."tag--worse" { "higher — worse" } ". For days, meetings and hours, which reflect need as much as quality, a difference is just "
                strong.tag."tag--neutral" { "higher" } " or " strong.tag."tag--neutral" { "lower" } ". "
                strong.tag."tag--unclear" { "can't tell" } " means the groups may differ, but the data cannot show it." }
            p { strong.tag."tag--wide" { "too wide to compare" } " means the interval is too wide for the figure to support a comparison: "
                "for a percentage, when it reaches more than " (format!("{:.0}", WIDE_PROPORTION * 100.0)) " percentage points either side of the estimate; "
                "for a mean, when it reaches more than " (format!("{:.0}%", WIDE_MEAN_RELATIVE * 100.0)) " of the estimate either side. "
                "Small councils and small groups give wide intervals." }
            h2 { "Why a count can be negative" }
            p { "Noise is added to every count, small ones too, and it can be negative: a council with no one in a cell may "
                "release -2 for it. Rounding such counts up to zero would make every total too high, so they are kept as they "
                "are; added up over councils and quarters, the noise cancels out and the totals are right on average. "
                "Percentages and means are computed from the totals and kept between what is possible." }
            p { "Intervals are cut off at what is possible — a percentage between 0% and 100%, a mean between zero and its cap. A council compared with its region is compared with the rest of the region, so that the two figures' noise is independent." }
            h2 { "People, not enquiries: why these figures differ from the SAC" }
            p { "These figures count people. Each quarter a person counts once, on their latest Section 42 or other "
                "enquiry concluded in the quarter. The annual Safeguarding Adults Collection (SAC) counts differently: "
                "its SG1 counts individuals with a concern received or an enquiry started in the year, and its SG2 "
                "to SG4 count concluded Section 42 enquiries, so a person with two enquiries counts twice there. So a council's figures here "
                "will not match its SAC return exactly, and should not: they answer a different question, quarterly. "
                "Version 2 of the report also releases outcomes and risk by type of enquiry, so its section 42 figures "
                "can be set beside SG2 to SG4 (still counting people rather than enquiries). "
                "Each council's node can produce its exact SAC tables locally (msp-node sac), to reconcile the two." }
            h2 { "Coverage" }
            p { "Each benchmark says how many councils in the group it includes. A figure covering few councils describes those councils, not the whole group." }
            h2 { "When figures are published" }
            p { "Each quarter has a publication date: two full months after the quarter ends (for April to June, 1 "
                "September), unless the network's operator sets another. Until then, a council sees its own figures for "
                "the quarter, a region's group sees its councils, and national analysts see every council; no one is "
                "shown a figure computed from a council they may not see, so no subtraction of one figure from another "
                "can reveal one. From the publication date, everyone — signed in or not, on the "
                a href="/open" { "open-data pages" } " — sees every council's figures and every group's." }
            p { "Differencing figures after publication reveals nothing: every council's own noisy figures are published "
                "anyway, and each is already protected at the council's node before it is sent. What protects people is "
                "the noise added there, not what this service chooses to hide." }
            h2 { "Where the numbers come from" }
            p { "Every release is signed by its council and recorded in a tamper-evident transparency log; each page states how many log entries its figures were computed from. Councils can check that their releases are in the log, unaltered." }
        },
    )
}
