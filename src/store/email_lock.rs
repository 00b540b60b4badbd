//! The email lock: one Durable Object per (project, lower-case email). A create or an email
//! change claims it for the length of its D1 write; a second concurrent claimant is refused
//! (the API answers 409 `LockedField`). A claim is a lease: if its holder dies, it lapses.
//! The D1 uniqueness rules stay the final arbiter (`DuplicateField`).
//!
//! The lease lives in the object's memory, not its storage: it only has to outlast one write
//! (seconds), objects are not evicted while in use, and losing it early can only let a
//! concurrent writer reach D1, which then refuses the duplicate. Not writing storage keeps a
//! claim to one in-memory check (no durable write per create).

use std::cell::RefCell;

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, State};

use super::platform::now_ms;

const BINDING: &str = "EMAIL_LOCK";
/// How long a claim holds without being released; far above any D1 write.
const LEASE_MS: i64 = 10_000;

#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
enum LockCommand {
    Claim { owner: String },
    Release { owner: String },
}

#[derive(Serialize, Deserialize)]
struct LockReply {
    held: bool,
}

/// The current claim: its owner and when its lease ends (ms since the epoch).
struct Claim {
    owner: String,
    expires_at: i64,
}

#[durable_object]
pub struct EmailLock {
    claim: RefCell<Option<Claim>>,
}

impl DurableObject for EmailLock {
    fn new(_state: State, _env: Env) -> Self {
        EmailLock {
            claim: RefCell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let command: LockCommand = req.json().await?;
        // From here to the reply nothing is awaited: the check and the change are atomic.
        let now = now_ms();
        let mut claim = self.claim.borrow_mut();
        let held = match command {
            LockCommand::Claim { owner } => {
                let taken = claim
                    .as_ref()
                    .is_some_and(|c| c.owner != owner && c.expires_at > now);
                if !taken {
                    *claim = Some(Claim {
                        owner,
                        expires_at: now + LEASE_MS,
                    });
                }
                !taken
            }
            LockCommand::Release { owner } => {
                if claim.as_ref().is_some_and(|c| c.owner == owner) {
                    *claim = None;
                }
                false
            }
        };
        drop(claim);
        Response::from_json(&LockReply { held })
    }
}

async fn send(
    env: &Env,
    project: &str,
    email: &str,
    command: &LockCommand,
) -> worker::Result<bool> {
    let stub = env
        .durable_object(BINDING)?
        .get_by_name(&format!("{project}\n{email}"))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(command)?.into()));
    let request = Request::new_with_init("https://email-lock/", &init)?;
    let reply: LockReply = stub.fetch_with_request(request).await?.json().await?;
    Ok(reply.held)
}

/// Claims `email` of `project` for `owner`; false if another owner holds it.
pub async fn claim(env: &Env, project: &str, email: &str, owner: &str) -> worker::Result<bool> {
    send(
        env,
        project,
        email,
        &LockCommand::Claim {
            owner: owner.into(),
        },
    )
    .await
}

/// Releases the claim if `owner` holds it.
pub async fn release(env: &Env, project: &str, email: &str, owner: &str) -> worker::Result<()> {
    send(
        env,
        project,
        email,
        &LockCommand::Release {
            owner: owner.into(),
        },
    )
    .await
    .map(|_| ())
}
