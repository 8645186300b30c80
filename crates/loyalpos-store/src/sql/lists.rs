// Lists (api.md §5): a `Filter` pushed down from `q` as a WHERE clause with bound parameters only,
// optionally one page of the default order together with the total. Column names and expressions
// come from the tables below, never from the request.

// The backend this file is instantiated for (only PostgreSQL locks rows).
const LIST_ON_POSTGRES: bool = !for_update!().is_empty();

// Ids order by bytes on both backends, whatever the PostgreSQL database's collation is.
const LIST_BY_ID: &str = if LIST_ON_POSTGRES {
    "created DESC, id COLLATE \"C\" DESC"
} else {
    "created DESC, id DESC"
};

// The folded `merchantRef` / `transactionRef` of a smart transaction: ASCII letters lower-cased,
// the Kelvin sign read as `k`. Spelled exactly as in the expression indexes of migration 0008 so
// that the planner uses them.
const LIST_MERCHANT_REF: &str = if LIST_ON_POSTGRES {
    "lower(replace(merchant_ref, '\u{212A}', 'k') COLLATE \"C\")"
} else {
    "lower(replace(merchant_ref, '\u{212A}', 'k'))"
};
// Fields of a smart transaction's document that have no column (the office's filters): they are
// read while the merchant's transactions are walked newest first, so they suit a page that stops
// after its rows, best with a day or another indexed condition beside them.
const LIST_STX_STORE: &str = if LIST_ON_POSTGRES {
    "(doc::json ->> 'store_id')"
} else {
    "json_extract(stx_doc(doc), '$.store_id')"
};
const LIST_STX_SUM: &str = if LIST_ON_POSTGRES {
    "((doc::json ->> 'sum')::bigint)"
} else {
    "json_extract(stx_doc(doc), '$.sum')"
};
const LIST_TRANSACTION_REF: &str = if LIST_ON_POSTGRES {
    "lower(replace(transaction_ref, '\u{212A}', 'k') COLLATE \"C\")"
} else {
    "lower(replace(transaction_ref, '\u{212A}', 'k'))"
};

