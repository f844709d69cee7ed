//! Dashboard sessions and the answers' security headers over real TLS on loopback, on SQLite and
//! PostgreSQL: signing in exchanges the token for a server-side session whose cookie holds only
//! a random id; signing out, revoking the token and expiry each end it; sign-in and sign-out are
//! accepted only from the coordinator's own pages; and every answer carries HSTS and `nosniff`,
//! and every answer with figures `Cache-Control: no-store`.

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

use msp_coordinator::{auth::Role, tokens};
use msp_store::testing::databases;
use msp_tests::{Options, TestCoordinator};
use serde_json::Value;

const EVIL: &str = "https://evil.example";

/// A client that trusts the coordinator's CA and does not follow redirects (to see them).
fn client(c: &TestCoordinator) -> reqwest::Client {
    let pem = std::fs::read(&c.ca).unwrap();
    reqwest::Client::builder()
        .tls_certs_only(reqwest::Certificate::from_pem_bundle(&pem).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// POSTs the sign-in form with `token`, from `origin` (as the `Origin` header) when given.
async fn sign_in(c: &TestCoordinator, token: &str, origin: Option<&str>) -> reqwest::Response {
    let mut req = client(c)
        .post(format!("{}/sign-in", c.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={token}"));
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    req.send().await.unwrap()
}

/// The session id a sign-in answer sets, and the whole `Set-Cookie` header.
fn cookie(r: &reqwest::Response) -> (String, String) {
    let set = r.headers().get("set-cookie").expect("a session cookie").to_str().unwrap().to_owned();
    let id = set.strip_prefix("msp_session=").unwrap().split(';').next().unwrap().to_owned();
    (id, set)
}

/// Signs in from the coordinator's own origin; returns the session id.
async fn session(c: &TestCoordinator, token: &str) -> String {
    let r = sign_in(c, token, Some(&c.base)).await;
    assert_eq!(r.status(), 303);
    cookie(&r).0
}

/// GETs a dashboard page in `session`: its status and where it redirects to.
async fn page(c: &TestCoordinator, path: &str, session: &str) -> (u16, Option<String>) {
    let r = client(c).get(format!("{}{path}", c.base)).header("cookie", format!("msp_session={session}")).send();
    let r = r.await.unwrap();
    (r.status().as_u16(), r.headers().get("location").map(|l| l.to_str().unwrap().to_owned()))
}

/// POSTs sign-out in `session` from `origin`.
async fn sign_out(c: &TestCoordinator, session: &str, origin: &str) -> reqwest::Response {
    let r = client(c)
        .post(format!("{}/sign-out", c.base))
        .header("cookie", format!("msp_session={session}"))
        .header("origin", origin)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("");
    r.send().await.unwrap()
}

/// Asserts a refusal is the 403 `forbidden` problem naming where the request came from.
async fn refused_as_cross_site(r: reqwest::Response, from: &str) {
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("set-cookie").is_none(), "no cookie with a refusal");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["type"], "/problems/forbidden", "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains(from) && detail.contains("/sign-in"), "says why and what to do: {detail}");
}

#[tokio::test]
async fn a_cross_site_sign_in_is_refused_and_a_same_origin_one_is_accepted() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let c = TestCoordinator::start(dir.path().to_owned(), &db.url, Options::default()).await;
        let token = c.token("national").await;
        refused_as_cross_site(sign_in(&c, &token, Some(EVIL)).await, EVIL).await;
        refused_as_cross_site(sign_in(&c, &token, Some("null")).await, "null").await;
        refused_as_cross_site(sign_in(&c, &token, None).await, "neither").await;
        // A browser that sends no Origin is judged by its Referer.
        let r = client(&c)
            .post(format!("{}/sign-in", c.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("referer", format!("{EVIL}/phish"))
            .body(format!("token={token}"))
            .send()
            .await
            .unwrap();
        refused_as_cross_site(r, EVIL).await;

        let r = sign_in(&c, &token, Some(&c.base)).await;
        assert_eq!(r.status(), 303, "{:?}", db.backend);
        assert_eq!(r.headers()["location"], "/dashboard");
        let (id, _) = cookie(&r);
        assert_eq!(page(&c, "/dashboard/methodology", &id).await.0, 200);
        assert_eq!(page(&c, "/dashboard/status", &id).await.0, 200, "signed in");
        // Nodes' submissions carry no Origin and no cookie: they are not held to it.
        let r = client(&c)
            .post(format!("{}/v1/submissions", c.base))
            .header("content-type", "application/jose")
            .body("not.a.jws")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "judged as a submission, not refused as cross-site");
        c.stop().await;
    }
}

#[tokio::test]
async fn a_cross_site_sign_out_is_refused_and_a_same_origin_one_makes_the_old_cookie_useless() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let c = TestCoordinator::start(dir.path().to_owned(), &db.url, Options::default()).await;
        let token = c.token("national").await;
        let id = session(&c, &token).await;
        refused_as_cross_site(sign_out(&c, &id, EVIL).await, EVIL).await;
        assert_eq!(page(&c, "/dashboard/status", &id).await.0, 200, "a forged sign-out ends nothing");

        let r = sign_out(&c, &id, &c.base).await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/sign-in");
        assert!(r.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"), "the cookie is cleared");
        // The old cookie, replayed, is worth nothing: on the dashboard nor on the API.
        assert_eq!(page(&c, "/dashboard/status", &id).await, (303, Some("/sign-in?expired=1".into())));
        let r = client(&c)
            .get(format!("{}/v1/views/status", c.base))
            .header("cookie", format!("msp_session={id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{:?}", db.backend);
        // The token itself still works: signing out ends the session, not the token.
        assert_eq!(page(&c, "/dashboard/status", &session(&c, &token).await).await.0, 200);
        c.stop().await;
    }
}

#[tokio::test]
async fn the_session_cookie_holds_a_random_id_and_neither_the_token_nor_its_hash() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let c = TestCoordinator::start(dir.path().to_owned(), &db.url, Options::default()).await;
        let token = c.token("council:E06000001").await;
        let (id, set_cookie) = cookie(&sign_in(&c, &token, Some(&c.base)).await);
        for attribute in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(set_cookie.split("; ").any(|a| a == attribute), "{attribute} in {set_cookie}");
        }
        let hash = tokens::token_hash(&token);
        assert!(!set_cookie.contains(&token) && !set_cookie.contains(&token["msp_".len()..]), "{set_cookie}");
        assert!(!set_cookie.contains(&hash) && !set_cookie.contains(&hash[..12]), "nor its hash or id");
        assert_eq!(id.len(), 43, "256 bits, base64url");
        assert_ne!(id, session(&c, &token).await, "a new id at every sign-in");
        // The database keeps only the id's hash.
        let stored: Vec<String> = msp_store::sqlx::query_scalar("SELECT id_sha256 FROM sessions")
            .fetch_all(c.store.db().pool())
            .await
            .unwrap();
        assert!(stored.contains(&tokens::token_hash(&id)), "{stored:?}");
        assert!(!stored.contains(&id));
        c.stop().await;
    }
}

