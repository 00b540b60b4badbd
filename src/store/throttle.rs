//! Sign-in throttling: one Durable Object per email (and one per client address) keeps the
//! window of recent failures (see `domain::throttle`), in its storage so it survives eviction.

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, State};

use crate::domain::throttle::{Limits, Window};

const BINDING: &str = "SIGN_IN_THROTTLE";
const STORAGE_KEY: &str = "window";

#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", rename_all_fields = "camelCase")]
enum ThrottleCommand {
    Check { now_ms: i64, limits: Limits },
    Fail { now_ms: i64, limits: Limits },
    Clear,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ThrottleReply {
    /// Seconds until an attempt is allowed, if it is not now.
    retry_after_seconds: Option<u64>,
    /// How long to hold back the answer to a failure.
    delay_ms: u64,
}

#[durable_object]
pub struct SignInThrottle {
    state: State,
}

impl DurableObject for SignInThrottle {
    fn new(state: State, _env: Env) -> Self {
        SignInThrottle { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let command: ThrottleCommand = req.json().await?;
        let storage = self.state.storage();
        // Storage operations keep the input gate closed: check-and-record is atomic.
        let mut window: Window = storage.get(STORAGE_KEY).await?.unwrap_or_default();
        let reply = match command {
            ThrottleCommand::Check { now_ms, limits } => ThrottleReply {
                retry_after_seconds: window.check(now_ms, limits).err(),
                delay_ms: 0,
            },
            ThrottleCommand::Fail { now_ms, limits } => {
                window.record_failure(now_ms, limits);
                storage.put(STORAGE_KEY, &window).await?;
                ThrottleReply {
                    retry_after_seconds: None,
                    delay_ms: window.delay_ms(now_ms, limits),
                }
            }
            ThrottleCommand::Clear => {
                window.clear();
                storage.delete(STORAGE_KEY).await?;
                ThrottleReply::default()
            }
        };
        Response::from_json(&reply)
    }
}

async fn send(env: &Env, key: &str, command: &ThrottleCommand) -> worker::Result<ThrottleReply> {
    let stub = env.durable_object(BINDING)?.get_by_name(key)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(command)?.into()));
    let request = Request::new_with_init("https://sign-in-throttle/", &init)?;
    stub.fetch_with_request(request).await?.json().await
}

/// The throttles one sign-in attempt counts against: its email, and its client address.
pub struct Attempt {
    pub email_key: String,
    pub address_key: String,
    pub email_limits: Limits,
    pub address_limits: Limits,
    pub now_ms: i64,
}

impl Attempt {
    pub fn new(
        project: &str,
        email: &str,
        address: &str,
        limits: (Limits, Limits),
        now_ms: i64,
    ) -> Self {
        Attempt {
            email_key: format!("email\n{project}\n{}", email.to_lowercase()),
            address_key: format!("address\n{address}"),
            email_limits: limits.0,
            address_limits: limits.1,
            now_ms,
        }
    }

    /// `Err(seconds)` if the email or the address is throttled.
    pub async fn check(&self, env: &Env) -> worker::Result<Result<(), u64>> {
        let (email, address) = futures_util::future::join(
            send(
                env,
                &self.email_key,
                &ThrottleCommand::Check {
                    now_ms: self.now_ms,
                    limits: self.email_limits,
                },
            ),
            send(
                env,
                &self.address_key,
                &ThrottleCommand::Check {
                    now_ms: self.now_ms,
                    limits: self.address_limits,
                },
            ),
        )
        .await;
        let wait = [email?.retry_after_seconds, address?.retry_after_seconds]
            .into_iter()
            .flatten()
            .max();
        Ok(wait.map_or(Ok(()), Err))
    }

    /// Counts a failure against both; returns how long to hold back the answer.
    pub async fn failed(&self, env: &Env) -> worker::Result<u64> {
        let (email, address) = futures_util::future::join(
            send(
                env,
                &self.email_key,
                &ThrottleCommand::Fail {
                    now_ms: self.now_ms,
                    limits: self.email_limits,
                },
            ),
            send(
                env,
                &self.address_key,
                &ThrottleCommand::Fail {
                    now_ms: self.now_ms,
                    limits: self.address_limits,
                },
            ),
        )
        .await;
        Ok(email?.delay_ms.max(address?.delay_ms))
    }

    /// A successful sign-in clears the email's failures (not the address's).
    pub async fn succeeded(&self, env: &Env) -> worker::Result<()> {
        send(env, &self.email_key, &ThrottleCommand::Clear)
            .await
            .map(|_| ())
    }
}
