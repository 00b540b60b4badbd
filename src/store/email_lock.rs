//! The email lock: one Durable Object per (project, lower-case email). A create or an email
//! change claims it for the length of its D1 write; a second concurrent claimant is refused
//! (the API answers 409 `LockedField`). A claim is a lease: if its holder dies, it lapses.
//! The D1 uniqueness rules stay the final arbiter (`DuplicateField`).

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

#[durable_object]
pub struct EmailLock {
    state: State,
}

impl DurableObject for EmailLock {
    fn new(state: State, _env: Env) -> Self {
        let created = state.storage().sql().exec(
            "CREATE TABLE IF NOT EXISTS claim (slot INTEGER PRIMARY KEY CHECK (slot = 1), owner TEXT NOT NULL, expires_at INTEGER NOT NULL)",
            None,
        );
        if let Err(err) = created {
            worker::console_error!("email lock: cannot create its table: {err}");
        }
        EmailLock { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let command: LockCommand = req.json().await?;
        // From here to the reply nothing is awaited: the check and the write are atomic.
        let sql = self.state.storage().sql();
        let now = now_ms();
        let held = match command {
            LockCommand::Claim { owner } => {
                #[derive(Deserialize)]
                struct ClaimRow {
                    owner: String,
                    expires_at: i64,
                }
                let current: Vec<ClaimRow> = sql
                    .exec("SELECT owner, expires_at FROM claim WHERE slot = 1", None)?
                    .to_array()?;
                let taken = current
                    .first()
                    .is_some_and(|c| c.owner != owner && c.expires_at > now);
                if !taken {
                    sql.exec(
                        "INSERT OR REPLACE INTO claim (slot, owner, expires_at) VALUES (1, ?, ?)",
                        vec![owner.into(), (now + LEASE_MS).into()],
                    )?;
                }
                !taken
            }
            LockCommand::Release { owner } => {
                sql.exec(
                    "DELETE FROM claim WHERE slot = 1 AND owner = ?",
                    vec![owner.into()],
                )?;
                false
            }
        };
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