/// Where a field lives for one listed table.
#[derive(Clone, Copy)]
enum ListCol {
    /// A column (or expression) of the listed table.
    Plain(&'static str),
    /// A field of a related table: `outer IN (select WHERE <condition on inner>)`, or for an
    /// equality when `single` (`select` finds at most one row per value) `outer = (select WHERE
    /// inner = …)`, so that the planner sees an indexable equality. `$merchant` in `select` is the
    /// merchant id.
    Via {
        outer: &'static str,
        select: &'static str,
        inner: &'static str,
        single: bool,
    },
}

/// One listed table.
struct ListTable {
    /// `smart.transactions` …, for error messages.
    name: &'static str,
    table: &'static str,
    cols: &'static str,
    /// Restricts the rows to the merchant bound as `$1`.
    scope: &'static str,
    /// The default order (api.md §5: newest first, ties by id).
    order: &'static str,
    column: fn(Field) -> Option<ListCol>,
}

const LIST_STXS: ListTable = ListTable {
    name: "smart.transactions",
    table: "smart_transactions",
    cols: stx_cols!(),
    scope: "merchant_id = $1",
    order: LIST_BY_ID,
    column: |f| {
        Some(match f {
            // Through the card's bookings (index loyalty_transactions_merchantcard).
            Field::CardNumber => ListCol::Via {
                outer: "id",
                select: "SELECT l.smart_transaction_id FROM loyalty_transactions l \
                         JOIN merchantcards m ON m.id = l.merchantcard_id \
                         JOIN cards c ON c.id = m.card_id \
                         WHERE l.merchant_id = $merchant AND m.merchant_id = $merchant AND",
                inner: "c.cardnumber",
                single: false,
            },
            f => ListCol::Plain(match f {
                Field::Id => "id",
                Field::Created => "created",
                Field::Status => "status",
                Field::TransId => "trans_id",
                Field::MerchantRef => LIST_MERCHANT_REF,
                Field::TransactionRef => LIST_TRANSACTION_REF,
                Field::DeviceId => "device_id",
                Field::StoreId => LIST_STX_STORE,
                Field::Amount => LIST_STX_SUM,
                _ => return None,
            }),
        })
    },
};

const LIST_MERCHANTCARDS: ListTable = ListTable {
    name: "loyalty.merchantcards",
    table: "merchantcards",
    cols: merchantcard_cols!(),
    scope: "merchant_id = $1",
    order: LIST_BY_ID,
    column: |f| {
        Some(match f {
            // Card numbers are unique.
            Field::CardNumber => ListCol::Via {
                outer: "card_id",
                select: "SELECT id FROM cards WHERE",
                inner: "cardnumber",
                single: true,
            },
            f => ListCol::Plain(match f {
                Field::Id => "id",
                Field::CardId => "card_id",
                Field::CardgroupId => "cardgroup_id",
                Field::CustomerId => "customer_id",
                Field::CashBalance => "cash_balance",
                Field::BonusBalance => "bonus_balance",
                Field::Points => "points",
                _ => return None,
            }),
        })
    },
};

const LIST_CARDS: ListTable = ListTable {
    name: "loyalty.cards",
    table: "cards",
    // The merchant's own assignment only ($1 is the merchant, as in the scope).
    cols: "id, cardnumber, created, (SELECT a.account_id FROM card_assignments a \
           WHERE a.merchant_id = $1 AND a.card_id = cards.id) AS account_id",
    scope: "id IN (SELECT card_id FROM merchantcards WHERE merchant_id = $1)",
    order: LIST_BY_ID,
    column: |f| {
        Some(ListCol::Plain(match f {
            Field::Id => "id",
            Field::CardNumber => "cardnumber",
            Field::Created => "created",
            _ => return None,
        }))
    },
};

const LIST_CARDGROUPS: ListTable = ListTable {
    name: "loyalty.cardgroups",
    table: "cardgroups",
    cols: cardgroup_cols!(),
    scope: "merchant_id = $1",
    order: LIST_BY_ID,
    column: |f| match f {
        Field::Id => Some(ListCol::Plain("id")),
        _ => None,
    },
};

const LIST_CUSTOMERS: ListTable = ListTable {
    name: "loyalty.customers",
    table: "customers",
    cols: customer_cols!(),
    scope: "merchant_id = $1",
    order: LIST_BY_ID,
    column: |f| {
        Some(ListCol::Plain(match f {
            Field::Id => "id",
            Field::Created => "created",
            _ => return None,
        }))
    },
};

const LIST_LTXS: ListTable = ListTable {
    name: "loyalty.transactions",
    table: "loyalty_transactions",
    cols: ltx_cols!(),
    scope: "merchant_id = $1",
    // TA codes strictly increase, so they order the transactions of one second.
    order: "created DESC, trans_id DESC",
    column: |f| {
        Some(match f {
            // A card has at most one merchant card per merchant.
            Field::CardNumber => ListCol::Via {
                outer: "merchantcard_id",
                select: "SELECT m.id FROM merchantcards m JOIN cards c ON c.id = m.card_id \
                         WHERE m.merchant_id = $merchant AND",
                inner: "c.cardnumber",
                single: true,
            },
            Field::CardId => ListCol::Via {
                outer: "merchantcard_id",
                select: "SELECT id FROM merchantcards WHERE merchant_id = $merchant AND",
                inner: "card_id",
                single: true,
            },
            f => ListCol::Plain(match f {
                Field::Id => "id",
                Field::Created => "created",
                Field::Status => "status",
                Field::TransId => "trans_id",
                Field::MerchantcardId => "merchantcard_id",
                Field::SmartTransactionId => "smart_transaction_id",
                Field::CardgroupId => "cardgroup_id",
                Field::Amount => "amount",
                Field::Balance => "balance",
                _ => return None,
            }),
        })
    },
};

const LIST_STORES: ListTable = ListTable {
    name: "general.stores",
    table: "stores",
    cols: store_cols!(),
    scope: "merchant_id = $1",
    order: LIST_BY_ID,
    column: |f| match f {
        Field::Id => Some(ListCol::Plain("id")),
        _ => None,
    },
};

const LIST_DEVICES: ListTable = ListTable {
    name: "smart.devices",
    table: "devices",
    cols: device_cols!(),
    scope: "merchant_id = $1",
    order: LIST_BY_ID,
    column: |f| {
        Some(ListCol::Plain(match f {
            Field::Id => "id",
            Field::Created => "created",
            _ => return None,
        }))
    },
};

/// The SQL of one list query and its parameters after `$1` (the merchant id), in order.
struct ListStatement {
    rows: String,
    count: String,
    binds: Vec<Scalar>,
}

impl ListStatement {
    fn new(t: &ListTable, merchant_id: &MerchantId, q: &ListQuery<'_>) -> Result<ListStatement> {
        let mut binds = Vec::new();
        let mut cond = String::new();
        if let Some(filter) = q.filter {
            cond.push_str(" AND ");
            let mut sql = ListSql {
                table: t,
                merchant_id,
                out: &mut cond,
                binds: &mut binds,
            };
            sql.condition(filter)?;
        }
        let from = format!("FROM {} WHERE {}{cond}", t.table, t.scope);
        let count = format!("SELECT COUNT(*) {from}");
        let rows = match q.page {
            None => format!("SELECT {} {from} ORDER BY {}", t.cols, t.order),
            Some(page) if !page.total => format!(
                "SELECT {} {from} ORDER BY {} LIMIT ${} OFFSET ${}",
                t.cols,
                t.order,
                binds.len() + 2,
                binds.len() + 3
            ),
            Some(_) => format!(
                "SELECT {}, COUNT(*) OVER () AS list_total {from} ORDER BY {} LIMIT ${} OFFSET ${}",
                t.cols,
                t.order,
                binds.len() + 2,
                binds.len() + 3
            ),
        };
        Ok(ListStatement { rows, count, binds })
    }
}

fn list_param(binds: &mut Vec<Scalar>, value: Scalar) -> String {
    binds.push(value);
    format!("${}", binds.len() + 1)
}

/// Writes a WHERE condition; every value becomes a bound parameter.
struct ListSql<'a> {
    table: &'a ListTable,
    merchant_id: &'a MerchantId,
    out: &'a mut String,
    binds: &'a mut Vec<Scalar>,
}

