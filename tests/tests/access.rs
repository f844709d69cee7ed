//! Who may see what, over real TLS against a network built by the real node code (the demo:
//! enrolment, synthetic data, import, release, signed submission): every read endpoint and
//! dashboard page for every role, without a token and with a revoked one, and the publication
//! rule that replaced the small-group rule (see `msp_coordinator::auth`): before a quarter's
//! publication date no role is shown a figure made from a council it may not see; from it every
//! reader, and the open-data pages with no sign-in, see every figure.

use msp_coordinator::{
    auth::Role,
    tokens::{create_token, open_session},
};
use msp_tests::DemoNetwork;
use serde_json::Value;

const HARTLEPOOL: &str = "E06000001";
const MIDDLESBROUGH: &str = "E06000002";
/// A London borough: outside the demo's first councils, so it has no data of its own.
const CAMDEN: &str = "E09000007";

struct Network {
    net: DemoNetwork,
    client: reqwest::Client,
    tokens: Vec<(&'static str, String)>,
    /// A dashboard session for every role, opened as signing in does (the revoked one before its token was revoked).
    sessions: Vec<(&'static str, String)>,
}

impl Network {
    fn token(&self, who: &str) -> &str {
        &self.tokens.iter().find(|(w, _)| *w == who).expect("a token for every role").1
    }

    fn session(&self, who: &str) -> &str {
        &self.sessions.iter().find(|(w, _)| *w == who).expect("a session for every role").1
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (u16, String, String) {
        let mut req = self.client.get(format!("{}{path}", self.net.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.expect("the coordinator answers");
        let status = r.status().as_u16();
        let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        (status, ct, r.text().await.expect("a body"))
    }

    /// POSTs a form to `path` in `session`, from the coordinator's own pages (`origin`) or not.
    async fn post(&self, path: &str, session: &str, form: &[(&str, &str)], origin: bool) -> (u16, String) {
        let mut req =
            self.client.post(format!("{}{path}", self.net.base)).header("cookie", format!("msp_session={session}"));
        if origin {
            req = req.header("origin", &self.net.base);
        }
        let body: String = form
            .iter()
            .map(|(k, v)| format!("{k}={}", v.replace(' ', "+").replace('\'', "%27")))
            .collect::<Vec<_>>()
            .join("&");
        let r = req
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("the coordinator answers");
        (r.status().as_u16(), r.text().await.expect("a body"))
    }

    async fn page(&self, path: &str, session: Option<&str>) -> (u16, Option<String>, String) {
        let mut req = self.client.get(format!("{}{path}", self.net.base));
        if let Some(s) = session {
            req = req.header("cookie", format!("msp_session={s}"));
        }
        let r = req.send().await.expect("the coordinator answers");
        let status = r.status().as_u16();
        let location = r.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        (status, location, r.text().await.expect("a body"))
    }
}

async fn network() -> Network {
    let net = DemoNetwork::start(24, 2).await;
    // A second connection to the coordinator's SQLite database, as `msp-coordinator token create` would use.
    let store = net.store().await;
    let mut tokens = Vec::new();
    let mut sessions = Vec::new();
    for (who, role) in [
        ("national", "national"),
        ("north-east", "region:north_east"),
        ("london", "region:london"),
        ("hartlepool", "council:E06000001"),
        ("camden", "council:E09000007"),
        ("admin", "admin"),
        ("revoked", "national"),
    ] {
        let (token, record) = create_token(&store, role.parse::<Role>().unwrap(), who).await.unwrap();
        let (session, _) = open_session(&store, &token, time::OffsetDateTime::now_utc()).await.unwrap().unwrap();
        sessions.push((who, session.expose().to_owned()));
        if who == "revoked" {
            assert!(store.revoke_token(&record.id, &msp_schemas::release::Timestamp::now().to_string()).await.unwrap());
        }
        tokens.push((who, token));
    }
    store.db().close().await;
    Network { client: net.client(), net, tokens, sessions }
}

/// Every number shown as an estimate or interval in a view's tables, with its table and row.
fn figures(view: &Value) -> Vec<String> {
    let mut found = Vec::new();
    for t in view["tables"].as_array().into_iter().flatten() {
        let headings: Vec<&str> =
            t["columns"].as_array().unwrap().iter().map(|c| c["heading"].as_str().unwrap()).collect();
        for row in t["rows"].as_array().unwrap() {
            for (h, v) in headings.iter().zip(row.as_array().unwrap()) {
                if ["Estimate", "Lower 95%", "Upper 95%", "Difference"].contains(h) && v.is_number() {
                    found.push(format!("{} / {}: {h} = {v}", t["caption"], row[0]));
                }
            }
        }
    }
    found
}

/// Sets the publication date of every quarter with releases: far ahead (`false`), or past (`true`),
/// as the operator does with `msp-coordinator publication set`.
async fn publish(net: &Network, published: bool) -> Vec<msp_schemas::Period> {
    let store = net.net.store().await;
    let quarters = store.quarters_with_releases().await.unwrap();
    let on = time::Date::from_calendar_date(if published { 2000 } else { 2099 }, time::Month::January, 1).unwrap();
    for q in &quarters {
        store.set_publication_date(*q, on, "2026-12-03T00:00:00Z").await.unwrap();
    }
    store.db().close().await;
    quarters
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn before_publication_no_role_sees_a_figure_from_a_council_it_may_not_see_and_after_it_everyone_sees_all() {
    let net = network().await;
    let quarters = publish(&net, false).await;
    let (q, year) = (quarters[quarters.len() - 1], quarters[quarters.len() - 1].year());
    let reads = [
        "/v1/benchmarks",
        "/v1/benchmarks?group=region:north_east",
        "/v1/compare?a=region:north_east&b=england&measure=fully",
        "/v1/views/overview",
        "/v1/views/groups?measure=fully",
        "/v1/views/models?measure=fully",
        "/v1/views/councils?group=region:north_east",
        "/v1/views/breakdowns",
        "/v1/views/breakdowns?group=region:north_east&format=csv&table=3",
        "/v1/views/trend?group=england&measure=fully",
        "/v1/views/status",
        "/v1/views/overview?format=csv",
        "/v1/views/groups?format=xlsx",
    ];
    // No token, a revoked token, a made-up token: refused with a problem saying what to do.
    for path in reads {
        for token in [None, Some(net.token("revoked")), Some("msp_not-a-real-token-at-all-aaaaaaaaaaaaaaaaaaaaaaa")] {
            let (status, ct, body) = net.get(path, token).await;
            assert_eq!(status, 401, "{path} with {token:?}: {body}");
            assert_eq!(ct, "application/problem+json", "{path}");
        }
        // The admin manages the network: it sees who has submitted, but reads no figure.
        let (status, _, body) = net.get(path, Some(net.token("admin"))).await;
        let want = if path == "/v1/views/status" { 200 } else { 403 };
        assert_eq!(status, want, "{path} as admin: {}", &body[..body.len().min(300)]);
        if want == 403 {
            assert!(!body.contains("Estimate") && !body.contains("\"estimate\""), "{path} as admin");
        }
        // National analysts read everything, published or not.
        let (status, _, body) = net.get(path, Some(net.token("national"))).await;
        assert_eq!(status, 200, "{path} as national: {}", &body[..body.len().min(300)]);
    }

    // Before publication, what is made of councils a role may not see is refused, or shown without figures,
    // saying when it will be published.
    for (who, england, north_east) in
        [("north-east", 403, 200), ("london", 403, 403), ("hartlepool", 403, 403), ("camden", 403, 403)]
    {
        for (path, want) in [
            ("/v1/benchmarks".to_owned(), england),
            ("/v1/views/overview".to_owned(), england),
            ("/v1/views/breakdowns".to_owned(), england),
            (format!("/v1/benchmarks?period={year}"), england),
            ("/v1/benchmarks?group=region:north_east".to_owned(), north_east),
            ("/v1/benchmarks?group=team_model:locality".to_owned(), 403),
            ("/v1/compare?a=region:north_east&b=england".to_owned(), 403),
        ] {
            let (status, _, body) = net.get(&path, Some(net.token(who))).await;
            assert_eq!(status, want, "{path} as {who}: {}", &body[..body.len().min(300)]);
            if want == 403 {
                assert!(!body.contains("\"estimate\""), "{path} as {who} leaked: {body}");
                assert!(body.contains("until it is published on 1 January 2099"), "{path} as {who}: {body}");
            }
        }
        // Views of many groups answer, with no figure for any group the role may not see.
        for path in
            ["/v1/views/groups?measure=fully", "/v1/views/models?measure=fully", "/v1/views/trend?group=england"]
        {
            let (status, _, body) = net.get(path, Some(net.token(who))).await;
            assert_eq!(status, 200, "{path} as {who}");
            let shown = figures(&serde_json::from_str(&body).unwrap());
            let allowed = |f: &String| who == "north-east" && f.contains("\"North East\"");
            let leaked: Vec<&String> = shown.iter().filter(|f| !allowed(f)).collect();
            // A model group may by chance hold only the region's own councils: North East may see that.
            if who != "north-east" || path.contains("groups") {
                assert!(
                    leaked.is_empty(),
                    "{path} as {who} shows figures made of councils it may not see: {leaked:#?}"
                );
            }
            assert!(body.contains("published on 1 January 2099"), "{path} as {who} says when");
        }
    }
    // Before publication no council is in a size band: a band would say something of unpublished releases.
    let (_, _, body) = net.get("/v1/benchmarks?group=size:medium", Some(net.token("national"))).await;
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["coverage"]["councils_in_group"], 0, "{body}");
    // So the differencing of the former rule has nothing to work on: England before and after one council's
    // submission, a financial year minus its quarters, England minus two model groups are all refused (above).

    // One council's own figures: the council itself, its region and national analysts only.
    for (who, hartlepool, middlesbrough) in [
        ("national", 200, 200),
        ("north-east", 200, 200),
        ("london", 403, 403),
        ("hartlepool", 200, 403),
        ("camden", 403, 403),
        ("admin", 403, 403),
    ] {
        for (code, want) in [(HARTLEPOOL, hartlepool), (MIDDLESBROUGH, middlesbrough)] {
            for path in [
                format!("/v1/views/council/{code}"),
                format!("/v1/benchmarks?group=council:{code}"),
                format!("/v1/views/breakdowns?group=council:{code}"),
            ] {
                let (status, _, body) = net.get(&path, Some(net.token(who))).await;
                assert_eq!(status, want, "{path} as {who}: {body}");
                if want == 403 {
                    assert!(!body.contains("\"estimate\""), "{path} as {who} leaked: {body}");
                }
            }
        }
    }
    // A council's own page shows no figure of its region or England before publication.
    let (_, _, own) = net.get(&format!("/v1/views/council/{HARTLEPOOL}"), Some(net.token("hartlepool"))).await;
    let own: Value = serde_json::from_str(&own).unwrap();
    let row = &own["tables"][0]["rows"][2];
    assert!(row[1].is_number() && row[2].is_object() && row[4].is_object() && row[5].is_object(), "{row}");
    // A council's peers are other councils: nobody but national analysts and the region gets them.
    for (who, want) in [("camden", 403), ("hartlepool", 403), ("north-east", 200)] {
        let (status, _, _) = net.get(&format!("/v1/benchmarks?group=peers:{HARTLEPOOL}"), Some(net.token(who))).await;
        assert_eq!(status, want, "peers as {who}");
    }
    // The open data: nothing yet.
    let (status, _, body) = net.get("/v1/open/overview", None).await;
    assert_eq!(status, 404, "{body}");
    let (status, _, body) = net.get(&format!("/v1/open/overview?period={q}"), None).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("not published yet: it will be on 1 January 2099"), "{body}");

    // Trends come by quarter and by financial year (the demo's two quarters may fall in one year or two).
    let (_, _, trend) = net.get("/v1/views/trend?group=england&measure=fully", Some(net.token("national"))).await;
    let trend: Value = serde_json::from_str(&trend).unwrap();
    assert_eq!(trend["tables"][0]["rows"].as_array().unwrap().len(), 2, "{trend}");
    let years = trend["tables"][1]["rows"].as_array().unwrap();
    assert!((1..=2).contains(&years.len()), "{trend}");
    assert_eq!(
        years.iter().map(|y| y[2].as_f64().unwrap()).sum::<f64>(),
        48.0,
        "every council-quarter counted once: {trend}"
    );
    assert!(years.iter().all(|y| y[1].as_f64() == Some(24.0) && y[3].is_number()), "{trend}");

    // Submission status lists only the councils a role may see.
    let (_, _, camden) = net.get("/v1/views/status", Some(net.token("camden"))).await;
    assert!(camden.contains(CAMDEN) && !camden.contains(HARTLEPOOL), "{camden}");
    let (_, _, north_east) = net.get("/v1/views/status", Some(net.token("north-east"))).await;
    assert!(north_east.contains(HARTLEPOOL) && !north_east.contains(CAMDEN));

    // The dashboard: without a session, every page sends you to sign in; with one, pages follow the API's rules.
    for path in [
        "/dashboard",
        "/dashboard/groups",
        "/dashboard/councils",
        "/dashboard/models",
        "/dashboard/breakdowns",
        "/dashboard/council",
        "/dashboard/status",
    ] {
        let (status, location, _) = net.page(path, None).await;
        assert_eq!((status, location.as_deref()), (303, Some("/sign-in")), "{path}");
        let (status, location, _) = net.page(path, Some(net.session("revoked"))).await;
        assert_eq!(status, 303, "{path} in a session whose token was revoked");
        assert!(location.unwrap().starts_with("/sign-in"));
        let (status, location, _) = net.page(path, Some(net.token("national"))).await;
        assert_eq!(
            (status, location.as_deref()),
            (303, Some("/sign-in?expired=1")),
            "{path}: a token is not a session"
        );
        for who in ["national", "north-east", "hartlepool", "camden"] {
            let (status, location, html) = net.page(path, Some(net.session(who))).await;
            // Before publication a council's picker has one choice: it goes straight to the council's own page.
            let own = match who {
                "hartlepool" => Some(format!("/dashboard/council/{HARTLEPOOL}")),
                "camden" => Some(format!("/dashboard/council/{CAMDEN}")),
                _ => None,
            };
            if path == "/dashboard/council" && own.is_some() {
                assert_eq!((status, location), (303, own), "{path} as {who}");
                continue;
            }
            // England's pages wait for publication, except for national analysts.
            let england_only = ["/dashboard", "/dashboard/breakdowns"].contains(&path);
            let want = if england_only && who != "national" { 403 } else { 200 };
            assert_eq!(status, want, "{path} as {who}");
            assert!(html.contains("<title>") && html.contains("lang=\"en-GB\""), "{path} as {who}");
            if want == 403 {
                assert!(html.contains("1 January 2099"), "{path} as {who} says when");
            }
        }
    }
    for (who, want) in [("national", 200), ("north-east", 200), ("hartlepool", 200), ("camden", 403)] {
        let (status, _, html) = net.page(&format!("/dashboard/council/{HARTLEPOOL}"), Some(net.session(who))).await;
        assert_eq!(status, want, "Hartlepool's page as {who}");
        if want == 403 {
            assert!(!html.contains("Hartlepool against"), "as {who}");
        }
    }
    // The methodology page is public: it explains the figures to anyone, and the publication rule.
    let (status, _, html) = net.page("/dashboard/methodology", None).await;
    assert_eq!(status, 200);
    assert!(html.contains("95% interval") && html.contains("When figures are published"));

    // From publication, every reader sees every council and every group, and so does the public. The year's
    // quarters without releases are kept unpublished, whatever today's date, for the year's check below.
    publish(&net, true).await;
    let store = net.net.store().await;
    for later in year.quarters().into_iter().filter(|p| !quarters.contains(p)) {
        let on = time::Date::from_calendar_date(2099, time::Month::January, 1).unwrap();
        store.set_publication_date(later, on, "2026-12-03T00:00:00Z").await.unwrap();
    }
    store.db().close().await;
    for who in ["london", "hartlepool", "camden", "north-east"] {
        // A financial year waits for all four of its quarters: otherwise the year less its published quarters
        // would give the rest.
        let (status, _, body) = net.get(&format!("/v1/benchmarks?period={year}"), Some(net.token(who))).await;
        assert!(status == 403 && body.contains("until it is published on"), "{year} as {who}: {body}");
        for path in [
            "/v1/benchmarks".to_owned(),
            "/v1/benchmarks?group=team_model:locality".to_owned(),
            format!("/v1/views/council/{MIDDLESBROUGH}"),
            format!("/v1/benchmarks?group=peers:{HARTLEPOOL}"),
        ] {
            let (status, _, body) = net.get(&path, Some(net.token(who))).await;
            assert_eq!(status, 200, "{path} as {who} once published: {}", &body[..body.len().min(300)]);
        }
        let (status, _, html) = net.page(&format!("/dashboard/council/{HARTLEPOOL}"), Some(net.session(who))).await;
        assert_eq!(status, 200, "Hartlepool's page as {who} once published");
        assert!(html.contains("Hartlepool"));
    }
    // Size bands come from councils' own noisy releases of published quarters: every council with one is in
    // exactly one band (before publication, none is).
    let mut banded = 0;
    for band in ["small", "medium", "large"] {
        let (status, _, body) = net.get(&format!("/v1/benchmarks?group=size:{band}"), Some(net.token("camden"))).await;
        assert_eq!(status, 200, "{body}");
        banded += serde_json::from_str::<Value>(&body).unwrap()["coverage"]["councils_in_group"].as_u64().unwrap();
    }
    assert_eq!(banded, 24, "the 24 councils with published releases, each in one band");

    // A named comparator group, defined while the coordinator runs, is a group like any other at once: in the
    // API, in the view of every council, and beside the council it was saved for on its own page.
    let store = net.net.store().await;
    let neighbours = msp_coordinator::benchmark::Comparator {
        slug: "hartlepool-neighbours".parse().unwrap(),
        name: "Hartlepool's nearest neighbours".into(),
        owner: Some(HARTLEPOOL.parse().unwrap()),
        members: [MIDDLESBROUGH, "E06000003", "E06000004"].iter().map(|c| c.parse().unwrap()).collect(),
    };
    store.define_comparator(&neighbours.stored(), "2026-12-03T00:00:00Z").await.unwrap();
    store.db().close().await;
    // A council's saved peer group is its own: another council, and the public, are refused it, saying so.
    let (status, _, body) =
        net.get("/v1/benchmarks?group=named:hartlepool-neighbours", Some(net.token("camden"))).await;
    assert!(status == 403 && body.contains("is Hartlepool's own comparator group"), "{body}");
    let (status, _, body) = net.get("/v1/open/councils?group=named:hartlepool-neighbours", None).await;
    assert!(status == 403 && body.contains("own comparator group"), "the public: {body}");
    let (status, _, body) =
        net.get("/v1/benchmarks?group=named:hartlepool-neighbours", Some(net.token("hartlepool"))).await;
    let named: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(named["name"], "Hartlepool's nearest neighbours", "{body}");
    assert_eq!(named["coverage"]["councils_in_group"], 3, "{body}");
    let (_, _, body) =
        net.get("/v1/views/councils?group=named:hartlepool-neighbours", Some(net.token("hartlepool"))).await;
    let rows: Value = serde_json::from_str(&body).unwrap();
    let codes: Vec<&str> =
        rows["tables"][0]["rows"].as_array().unwrap().iter().map(|r| r[1].as_str().unwrap()).collect();
    assert_eq!(codes, [MIDDLESBROUGH, "E06000003", "E06000004"], "{body}");
    let (_, _, html) = net.page(&format!("/dashboard/council/{HARTLEPOOL}"), Some(net.session("hartlepool"))).await;
    assert!(
        html.contains("Hartlepool&#39;s nearest neighbours") || html.contains("Hartlepool's nearest neighbours"),
        "on its page"
    );
    let (_, _, html) = net.page("/dashboard/councils", Some(net.session("hartlepool"))).await;
    assert!(html.contains("named:hartlepool-neighbours"), "offered in its picker");
    let (_, _, html) = net.page("/dashboard/councils", Some(net.session("london"))).await;
    assert!(!html.contains("named:hartlepool-neighbours"), "another council's peer list is not offered to London");

    // A council saves its own comparator group from its page: from its own pages only, three councils or more,
    // and only for itself.
    let peers = format!("/dashboard/council/{HARTLEPOOL}/peers");
    let (_, _, html) = net.page(&format!("/dashboard/council/{HARTLEPOOL}"), Some(net.session("hartlepool"))).await;
    assert!(
        html.contains(&format!("action=\"{peers}\"")) && html.contains("Your comparator group"),
        "the form is on its page"
    );
    let chosen =
        [("name", "Our CIPFA family"), ("council", "E06000005"), ("council", "E06000003"), ("council", "E08000021")];
    let (status, _) = net.post(&peers, net.session("hartlepool"), &chosen, false).await;
    assert_eq!(status, 403, "a form from elsewhere (no Origin) is refused");
    let (status, body) = net.post(&peers, net.session("camden"), &chosen, true).await;
    assert_eq!(status, 403, "another council may not save Hartlepool's group: {body}");
    let (status, body) = net.post(&peers, net.session("hartlepool"), &chosen[..3], true).await;
    assert!(status == 400 && body.contains("Choose at least 3 councils: you chose 2"), "{status} {body}");
    let (status, _) = net.post(&peers, net.session("hartlepool"), &chosen, true).await;
    assert_eq!(status, 303, "saved");
    let (status, _, body) = net.get("/v1/benchmarks?group=named:peers-e06000001", Some(net.token("hartlepool"))).await;
    let saved: Value = serde_json::from_str(&body).unwrap();
    assert!(
        status == 200 && saved["name"] == "Our CIPFA family" && saved["coverage"]["councils_in_group"] == 3,
        "{body}"
    );
    let (_, _, html) = net.page(&format!("/dashboard/council/{HARTLEPOOL}"), Some(net.session("hartlepool"))).await;
    assert!(
        html.contains("Our CIPFA family") && html.contains("Saved: 3 councils"),
        "beside the council, and the form shows it"
    );

    let (status, _, admin) = net.get("/v1/benchmarks", Some(net.token("admin"))).await;
    assert_eq!(status, 403, "the administrator reads no figure even then: {admin}");
    // The open-data API and pages need no sign-in, and state the log size their figures come from.
    let (status, _, body) = net.get("/v1/open/overview", None).await;
    assert_eq!(status, 200, "{body}");
    let open: Value = serde_json::from_str(&body).unwrap();
    assert!(open["tree_size"].as_u64().unwrap() >= 48 && !figures(&open).is_empty(), "{open}");
    // A published figure can be reproduced from the log size its answer states: asked for at that size it is
    // the same to the byte; at a smaller one it is what the first entries gave; beyond the log, refused.
    let size = open["tree_size"].as_u64().unwrap();
    let (_, _, again) = net.get(&format!("/v1/open/overview?tree_size={size}"), None).await;
    assert_eq!(again, body, "the same answer at the same tree size");
    let (status, _, earlier) = net.get(&format!("/v1/open/overview?period={q}&tree_size={}", size / 2), None).await;
    let earlier: Value = serde_json::from_str(&earlier).unwrap();
    assert_eq!((status, earlier["tree_size"].as_u64()), (200, Some(size / 2)), "{earlier}");
    assert!(
        earlier["data"][0]["councils_included"].as_u64() < open["data"][0]["councils_included"].as_u64(),
        "{earlier}"
    );
    let (status, _, beyond) = net.get(&format!("/v1/open/overview?tree_size={}", size + 1), None).await;
    assert!(status == 404 && beyond.contains("does not have"), "{beyond}");
    let (status, ct, csv) = net.get(&format!("/v1/open/councils?period={q}&format=csv"), None).await;
    assert_eq!((status, ct.as_str()), (200, "text/csv; charset=utf-8"), "{csv}");
    assert!(csv.contains("Hartlepool") && csv.contains(HARTLEPOOL), "{csv}");
    for path in ["/open", "/open/groups", "/open/councils"] {
        let (status, _, html) = net.page(path, None).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains("lang=\"en-GB\"") && !html.contains("Sign out"), "{path}");
    }

    net.net.stop().await;
}
