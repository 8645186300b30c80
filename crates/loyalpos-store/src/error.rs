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

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::Database(db) => {
                if db.is_unique_violation() {
                    return StoreError::Duplicate(db.message().to_owned());
                }
                // 40001 serialization failure, 40P01 deadlock (PostgreSQL); 5/6 busy/locked (SQLite).
                match db.code().as_deref() {
                    Some("40001" | "40P01" | "55P03" | "57P01" | "5" | "6" | "517") => {
                        StoreError::Unavailable(db.message().to_owned())
                    }
                    _ => StoreError::Internal(err.to_string()),
                }
            }
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(err.to_string()),
            _ => StoreError::Internal(err.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        StoreError::Internal(format!("migration failed: {err}"))
    }
}
