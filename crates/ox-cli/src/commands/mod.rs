//! One module per subcommand.

pub mod build;
pub mod check;
pub mod derive;
pub mod explain;
pub mod inspect;
pub mod mutate;
pub mod new;
pub mod query;
pub mod run_scenario;
pub mod serve;
pub mod store;
pub mod test;