impl ListSql<'_> {
    fn param(&mut self, value: Scalar) -> String {
        list_param(self.binds, value)
    }

    fn condition(&mut self, filter: &Filter) -> Result<()> {
        match filter {
            Filter::And(items) | Filter::Or(items) => {
                let and = matches!(filter, Filter::And(_));
                if items.is_empty() {
                    self.out.push_str(if and { "1 = 1" } else { "1 = 0" });
                    return Ok(());
                }
                self.out.push('(');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(if and { " AND " } else { " OR " });
                    }
                    self.condition(item)?;
                }
                self.out.push(')');
            }
            Filter::Eq(field, _) | Filter::Prefix(field, _) | Filter::Range(field, ..) => {
                let t = self.table;
                let col = (t.column)(*field).ok_or_else(|| {
                    StoreError::Internal(format!("{} cannot be filtered on {field:?}", t.name))
                })?;
                let expr = match col {
                    ListCol::Plain(expr) => expr,
                    ListCol::Via {
                        outer,
                        select,
                        inner,
                        single,
                    } => {
                        let op = if single && matches!(filter, Filter::Eq(..)) {
                            "="
                        } else {
                            "IN"
                        };
                        self.out.push_str(&format!("{outer} {op} ("));
                        let mut rest = select;
                        while let Some(at) = rest.find("$merchant") {
                            self.out.push_str(&rest[..at]);
                            let p = self.param(Scalar::Text(self.merchant_id.to_string()));
                            self.out.push_str(&p);
                            rest = &rest[at + "$merchant".len()..];
                        }
                        self.out.push_str(rest);
                        self.out.push(' ');
                        inner
                    }
                };
                self.comparison(filter, expr);
                if matches!(col, ListCol::Via { .. }) {
                    self.out.push(')');
                }
            }
        }
        Ok(())
    }

    fn comparison(&mut self, filter: &Filter, expr: &str) {
        match filter {
            Filter::Eq(_, value) => {
                let p = self.param(value.clone());
                self.out.push_str(&format!("{expr} = {p}"));
            }
            Filter::Prefix(_, prefix) => {
                let p = self.param(Scalar::Text(prefix.clone()));
                self.out.push_str(&format!("{expr} >= {p}"));
                if let Some(next) = list_prefix_end(prefix) {
                    let p = self.param(Scalar::Text(next));
                    self.out.push_str(&format!(" AND {expr} < {p}"));
                }
            }
            Filter::Range(_, lo, hi) => {
                self.out.push_str(&format!("{expr} IS NOT NULL"));
                if let Some(lo) = lo {
                    let p = self.param(lo.clone());
                    self.out.push_str(&format!(" AND {expr} >= {p}"));
                }
                if let Some(hi) = hi {
                    let p = self.param(hi.clone());
                    self.out.push_str(&format!(" AND {expr} <= {p}"));
                }
            }
            Filter::And(_) | Filter::Or(_) => {}
        }
    }
}

