//! Session cookies: reading one by name, and setting or clearing one with the only attributes the
//! network uses — `Path=/; HttpOnly; Secure; SameSite=Strict` — so that no script reads it, no
//! plain-HTTP request carries it, and no request from another site sends it.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};

/// The value of the cookie `name` among the request's `Cookie` headers, if it sent one.
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A name or value that cannot be put in a cookie (RFC 6265 §4.1.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} cannot be put in a cookie: use letters, digits and - . _ ~ only")]
pub struct Unfit(pub String);

/// `Set-Cookie` for `name=value`, kept for `max_age` (whole seconds), sent back only over HTTPS
/// to this site's own pages, and unreadable by scripts. Name and value are limited to URL-safe
/// characters (base64url ids fit).
pub fn set(name: &str, value: &str, max_age: Duration) -> Result<HeaderValue, Unfit> {
    for part in [name, value] {
        if !fits(part) {
            return Err(Unfit(part.to_owned()));
        }
    }
    let text = format!("{name}={value}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={}", max_age.as_secs());
    HeaderValue::from_str(&text).map_err(|_| Unfit(value.to_owned()))
}

/// `Set-Cookie` that clears the cookie `name` (empty, `Max-Age=0`), with the same attributes.
pub fn clear(name: &str) -> Result<HeaderValue, Unfit> {
    if !fits(name) || name.is_empty() {
        return Err(Unfit(name.to_owned()));
    }
    HeaderValue::from_str(&format!("{name}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0"))
        .map_err(|_| Unfit(name.to_owned()))
}

/// Letters, digits and `- . _ ~`: safe as a cookie name or value without quoting.
fn fits(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_is_read_by_name_from_any_cookie_header() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("theme=dark; other=1"));
        h.append(header::COOKIE, HeaderValue::from_static("msp_session=abc-_123"));
        assert_eq!(read(&h, "msp_session").as_deref(), Some("abc-_123"));
        assert_eq!(read(&h, "other").as_deref(), Some("1"));
        assert_eq!(read(&h, "session"), None, "a name is matched whole");
        assert_eq!(read(&HeaderMap::new(), "msp_session"), None);
    }

    #[test]
    fn a_cookie_is_set_secure_http_only_same_site_strict_for_the_whole_site() {
        let v = set("msp_session", "abc-_123", Duration::from_secs(28_800)).unwrap();
        assert_eq!(v, "msp_session=abc-_123; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=28800");
        assert_eq!(clear("msp_session").unwrap(), "msp_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
    }

    #[test]
    fn a_value_that_would_break_the_header_is_refused() {
        for bad in ["a;b", "a b", "a=b", "a\r\nSet-Cookie: x=y", "é"] {
            assert_eq!(set("msp_session", bad, Duration::ZERO), Err(Unfit(bad.to_owned())), "{bad:?}");
        }
        assert!(set("bad name", "v", Duration::ZERO).is_err());
        assert!(clear("").is_err());
    }
}
