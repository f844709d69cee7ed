//! `/dashboard/methodology`: how to read the figures (differential privacy, the budget, the
//! network policy and what it cannot check, intervals, coverage), for anyone, signed in or not.

use axum::response::Response;
use maud::html;

use super::layout;
use crate::http::caller::SignedIn;

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
            p { "Before counting, each person is reduced to one row a quarter: their latest concluded enquiry, at most three enquiries counted, at most three values from each list, and numbers capped (days at 365, meetings at 10, hours at 80). So one person can move a count by at most one." }
            h2 { "The privacy budget" }
            p { "How much noise is added is set by a privacy budget, written ρ (rho). Smaller budgets mean more noise and stronger protection. Each release spends a part of the council's budget: by default a quarter's data may be released once and corrected once, and any four consecutive quarters may spend a fixed total. The budget bounds what can be learned about a person per quarter and per year; someone who appears in many years is protected year by year, not over a lifetime. Councils can see their own spending with msp-node budget." }
            h2 { "One network policy for every council" }
            p { "The coordinator's operator sets one privacy policy for the whole network, and both ends enforce it. Every council's node fetches it, signed, and will not make or send a release that breaks it; a council may set a stricter budget for itself, never a looser one. This service refuses any release that breaks it, whichever council's key signed it: a privacy budget per release outside the agreed range, a quarter of data or any four quarters spending more than the caps (counted here across every release a council has published, so a second key or a restored backup cannot spend again), too many revisions, a release dated in the future, or a value no council could have (beyond the most people a council can have in a quarter, plus a generous allowance for the noise). So no single node, misconfigured or not, can publish figures with too little noise, or move a benchmark by more than its own people could." }
            p { "What the policy cannot check is whether a council's own case records are right. A council that recorded its cases wrongly makes a correct, well-protected release of wrong figures. Each release says whether the council's performance team checked the quarter's data against its case system; the council's Safeguarding Adults Board is where that assurance belongs." }
            h2 { "How to read an interval" }
            p { "Every estimate comes with a 95% interval. Because the noise is known exactly, we know how far it can plausibly have moved each figure: in about 95 of 100 cases the true figure lies inside the interval. We check this by simulation, releasing synthetic councils with known truth thousands of times." }
            p { "When comparing two groups, look at the interval of the difference. " strong.tag."tag--higher" { "higher" } " or " strong.tag."tag--lower" { "lower" } " means the whole interval is on one side of zero. " strong.tag."tag--unclear" { "can't tell" } " means the groups may differ, but the data cannot show it. " strong.tag."tag--wide" { "too wide to compare" } " means the interval is too wide for the figure to support a comparison: small groups and small councils give wide intervals." }
            p { "Intervals are cut off at what is possible — a percentage between 0% and 100%, a mean between zero and its cap. A council compared with its region is compared with the rest of the region, so that the two figures' noise is independent." }
            h2 { "Coverage" }
            p { "Each benchmark says how many councils in the group it includes. A figure covering few councils describes those councils, not the whole group. Groups of fewer than three councils are not shown to anyone who may not see each council's own figures." }
            h2 { "Where the numbers come from" }
            p { "Every release is signed by its council and recorded in a tamper-evident transparency log; each page states how many log entries its figures were computed from. Councils can check that their releases are in the log, unaltered." }
        },
    )
}
