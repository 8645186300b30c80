// One unit of work, the same for both backends (`include!`d next to the backend's `Conn`, which has
// `Read`, `Write` and `Gone` variants and an async `finish` that commits it).

pub struct SqlTx {
    tx: Conn,
    /// The deferral scope this write unit was opened in (see `deferral.rs`). Weak: the deferral
    /// owns the unit while it is parked, and a request dropped midway (client gone) must drop both.
    home: Option<Weak<Deferral>>,
}

impl SqlTx {
    fn read_only(tx: Conn) -> Box<dyn Tx> {
        Box::new(SqlTx { tx, home: None })
    }

    fn writing(tx: Conn) -> Box<dyn Tx> {
        Box::new(SqlTx {
            tx,
            home: Deferral::active().map(|d| Arc::downgrade(&d)),
        })
    }
}

#[async_trait]
impl Tx for SqlTx {
    async fn commit(mut self: Box<Self>) -> Result<()> {
        if let Some(home) = self.home.as_ref().and_then(Weak::upgrade)
            && home.is_open()
        {
            home.park(self);
            return Ok(());
        }
        std::mem::replace(&mut self.tx, Conn::Gone).finish().await
    }
}

impl Drop for SqlTx {
    /// A lent unit dropped without commit goes back to its deferral; any other unit rolls back (the
    /// connection's own drop does that), also a parked one whose deferral is being dropped.
    fn drop(&mut self) {
        if let Some(home) = self.home.take().and_then(|w| w.upgrade())
            && home.takes_back()
        {
            let tx = std::mem::replace(&mut self.tx, Conn::Gone);
            home.put_back(Box::new(SqlTx {
                tx,
                home: Some(Arc::downgrade(&home)),
            }));
        }
    }
}

fn gone() -> StoreError {
    StoreError::Internal("the unit of work has already ended".into())
}
