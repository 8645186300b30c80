//! Builders shared by the unit tests: the docs' basket and the demo tenant's card groups
//! (demo-tenant.md), so every test reads like the example it checks. Each builder lives next to the
//! type it builds, whose own tests use it from there.

pub use crate::basket::fixtures::*;
pub use crate::plan::fixtures::*;
pub use crate::program::fixtures::*;