#[tokio::test]
async fn revoking_the_token_ends_its_sessions() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let c = TestCoordinator::start(dir.path().to_owned(), &db.url, Options::default()).await;
        let token = c.token("national").await;
        let (first, second) = (session(&c, &token).await, session(&c, &token).await);
        let other = session(&c, &c.token("national").await).await;
        let id = &tokens::token_hash(&token)[..12];
        assert!(tokens::list(&c.store).await.unwrap().iter().any(|t| t.id == id), "the token's id as listed");
        assert_eq!(tokens::role_of(&c.store, &token).await.unwrap(), Some(Role::National));
        // What `msp-coordinator token revoke <id>` does.
        tokens::revoke(&c.store, id).await.unwrap();
        for id in [&first, &second] {
            assert_eq!(page(&c, "/dashboard/status", id).await, (303, Some("/sign-in?expired=1".into())));
        }
        assert_eq!(page(&c, "/dashboard/status", &other).await.0, 200, "another token's session goes on");
        assert_eq!(sign_in(&c, &token, Some(&c.base)).await.status(), 401, "and the token opens no new one");
        c.stop().await;
    }
}

#[tokio::test]
async fn an_expired_session_is_refused() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let ahead = Arc::new(AtomicI64::new(0));
        let clock = {
            let ahead = ahead.clone();
            Arc::new(move || time::OffsetDateTime::now_utc() + time::Duration::seconds(ahead.load(Ordering::SeqCst)))
        };
        let c = TestCoordinator::start(dir.path().to_owned(), &db.url, Options { clock, ..Options::default() }).await;
        let id = session(&c, &c.token("national").await).await;
        ahead.store(7 * 3600 + 3500, Ordering::SeqCst);
        assert_eq!(page(&c, "/dashboard/status", &id).await.0, 200, "still open just before eight hours");
        ahead.store(8 * 3600 + 60, Ordering::SeqCst);
        assert_eq!(page(&c, "/dashboard/status", &id).await, (303, Some("/sign-in?expired=1".into())));
        let r = client(&c)
            .get(format!("{}/v1/views/status", c.base))
            .header("cookie", format!("msp_session={id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{:?}", db.backend);
        c.stop().await;
    }
}

#[tokio::test]
async fn answers_carry_hsts_and_nosniff_and_those_with_figures_are_never_stored() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let c = TestCoordinator::start(dir.path().to_owned(), &db.url, Options::default()).await;
        let token = c.token("national").await;
        let id = session(&c, &token).await;
        let get = |path: &str, auth: bool| {
            let req = client(&c).get(format!("{}{path}", c.base));
            let req = if auth { req.bearer_auth(&token).header("cookie", format!("msp_session={id}")) } else { req };
            async move { req.send().await.unwrap() }
        };
        for (path, auth, stored) in [
            ("/v1/views/status", true, false),
            ("/v1/views/status?format=csv", true, false),
            ("/v1/views/status?format=xlsx", true, false),
            ("/v1/views/overview", true, false),
            ("/v1/benchmarks", true, false),
            ("/dashboard/status", true, false),
            ("/dashboard", false, false),
            ("/sign-in", false, false),
            ("/metrics", false, false),
            ("/v1/keys", false, true),
            ("/v1/log/head", false, true),
            ("/static/app.css", false, true),
        ] {
            let r = get(path, auth).await;
            let h = r.headers();
            assert_eq!(
                h.get("strict-transport-security").map(|v| v.to_str().unwrap()),
                Some("max-age=31536000"),
                "{path}"
            );
            assert_eq!(h.get("x-content-type-options").map(|v| v.to_str().unwrap()), Some("nosniff"), "{path}");
            let cache = h.get("cache-control").map(|v| v.to_str().unwrap().to_owned());
            if stored {
                assert_ne!(cache.as_deref(), Some("no-store"), "{path} is public and may be cached");
            } else {
                assert_eq!(cache.as_deref(), Some("no-store"), "{path} ({})", r.status());
            }
        }
        c.stop().await;
    }
}
