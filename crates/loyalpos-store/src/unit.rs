// One unit of work, the same for both backends (`include!`d next to the backend's dialect macros):
// the shared SQL of `sql/*.rs` runs over the backend's driver through `SqlTx::q`.

pub(crate) struct SqlTx<'c> {
    driver: &'c mut dyn Driver,
    cache: &'c Cache,
    /// The cached rows this job wrote, forgotten by the cache after the commit.
    dirty: Dirty,
}

impl<'c> SqlTx<'c> {
    pub(crate) fn new(driver: &'c mut dyn Driver, cache: &'c Cache) -> Self {
        SqlTx {
            driver,
            cache,
            dirty: Dirty::default(),
        }
    }

    pub(crate) fn into_dirty(self) -> Dirty {
        self.dirty
    }

    fn q<'s, 'a>(&'s mut self, sql: &'a str) -> Q<'s, 'a> {
        Q::new(&mut *self.driver, sql)
    }
}

impl Tx for SqlTx<'_> {
    fn ping(&mut self) -> Result<()> {
        self.q("SELECT 1").scalar::<i64>().map(drop)
    }

    fn savepoint(&mut self) -> Result<()> {
        self.driver.batch("SAVEPOINT inner_unit")
    }

    fn release_savepoint(&mut self) -> Result<()> {
        self.driver.batch("RELEASE SAVEPOINT inner_unit")
    }

    fn rollback_savepoint(&mut self) -> Result<()> {
        self.driver
            .batch("ROLLBACK TO SAVEPOINT inner_unit; RELEASE SAVEPOINT inner_unit")
    }
}
