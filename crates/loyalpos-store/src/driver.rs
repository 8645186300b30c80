//! The little the SQL of `sql/*.rs` needs from a database driver, so that it is written once for
//! both engines: run a statement with bound arguments, get rows back as plain values. Each engine
//! implements [`Driver`] for its connection (rusqlite for SQLite, `postgres` for PostgreSQL).

use std::sync::Arc;

use loyalpos_domain::booking::{BalanceKind, BookingType, LtxStatus};
use loyalpos_domain::card::{LockStatus, StockStatus};
use loyalpos_domain::ids::{
    CardId, CardgroupId, ContractId, CustomerId, DeviceId, LtxId, MerchantId, MerchantcardId,
    StoreId, StxId,
};
use loyalpos_domain::money::Cents;
use loyalpos_domain::status::StxStatus;

use crate::{Result, StoreError};

/// A bound argument.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    Bool(bool),
    Bytes(&'a [u8]),
}

impl<'a> From<&'a [u8]> for Arg<'a> {
    fn from(v: &'a [u8]) -> Self {
        Arg::Bytes(v)
    }
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}
impl From<&i64> for Arg<'_> {
    fn from(v: &i64) -> Self {
        Arg::Int(*v)
    }
}
impl From<bool> for Arg<'_> {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}
impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Text(v)
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Arg::Text(v)
    }
}
impl<'a> From<&&'a str> for Arg<'a> {
    fn from(v: &&'a str) -> Self {
        Arg::Text(v)
    }
}
impl<'a> From<&'a Option<String>> for Arg<'a> {
    fn from(v: &'a Option<String>) -> Self {
        v.as_deref().map_or(Arg::Null, Arg::Text)
    }
}
impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(v: Option<&'a str>) -> Self {
        v.map_or(Arg::Null, Arg::Text)
    }
}
impl From<Option<i64>> for Arg<'_> {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Arg::Null, Arg::Int)
    }
}
impl From<&Option<i64>> for Arg<'_> {
    fn from(v: &Option<i64>) -> Self {
        v.map_or(Arg::Null, Arg::Int)
    }
}
impl From<Option<bool>> for Arg<'_> {
    fn from(v: Option<bool>) -> Self {
        v.map_or(Arg::Null, Arg::Bool)
    }
}

impl From<Cents> for Arg<'_> {
    fn from(v: Cents) -> Self {
        Arg::Int(v.0)
    }
}

/// The domain's named enums are stored as their names; a name the domain does not know is a
/// corrupt row, refused where it is read rather than carried up as a string.
macro_rules! named_columns {
    ($($t:ty),+) => {$(
        impl From<$t> for Arg<'_> {
            fn from(v: $t) -> Self {
                Arg::Text(v.as_str())
            }
        }
        impl Column for $t {
            fn from_val(v: Val) -> std::result::Result<Self, String> {
                let name = String::from_val(v)?;
                <$t>::parse(&name).map_err(|e| e.to_string())
            }
        }
    )+};
}

/// Ids are stored as their text.
macro_rules! id_columns {
    ($($t:ty),+) => {$(
        impl<'a> From<&'a $t> for Arg<'a> {
            fn from(v: &'a $t) -> Self {
                Arg::Text(v.as_str())
            }
        }
        impl<'a> From<&'a Option<$t>> for Arg<'a> {
            fn from(v: &'a Option<$t>) -> Self {
                v.as_ref().map_or(Arg::Null, |id| Arg::Text(id.as_str()))
            }
        }
        impl<'a> From<Option<&'a $t>> for Arg<'a> {
            fn from(v: Option<&'a $t>) -> Self {
                v.map_or(Arg::Null, |id| Arg::Text(id.as_str()))
            }
        }
        impl Column for $t {
            fn from_val(v: Val) -> std::result::Result<Self, String> {
                String::from_val(v).map(<$t>::new)
            }
        }
    )+};
}

id_columns!(
    MerchantId,
    ContractId,
    StoreId,
    DeviceId,
    CardgroupId,
    CardId,
    CustomerId,
    MerchantcardId,
    StxId,
    LtxId
);

named_columns!(
    StxStatus,
    LtxStatus,
    BookingType,
    BalanceKind,
    LockStatus,
    StockStatus
);

