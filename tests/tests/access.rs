//! Who may see what, over real TLS against a network built by the real node code (the demo:
//! enrolment, synthetic data, import, release, signed submission): every read endpoint and
//! dashboard page for every role, without a token and with a revoked one, and the invariant
//! that matters most — no figure from fewer than three councils reaches anyone who may not see
//! each of those councils (DESIGN §8).

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

/// Every figure in a view's tables whose row says it comes from fewer than three councils.
fn small_group_figures(view: &Value) -> Vec<String> {
    let mut found = Vec::new();
    for t in view["tables"].as_array().into_iter().flatten() {
        let headings: Vec<&str> =
            t["columns"].as_array().unwrap().iter().map(|c| c["heading"].as_str().unwrap()).collect();
        let Some(included) = headings.iter().position(|h| *h == "Councils included") else { continue };
        for row in t["rows"].as_array().unwrap() {
            let n = row[included].as_f64().unwrap_or(0.0);
            if n > 0.0 && n < 3.0 {
                for (h, v) in headings.iter().zip(row.as_array().unwrap()) {
                    if ["Estimate", "Lower 95%", "Upper 95%"].contains(h) && v.is_number() {
                        found.push(format!("{} / {}: {h} = {v}", t["caption"], row[0]));
                    }
                }
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_sees_what_it_may_and_nothing_from_fewer_than_three_councils_it_may_not() {
    let net = network().await;
    let reads = [
        "/v1/benchmarks",
        "/v1/benchmarks?group=region:north_east",
        "/v1/compare?a=region:north_east&b=england&measure=fully",
        "/v1/views/overview",
        "/v1/views/groups?measure=fully",
        "/v1/views/models?measure=fully",
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
        // The admin manages the network: it sees who has submitted, but reads no benchmark.
        let (status, _, body) = net.get(path, Some(net.token("admin"))).await;
        let want = if path == "/v1/views/status" { 200 } else { 403 };
        assert_eq!(status, want, "{path} as admin: {}", &body[..body.len().min(300)]);
        if want == 403 {
            assert!(!body.contains("Estimate") && !body.contains("\"estimate\""), "{path} as admin");
        }
        // Everyone else reads the aggregates.
        for who in ["national", "north-east", "london", "hartlepool", "camden"] {
            let (status, _, body) = net.get(path, Some(net.token(who))).await;
            assert_eq!(status, 200, "{path} as {who}: {}", &body[..body.len().min(300)]);
        }
    }

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
    // A council's peers are its own comparison: nobody else gets them.
    let (status, _, _) = net.get(&format!("/v1/benchmarks?group=peers:{HARTLEPOOL}"), Some(net.token("camden"))).await;
    assert_eq!(status, 403);
    let (status, _, _) =
        net.get(&format!("/v1/benchmarks?group=peers:{HARTLEPOOL}"), Some(net.token("hartlepool"))).await;
    assert_eq!(status, 200);

    // The invariant: roles that cannot see a small group's councils get no figure for it.
    let mut small_groups_seen = 0;
    for path in ["/v1/views/overview", "/v1/views/groups?measure=fully", "/v1/views/models?measure=fully"] {
        let (_, _, national) = net.get(path, Some(net.token("national"))).await;
        small_groups_seen += small_group_figures(&serde_json::from_str(&national).unwrap()).len();
        for who in ["camden", "london"] {
            let (_, _, body) = net.get(path, Some(net.token(who))).await;
            let leaked = small_group_figures(&serde_json::from_str(&body).unwrap());
            assert!(leaked.is_empty(), "{path} as {who} shows small groups: {leaked:#?}");
        }
    }
    assert!(
        small_groups_seen > 0,
        "the test network should have groups of one or two councils, shown to national analysts"
    );

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
            // A council's picker has one choice: it goes straight to the council's own page.
            let own = match who {
                "hartlepool" => Some(format!("/dashboard/council/{HARTLEPOOL}")),
                "camden" => Some(format!("/dashboard/council/{CAMDEN}")),
                _ => None,
            };
            if path == "/dashboard/council" && own.is_some() {
                assert_eq!((status, location), (303, own), "{path} as {who}");
                continue;
            }
            assert_eq!(status, 200, "{path} as {who}");
            assert!(html.contains("<title>") && html.contains("lang=\"en-GB\""), "{path} as {who}");
        }
    }
    for (who, want) in [("national", 200), ("north-east", 200), ("hartlepool", 200), ("camden", 403)] {
        let (status, _, html) = net.page(&format!("/dashboard/council/{HARTLEPOOL}"), Some(net.session(who))).await;
        assert_eq!(status, want, "Hartlepool's page as {who}");
        if want == 403 {
            assert!(!html.contains("Hartlepool against"), "as {who}");
        }
    }
    // The methodology page is public: it explains the figures to anyone.
    let (status, _, html) = net.page("/dashboard/methodology", None).await;
    assert_eq!(status, 200);
    assert!(html.contains("95% interval"));

    net.net.stop().await;
}
