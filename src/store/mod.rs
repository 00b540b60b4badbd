//! Adapters to the platform: D1, the KV token store, the Durable Objects, configuration, the
//! clock and the CSPRNG. They move bytes; the domain decides.
//!
//! Pure (also built natively): [`sql`] (statements as data), [`bookmarks`] (D1 bookmarks by
//! database, as the `x-d1-bookmark` header carries them), [`table`] (the versioned shape's
//! writes for any resource), [`query_sql`] (the predicate compiler), [`customer_table`] (how
//! customers are laid out), [`message_table`] (how messages are read and expire), [`shards`]
//! (which database holds a customer, how a write splits, how answers merge), [`rebalance`]
//! (the re-balancing step's rules). The rest is
//! wasm32 only: [`d1`] (the one place that chooses a database, and runs statements),
//! [`repository`] (reads for any resource), [`customers`] (customer lookups), [`writer`] and
//! [`customer_writes`] (the writer Durable Object), [`email_lock`], [`throttle`] (Durable
//! Objects), [`tokens`] (KV), [`api_clients`], [`passwords`] (WebCrypto), [`retention`] (the
//! scheduled deletion of old messages), [`orphans`] (the scheduled repair of customer writes
//! abandoned between their catalog and shard parts), [`scatter`] (reads over several databases), [`rebalance_run`] (the re-balancing step), [`search`]
//! (running searches, the index builder), [`config`], [`platform`], [`error`], [`emporix`] (the
//! Emporix dialect's counter, pending email changes and configuration).

pub mod associate_role_table;
pub mod bookmarks;
pub mod business_unit_table;
pub mod customer_group_table;
pub mod customer_table;
pub mod kind;
pub mod message_table;
pub mod query_sql;
pub mod rebalance;
pub mod search_index;
pub mod search_sql;
pub mod shards;
pub mod sql;
pub mod table;
pub mod type_table;

#[cfg(target_arch = "wasm32")]
pub mod api_clients;
#[cfg(target_arch = "wasm32")]
pub mod config;
#[cfg(target_arch = "wasm32")]
pub mod customer_writes;
#[cfg(target_arch = "wasm32")]
pub mod customers;
#[cfg(target_arch = "wasm32")]
pub mod d1;
#[cfg(target_arch = "wasm32")]
pub mod email_lock;
#[cfg(target_arch = "wasm32")]
pub mod emporix;
#[cfg(target_arch = "wasm32")]
pub mod error;
#[cfg(target_arch = "wasm32")]
pub mod orphans;
#[cfg(target_arch = "wasm32")]
pub mod passwords;
#[cfg(target_arch = "wasm32")]
pub mod platform;
#[cfg(target_arch = "wasm32")]
pub mod rebalance_run;
#[cfg(target_arch = "wasm32")]
pub mod references;
#[cfg(target_arch = "wasm32")]
pub mod repository;
#[cfg(target_arch = "wasm32")]
pub mod resources;
#[cfg(target_arch = "wasm32")]
pub mod retention;
#[cfg(target_arch = "wasm32")]
pub mod scatter;
#[cfg(target_arch = "wasm32")]
pub mod search;
#[cfg(target_arch = "wasm32")]
pub mod throttle;
#[cfg(target_arch = "wasm32")]
pub mod tokens;
#[cfg(target_arch = "wasm32")]
pub mod writer;
#[cfg(target_arch = "wasm32")]
pub use error::StoreError;
