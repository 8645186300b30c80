// One unit of work, the same for both backends (`include!`d next to the backend's dialect macros):
// the shared SQL of `sql/*.rs` runs over the backend's driver through `SqlTx::q`.

pub(crate) struct SqlTx<'c> {
    driver: &'c mut dyn Driver,
    cache: &'c Cache,
    /// The cached rows this job wrote, forgotten by the cache after the commit.
    dirty: Dirty,
    /// Changes noted for the outbox, written when the job ends (`Store::write`).
    pending: Vec<NewEvent>,
    /// How many of them were noted before the open savepoint: a rollback to it forgets the rest.
    pending_mark: usize,
    /// Statements this job ran (the relay's are told apart in the metrics).
    statements: u64,
    /// Whether this is a unit of the event relay, whose round trips are told apart likewise
    /// (PostgreSQL's; SQLite makes none).
    relay: bool,
    /// `Some` in a job of the SQLite writer: the job's events, written at the end of its batch
    /// once rendered and packed off the writer's thread ([`EventTx::write_events`]).
    deferred_events: Option<Vec<PendingEvents>>,
}

impl<'c> SqlTx<'c> {
    pub(crate) fn new(driver: &'c mut dyn Driver, cache: &'c Cache) -> Self {
        SqlTx {
            driver,
            cache,
            dirty: Dirty::default(),
            pending: Vec::new(),
            pending_mark: 0,
            statements: 0,
            relay: false,
            deferred_events: None,
        }
    }

    fn q<'s, 'a>(&'s mut self, sql: &'a str) -> Q<'s, 'a> {
        self.statements += 1;
        Q::new(&mut *self.driver, sql)
    }

    /// The row of a cached kind whose key is `$1` of `sql`: the cache's copy, unless this job wrote
    /// the row; else read (and kept).
    fn cached<T: crate::cache::Cached + FromRecord>(
        &mut self,
        sql: &str,
        key: &str,
    ) -> Result<Option<T>> {
        let (cache, dirty) = (self.cache, &self.dirty);
        cache.through(dirty, key, || Q::new(&mut *self.driver, sql).bind(key).fetch_optional())
    }
}

impl Tx for SqlTx<'_> {
    fn statements_run(&self) -> u64 {
        self.statements
    }

    fn count_as_relay(&mut self) {
        self.relay = true;
    }

    fn ping(&mut self) -> Result<()> {
        self.q("SELECT 1").scalar::<i64>().map(drop)
    }

    fn maintenance_off(&mut self) -> Result<bool> {
        self.q(maintenance_off_sql!()).scalar()
    }

    fn savepoint(&mut self) -> Result<()> {
        self.pending_mark = self.pending.len();
        self.driver.batch_later("SAVEPOINT inner_unit")
    }

    fn release_savepoint(&mut self) -> Result<()> {
        self.driver.batch_later("RELEASE SAVEPOINT inner_unit")
    }

    fn rollback_savepoint(&mut self) -> Result<()> {
        self.pending.truncate(self.pending_mark);
        self.driver
            .batch("ROLLBACK TO SAVEPOINT inner_unit; RELEASE SAVEPOINT inner_unit")
    }
}
