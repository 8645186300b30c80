use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The database cannot be reached, is overloaded, or gave up on a conflict: safe to retry.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A unique constraint refused the write.
    #[error("duplicate: {0}")]
    Duplicate(String),
    /// An Idempotency-Key is already claimed by a request that is still running.
    #[error("idempotency key in use")]
    KeyInUse,
    #[error("configuration: {0}")]
    Config(String),
    #[error("storage error: {0}")]
    Internal(String),
}