/// A value read from a row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Null,
    Int(i64),
    Text(String),
    Bool(bool),
    Bytes(Vec<u8>),
}

/// One row: its values, and the column names shared by every row of the result.
pub(crate) struct Record {
    pub names: Arc<[String]>,
    pub vals: Vec<Val>,
}

impl Record {
    /// Takes the value of a column by name (each column is taken once).
    pub fn take<T: Column>(&mut self, name: &str) -> Result<T> {
        let i = self
            .names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| StoreError::Internal(format!("no column {name} in the result")))?;
        let v = std::mem::replace(&mut self.vals[i], Val::Null);
        T::from_val(v).map_err(|e| StoreError::Internal(format!("column {name}: {e}")))
    }

    /// Moves the columns named `prefix…` into a record of their own, without the prefix (one row
    /// of a join that aliases a second table's columns).
    pub fn split_prefixed(&mut self, prefix: &str) -> Record {
        let mut names = Vec::new();
        let mut vals = Vec::new();
        for (name, val) in self.names.iter().zip(self.vals.iter_mut()) {
            if let Some(bare) = name.strip_prefix(prefix) {
                names.push(bare.to_owned());
                vals.push(std::mem::replace(val, Val::Null));
            }
        }
        Record {
            names: names.into(),
            vals,
        }
    }

    /// Whether every value is NULL (the missing side of an outer join).
    pub fn is_null(&self) -> bool {
        self.vals.iter().all(|v| *v == Val::Null)
    }

    /// The first column's value (scalar queries).
    pub fn first<T: Column>(mut self) -> Result<T> {
        let v = if self.vals.is_empty() {
            Val::Null
        } else {
            self.vals.swap_remove(0)
        };
        T::from_val(v).map_err(|e| StoreError::Internal(format!("scalar: {e}")))
    }
}

/// A Rust type a column converts to.
pub(crate) trait Column: Sized {
    fn from_val(v: Val) -> std::result::Result<Self, String>;
}

impl Column for i64 {
    fn from_val(v: Val) -> std::result::Result<Self, String> {
        match v {
            Val::Int(i) => Ok(i),
            Val::Bool(b) => Ok(i64::from(b)),
            other => Err(format!("expected an integer, got {other:?}")),
        }
    }
}
impl Column for bool {
    fn from_val(v: Val) -> std::result::Result<Self, String> {
        match v {
            Val::Bool(b) => Ok(b),
            Val::Int(i) => Ok(i != 0),
            other => Err(format!("expected a boolean, got {other:?}")),
        }
    }
}
impl Column for String {
    fn from_val(v: Val) -> std::result::Result<Self, String> {
        match v {
            Val::Text(s) => Ok(s),
            other => Err(format!("expected text, got {other:?}")),
        }
    }
}
/// A value whose type the caller decides on (a column that holds either of two forms).
impl Column for Val {
    fn from_val(v: Val) -> std::result::Result<Self, String> {
        Ok(v)
    }
}
impl Column for Vec<u8> {
    fn from_val(v: Val) -> std::result::Result<Self, String> {
        match v {
            Val::Bytes(b) => Ok(b),
            other => Err(format!("expected bytes, got {other:?}")),
        }
    }
}
impl Column for Cents {
    fn from_val(v: Val) -> std::result::Result<Self, String> {
        i64::from_val(v).map(Cents)
    }
}
impl<T: Column> Column for Option<T> {
    fn from_val(v: Val) -> std::result::Result<Self, String> {
        match v {
            Val::Null => Ok(None),
            v => T::from_val(v).map(Some),
        }
    }
}

/// A row type built from a [`Record`] by column names.
pub(crate) trait FromRecord: Sized {
    fn from_record(r: Record) -> Result<Self>;
}

/// Implements [`FromRecord`] for a row struct whose fields are named like its columns.
macro_rules! from_record {
    ($row:ident { $($field:ident),* $(,)? }) => {
        impl $crate::driver::FromRecord for $row {
            fn from_record(mut r: $crate::driver::Record) -> $crate::Result<Self> {
                Ok($row { $($field: r.take(stringify!($field))?,)* })
            }
        }
    };
}
pub(crate) use from_record;

