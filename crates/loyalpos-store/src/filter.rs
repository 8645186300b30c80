//! What a list asks of the store (api.md §5): a condition pushed down from `q`, and optionally one
//! page in the resource's default order.
//!
//! The HTTP layer builds a [`Filter`] from the conjuncts of a `q` that map to columns; the store
//! turns it into a `WHERE` clause whose values are all bound parameters (column names come only
//! from the store's own tables, never from the request). A filter may select a superset of the
//! final answer: the HTTP layer applies the exact `q` semantics to the rows it gets back.

/// A condition on a list's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Every condition holds (an empty `And` holds for every row).
    And(Vec<Filter>),
    /// At least one condition holds (an empty `Or` holds for no row).
    Or(Vec<Filter>),
    /// The field equals the value.
    Eq(Field, Scalar),
    /// The field's text starts with this prefix (byte order).
    Prefix(Field, String),
    /// `lo <= field <= hi`; `None` is an open end.
    Range(Field, Option<Scalar>, Option<Scalar>),
}

/// A bound value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scalar {
    Text(String),
    Int(i64),
}

/// The fields a list can be filtered on. Which fields a resource has, and what each means there,
/// is listed in `sql/lists.rs`; asking a resource for a field it lacks is an internal error.
///
/// Text fields compare as stored, except [`Field::MerchantRef`] and [`Field::TransactionRef`],
/// which compare folded: ASCII letters lower-cased and the Kelvin sign (U+212A) read as `k`
/// (so a caller that lower-cases an ASCII search text with Unicode rules finds every match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The object's own id.
    Id,
    /// Creation time, unix seconds.
    Created,
    /// Lower-case status word (`smart.transactions`, `loyalty.transactions`).
    Status,
    /// The 16-digit card number (of the card, or of the merchant card's / transaction's card; of a
    /// smart transaction: a card one of its loyalty transactions booked on).
    CardNumber,
    /// The card id (`CRD_`) of a merchant card or loyalty transaction.
    CardId,
    /// TA code: digits as text on smart transactions, an integer on loyalty transactions.
    TransId,
    /// `merchantRef` of a smart transaction, folded.
    MerchantRef,
    /// `transactionRef` of a smart transaction, folded.
    TransactionRef,
    /// The device (`SDV_`) of a smart transaction (`device_source`).
    DeviceId,
    /// The store (`STO_`) of a smart transaction.
    StoreId,
    /// The merchant card (`MCD_`) of a loyalty transaction.
    MerchantcardId,
    /// The smart transaction (`STX_`) of a loyalty transaction.
    SmartTransactionId,
    /// The card group (`CRG_`) of a merchant card or loyalty transaction.
    CardgroupId,
    /// The customer (`CUS_`) of a merchant card.
    CustomerId,
    /// Signed amount of a loyalty transaction; the basket's sum of a smart transaction.
    Amount,
    /// Balance after a loyalty transaction.
    Balance,
    CashBalance,
    BonusBalance,
    Points,
}

/// A page of the list in its default order (newest first, ties by id; loyalty transactions: ties
/// by TA code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: u64,
    pub count: u64,
    /// Also count every matching row (the API's `count`). Counting reads all of them, so a page
    /// that only needs to know whether another follows asks for one row more instead.
    pub total: bool,
}

/// What a list asks the store for.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListQuery<'a> {
    /// Rows must satisfy this; `None` = every row of the merchant.
    pub filter: Option<&'a Filter>,
    /// Only this page, and the total; `None` = every matching row.
    pub page: Option<Page>,
}

/// The rows a list query found, in the default order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<T> {
    /// How many rows match in all (not only this page); without [`Page::total`], the rows read.
    pub total: u64,
    pub rows: Vec<T>,
}
