//! The `saas_token`: a JWT (HS256) the login answers with, which a storefront sends as the
//! `saas-token` header to services that need to know the customer. Signed with the Worker's
//! secret (`EMPORIX_SAAS_TOKEN_SECRET`), so the Worker can verify it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The shortest secret accepted (bytes).
pub const MIN_SECRET_LEN: usize = 32;

/// What a saas token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Claims {
    /// The customer number (the Emporix customer id).
    pub sub: String,
    /// The customer's id in the commercetools dialect.
    pub customer_id: String,
    pub tenant: String,
    pub session_id: String,
    /// Issued at / expires at, seconds since the epoch.
    pub iat: i64,
    pub exp: i64,
}

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

fn mac(secret: &[u8], signed: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(signed.as_bytes());
    mac
}

/// The signed token for `claims`.
pub fn sign(claims: &Claims, secret: &[u8]) -> String {
    let payload = serde_json::to_string(claims).expect("claims always serialize");
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(HEADER),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature = URL_SAFE_NO_PAD.encode(mac(secret, &signed).finalize().into_bytes());
    format!("{signed}.{signature}")
}

/// The claims of a token this secret signed, if it has not expired at `now_s`.
pub fn verify(token: &str, secret: &[u8], now_s: i64) -> Result<Claims, &'static str> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a JWT");
    };
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| "bad signature encoding")?;
    mac(secret, &format!("{header}.{payload}"))
        .verify_slice(&signature)
        .map_err(|_| "bad signature")?;
    if URL_SAFE_NO_PAD.decode(header).ok().as_deref() != Some(HEADER.as_bytes()) {
        return Err("unsupported header");
    }
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| "bad payload encoding")?;
    let claims: Claims = serde_json::from_slice(&payload).map_err(|_| "bad payload")?;
    if now_s >= claims.exp {
        return Err("expired");
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            sub: "10000001".into(),
            customer_id: "c-1".into(),
            tenant: "demo".into(),
            session_id: "s-1".into(),
            iat: 100,
            exp: 200,
        }
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let secret = [7u8; 32];
        let token = sign(&claims(), &secret);
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(verify(&token, &secret, 150), Ok(claims()));
        assert_eq!(verify(&token, &secret, 200), Err("expired"));
        assert_eq!(verify(&token, &[8u8; 32], 150), Err("bad signature"));
    }

    #[test]
    fn tampering_breaks_the_signature() {
        let secret = [7u8; 32];
        let token = sign(&claims(), &secret);
        let mut forged = claims();
        forged.sub = "10000002".into();
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_string(&forged).unwrap());
        let parts: Vec<&str> = token.split('.').collect();
        let tampered = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
        assert_eq!(verify(&tampered, &secret, 150), Err("bad signature"));
        assert_eq!(verify("a.b", &secret, 0), Err("not a JWT"));
        assert_eq!(verify("a.b.c.d", &secret, 0), Err("not a JWT"));
    }

    #[test]
    fn matches_a_known_hs256_vector() {
        // The signature of "h.p" with key "k": HMAC-SHA256, base64url (as computed independently).
        let signed = mac(b"k", "h.p").finalize().into_bytes();
        assert_eq!(
            URL_SAFE_NO_PAD.encode(signed),
            "yfvx8JdgfTOkexJfF2cZKe6dh47Wy4lkjMj4qSauFHc"
        );
    }
}
