//! Scenario files: a TOML file that overrides any count or rate of the simulated world.
//!
//! ```toml
//! seed = 3
//! customers = 5000
//! days = 60
//! refund_gangs = 8          # every field of clawback_synth::Config
//! [rates]
//! return_share = 0.15       # every field of clawback_synth::Rates
//! ```
//! Fields left out keep the simulator's defaults; an unknown field is an error naming its
//! line, so a typo never silently falls back to a default.

use anyhow::{Context, Result, bail};
use clawback_synth::Config;
use std::path::Path;

/// The world to simulate: the size and seed (from the file when it sets them, else from the
/// command line) with staff, sellers and schemes scaled to that size, then whatever else the
/// scenario file sets.
pub fn load(path: Option<&Path>, seed: u64, customers: u32, days: u32) -> Result<Config> {
    let sized = |seed, customers, days| {
        Config {
            seed,
            ..Config::default()
        }
        .sized(customers, days)
        .with_schemes()
    };
    let Some(path) = path else {
        return Ok(sized(seed, customers, days));
    };
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the scenario file {} (check the path)",
            path.display()
        )
    })?;
    let overrides: toml::Table = match toml::from_str(&text) {
        Ok(t) => t,
        Err(e) => bail!("{}: {e}", path.display()),
    };
    // A bad value here is reported by the typed parse below, with its line.
    let int = |k: &str| overrides.get(k).and_then(toml::Value::as_integer);
    let base = sized(
        int("seed")
            .and_then(|v| u64::try_from(v).ok())
            .unwrap_or(seed),
        int("customers")
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(customers),
        int("days")
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(days),
    );
    // Start from that world, so the file only needs what it changes.
    let mut table: toml::Table =
        toml::from_str(&toml::to_string(&base).context("encoding the default scenario")?)
            .context("encoding the default scenario")?;
    merge(&mut table, overrides);
    let merged = toml::to_string(&table).context("re-encoding the scenario")?;
    match toml::from_str::<Config>(&merged) {
        Ok(cfg) => Ok(cfg),
        // Unknown fields and wrong types are reported against the user's file, so parse it
        // alone once more for a message with its own line numbers.
        Err(e) => match toml::from_str::<Config>(&text) {
            Err(own) => bail!("{}: {own}", path.display()),
            Ok(_) => bail!("{}: {e}", path.display()),
        },
    }
}

/// Overlays `over` on `base`, table by table.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    #[test]
    fn a_scenario_overrides_only_what_it_names() {
        let f = write("refund_gangs = 9\n[rates]\n");
        let cfg = load(Some(f.path()), 5, 2000, 30).unwrap();
        assert_eq!(cfg.refund_gangs, 9);
        assert_eq!(cfg.seed, 5);
        assert_eq!(cfg.customers, 2000);
        let plain = load(None, 5, 2000, 30).unwrap();
        assert_eq!(cfg.rates, plain.rates);
        assert_eq!(cfg.ban_evasion, plain.ban_evasion);
    }

    #[test]
    fn a_scenario_that_resizes_the_world_rescales_its_staff() {
        let f = write("customers = 10000\n");
        let cfg = load(Some(f.path()), 5, 2000, 30).unwrap();
        assert_eq!(cfg.customers, 10_000);
        assert_eq!(cfg.employees, 200);
        assert!(cfg.refund_gangs > load(None, 5, 2000, 30).unwrap().refund_gangs);
    }

    #[test]
    fn typos_and_wrong_types_are_errors_that_name_the_file_and_line() {
        let f = write("customers = 100\nrefund_gangz = 3\n");
        let err = format!("{:#}", load(Some(f.path()), 1, 2000, 30).unwrap_err());
        assert!(
            err.contains("refund_gangz") && err.contains("line 2"),
            "{err}"
        );
        let f = write("days = \"ninety\"\n");
        let err = format!("{:#}", load(Some(f.path()), 1, 2000, 30).unwrap_err());
        assert!(err.contains("days") && err.contains("line 1"), "{err}");
        let err = format!(
            "{:#}",
            load(Some(Path::new("/nonexistent.toml")), 1, 2000, 30).unwrap_err()
        );
        assert!(err.contains("cannot read the scenario file"), "{err}");
    }
}