/// The smallest text above every text that starts with `prefix` (byte order): the prefix with its
/// last byte below 0x7F incremented and the rest cut. `None` when there is none (no upper end).
fn list_prefix_end(prefix: &str) -> Option<String> {
    let mut bytes = prefix.as_bytes().to_vec();
    while let Some(&last) = bytes.last() {
        if last < 0x7F {
            *bytes.last_mut().expect("not empty") = last + 1;
            return String::from_utf8(bytes).ok();
        }
        bytes.pop();
    }
    None
}

/// Runs a list query for one table and row type.
macro_rules! list_rows {
    ($self:ident, $table:expr, $merchant_id:expr, $q:expr, $row:ty) => {{
        let statement = ListStatement::new(&$table, $merchant_id, &$q)?;
        let binds = || statement.binds.iter().map(|value| match value {
            Scalar::Text(text) => Arg::Text(text),
            Scalar::Int(n) => Arg::Int(*n),
        });
        let mut query = $self.q(&statement.rows).bind($merchant_id).bind_all(binds());
        if let Some(page) = $q.page {
            let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
            query = query.bind(clamp(page.count)).bind(clamp(page.offset));
        }
        let found = query.fetch_all::<Paged<$row>>()?;
        let mut total = found.len() as u64;
        if let Some(first) = found.first().and_then(|p| p.total) {
            total = u64::try_from(first).unwrap_or(0);
        }
        let rows: Vec<$row> = found.into_iter().map(|p| p.row).collect();
        if $q.page.is_some_and(|p| p.total) && rows.is_empty() {
            // An empty page (past the end, or count 0) carries no total: count separately.
            let n: i64 = $self
                .q(&statement.count)
                .bind($merchant_id)
                .bind_all(binds())
                .scalar()?;
            total = u64::try_from(n).unwrap_or(0);
        }
        Ok(Listed { total, rows })
    }};
}

/// A listed row with the window total a paged query adds to every row.
struct Paged<T> {
    row: T,
    total: Option<i64>,
}

impl<T: FromRecord> FromRecord for Paged<T> {
    fn from_record(mut r: Record) -> Result<Self> {
        let total = if r.names.iter().any(|n| n == "list_total") {
            Some(r.take::<i64>("list_total")?)
        } else {
            None
        };
        Ok(Paged {
            row: T::from_record(r)?,
            total,
        })
    }
}

impl ListTx for SqlTx<'_> {
    fn list_stxs(&mut self, merchant_id: &MerchantId, q: ListQuery<'_>) -> Result<Listed<StxRow>> {
        list_rows!(self, LIST_STXS, merchant_id, q, StxRow)
    }

    fn list_merchantcards(
        &mut self,
        merchant_id: &MerchantId,
        q: ListQuery<'_>,
    ) -> Result<Listed<MerchantcardRow>> {
        list_rows!(self, LIST_MERCHANTCARDS, merchant_id, q, MerchantcardRow)
    }

    fn list_cards(
        &mut self,
        merchant_id: &MerchantId,
        q: ListQuery<'_>,
    ) -> Result<Listed<AssignedCardRow>> {
        list_rows!(self, LIST_CARDS, merchant_id, q, AssignedCardRow)
    }

    fn list_cardgroups(
        &mut self,
        merchant_id: &MerchantId,
        q: ListQuery<'_>,
    ) -> Result<Listed<CardgroupRow>> {
        list_rows!(self, LIST_CARDGROUPS, merchant_id, q, CardgroupRow)
    }

    fn list_customers(
        &mut self,
        merchant_id: &MerchantId,
        q: ListQuery<'_>,
    ) -> Result<Listed<CustomerRow>> {
        list_rows!(self, LIST_CUSTOMERS, merchant_id, q, CustomerRow)
    }

    fn list_ltxs(&mut self, merchant_id: &MerchantId, q: ListQuery<'_>) -> Result<Listed<LtxRow>> {
        list_rows!(self, LIST_LTXS, merchant_id, q, LtxRow)
    }

    fn list_stores(
        &mut self,
        merchant_id: &MerchantId,
        q: ListQuery<'_>,
    ) -> Result<Listed<StoreRow>> {
        list_rows!(self, LIST_STORES, merchant_id, q, StoreRow)
    }

    fn list_devices(
        &mut self,
        merchant_id: &MerchantId,
        q: ListQuery<'_>,
    ) -> Result<Listed<DeviceRow>> {
        list_rows!(self, LIST_DEVICES, merchant_id, q, DeviceRow)
    }
}
