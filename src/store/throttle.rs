//! Sign-in throttling: one Durable Object per email (and one per client address) keeps the
//! window of recent failures (see `domain::throttle`), in its storage so it survives eviction.
//! Each operation reads, changes and writes the window without awaiting anything but storage,
//! so it is atomic (storage operations keep the input gate closed).

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, State};

use crate::domain::throttle::{Begun, Limits, Window};

const BINDING: &str = "SIGN_IN_THROTTLE";
const STORAGE_KEY: &str = "window";

#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", rename_all_fields = "camelCase")]
enum ThrottleCommand {
    /// Check the window and count the attempt as a failure.
    Begin { now_ms: i64, limits: Limits },
    /// The attempt begun at `began_ms` succeeded: take its count back (and, for an email,
    /// forget all failures).
    Succeeded { began_ms: i64, clear: bool },
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
        let mut window: Window = storage.get(STORAGE_KEY).await?.unwrap_or_default();
        let reply = match command {
            ThrottleCommand::Begin { now_ms, limits } => {
                let begun = window.begin(now_ms, limits);
                if matches!(begun, Begun::Allowed { .. }) {
                    storage.put(STORAGE_KEY, &window).await?;
                }
                Some(begun)
            }
            ThrottleCommand::Succeeded { began_ms, clear } => {
                if clear {
                    window.clear();
                } else {
                    window.succeeded(began_ms);
                }
                storage.put(STORAGE_KEY, &window).await?;
                None
            }
        };
        Response::from_json(&reply)
    }
}

async fn send(env: &Env, key: &str, command: &ThrottleCommand) -> worker::Result<Option<Begun>> {
    let stub = env.durable_object(BINDING)?.get_by_name(key)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(command)?.into()));
    let request = Request::new_with_init("https://sign-in-throttle/", &init)?;
    stub.fetch_with_request(request).await?.json().await
}

/// The throttles one sign-in attempt counts against: its email, and its client address.
pub struct Attempt {
    email_key: String,
    address_key: String,
    limits: (Limits, Limits),
    began_ms: i64,
}

/// How an attempt began.
pub enum Started {
    /// Go ahead; if the credentials are wrong, answer this much later.
    Allowed {
        delay_ms: u64,
    },
    Refused {
        retry_after_seconds: u64,
    },
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
            email_key: format!(
                "email\n{project}\n{}",
                crate::domain::validate::lowercase_email(email)
            ),
            address_key: format!("address\n{address}"),
            limits,
            began_ms: now_ms,
        }
    }

    /// Checks both windows and counts the attempt as a failure in both.
    pub async fn begin(&self, env: &Env) -> worker::Result<Started> {
        let now_ms = self.began_ms;
        let (email, address) = futures_util::future::join(
            send(
                env,
                &self.email_key,
                &ThrottleCommand::Begin {
                    now_ms,
                    limits: self.limits.0,
                },
            ),
            send(
                env,
                &self.address_key,
                &ThrottleCommand::Begin {
                    now_ms,
                    limits: self.limits.1,
                },
            ),
        )
        .await;
        let (mut delay_ms, mut retry_after) = (0, None::<u64>);
        for begun in [email?, address?].into_iter().flatten() {
            match begun {
                Begun::Allowed { delay_ms: d } => delay_ms = delay_ms.max(d),
                Begun::Refused {
                    retry_after_seconds,
                } => retry_after = Some(retry_after.unwrap_or(0).max(retry_after_seconds)),
            }
        }
        Ok(match retry_after {
            Some(retry_after_seconds) => Started::Refused {
                retry_after_seconds,
            },
            None => Started::Allowed { delay_ms },
        })
    }

    /// The credentials were right: the email's failures are forgotten, the address's count of
    /// this attempt taken back.
    pub async fn succeeded(&self, env: &Env) -> worker::Result<()> {
        let began_ms = self.began_ms;
        let (email, address) = futures_util::future::join(
            send(
                env,
                &self.email_key,
                &ThrottleCommand::Succeeded {
                    began_ms,
                    clear: true,
                },
            ),
            send(
                env,
                &self.address_key,
                &ThrottleCommand::Succeeded {
                    began_ms,
                    clear: false,
                },
            ),
        )
        .await;
        email?;
        address?;
        Ok(())
    }
}