/// A database connection as the shared SQL uses it.
pub(crate) trait Driver {
    /// Runs a statement; returns the number of rows it changed.
    fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64>;
    /// Runs a query; returns every row.
    fn query(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Record>>;
    /// Runs SQL without arguments or results (transaction control, savepoints).
    fn batch(&mut self, sql: &str) -> Result<()>;
    /// Runs a statement whose count of changed rows nobody reads. A driver may hold it back and
    /// send it with the next statement that needs an answer (one round trip for several), so its
    /// failure may be reported by that statement, or by the COMMIT, which then fails the unit.
    fn execute_later(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<()> {
        self.execute(sql, args).map(drop)
    }
    /// Runs `first`, then `second`, and returns both answers. `second` may depend on what `first`
    /// did in the database (the row it locked), never on its answer, so a driver may send the two
    /// together: one round trip. A failure of `first` is the result.
    fn query_pair(
        &mut self,
        first: (&str, &[Arg<'_>]),
        second: (&str, &[Arg<'_>]),
    ) -> Result<(Vec<Record>, Vec<Record>)> {
        let first = self.query(first.0, first.1)?;
        Ok((first, self.query(second.0, second.1)?))
    }
    /// [`Driver::batch`], held back like [`Driver::execute_later`].
    fn batch_later(&mut self, sql: &str) -> Result<()> {
        self.batch(sql)
    }
}

/// The first of a query's rows, if any, as a row type.
pub(crate) fn first<T: FromRecord>(rows: Vec<Record>) -> Result<Option<T>> {
    rows.into_iter().next().map(T::from_record).transpose()
}

/// A statement being built: `tx.q(SQL).bind(a).bind(b).execute()` — the shape of the SQL files.
pub(crate) struct Q<'c, 'a> {
    driver: &'c mut dyn Driver,
    sql: &'a str,
    args: Vec<Arg<'a>>,
}

impl<'c, 'a> Q<'c, 'a> {
    pub fn new(driver: &'c mut dyn Driver, sql: &'a str) -> Self {
        Q {
            driver,
            sql,
            args: Vec::new(),
        }
    }

    pub fn bind(mut self, arg: impl Into<Arg<'a>>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn bind_all(mut self, args: impl IntoIterator<Item = Arg<'a>>) -> Self {
        self.args.extend(args);
        self
    }

    pub fn execute(self) -> Result<u64> {
        self.driver.execute(self.sql, &self.args)
    }

    /// A write whose count of changed rows is not needed ([`Driver::execute_later`]): only for
    /// statements that fail solely when the unit fails as a whole, since the error may come later.
    pub fn execute_later(self) -> Result<()> {
        self.driver.execute_later(self.sql, &self.args)
    }

    pub fn fetch_all<T: FromRecord>(self) -> Result<Vec<T>> {
        self.driver
            .query(self.sql, &self.args)?
            .into_iter()
            .map(T::from_record)
            .collect()
    }

    pub fn fetch_optional<T: FromRecord>(self) -> Result<Option<T>> {
        first(self.driver.query(self.sql, &self.args)?)
    }

    /// The first column of the first row.
    pub fn scalar<T: Column>(self) -> Result<T> {
        let rows = self.driver.query(self.sql, &self.args)?;
        rows.into_iter()
            .next()
            .ok_or_else(|| StoreError::Internal("a scalar query returned no row".into()))?
            .first()
    }

    /// The first column of the first row, if there is a row.
    pub fn scalar_optional<T: Column>(self) -> Result<Option<T>> {
        let rows = self.driver.query(self.sql, &self.args)?;
        rows.into_iter().next().map(Record::first).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_name_the_domain_does_not_know_is_a_corrupt_row() {
        assert_eq!(
            StxStatus::from_val(Val::Text("ok".into())),
            Ok(StxStatus::Ok)
        );
        assert_eq!(
            BookingType::from_val(Val::Text("bonus_collected".into())),
            Ok(BookingType::BonusCollected)
        );
        assert!(StxStatus::from_val(Val::Text("done".into())).is_err());
        assert!(LockStatus::from_val(Val::Int(1)).is_err());
        assert_eq!(Cents::from_val(Val::Int(-5)), Ok(Cents(-5)));
        assert_eq!(
            <Option<LtxStatus>>::from_val(Val::Null),
            Ok(None::<LtxStatus>)
        );
    }
}
