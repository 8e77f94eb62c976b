//! `fairtill`: a headless command line over a Fairtill device database, for managers' scripts
//! and support. Exit codes: 0 success, 1 failure, 2 bad input, 3 refused by a ledger rule,
//! 4 the database is damaged or from a newer version.

mod actions;
mod args;
mod output;
mod sync;

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use fairtill_store::{DeviceSetup, StoreError, SystemClock, Till};

use args::{Cli, Cmd, OfferCmd};

fn exit_code(err: &anyhow::Error) -> u8 {
    match err.downcast_ref::<StoreError>() {
        Some(StoreError::Ledger(_)) | Some(StoreError::DuplicateReference { .. }) => 3,
        Some(StoreError::Corrupt { .. }) | Some(StoreError::TooNew { .. }) => 4,
        Some(
            StoreError::Invalid(_)
            | StoreError::Import(_)
            | StoreError::Money(_)
            | StoreError::Order(_)
            | StoreError::Offer(_)
            | StoreError::Product(_)
            | StoreError::NotFound(_),
        ) => 2,
        Some(
            StoreError::Sqlite(_)
            | StoreError::Migration(_)
            | StoreError::Decode(_)
            | StoreError::Io(_)
            | StoreError::Csv(_),
        ) => 1,
        None if err.downcast_ref::<args::InputError>().is_some()
            || err
                .downcast_ref::<fairtill_core::money::MoneyError>()
                .is_some()
            || err
                .downcast_ref::<fairtill_core::order::OrderError>()
                .is_some() =>
        {
            2
        }
        None => 1,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "error: {err}");
            for cause in err.chain().skip(1) {
                let _ = writeln!(stderr, "  because: {cause}");
            }
            ExitCode::from(exit_code(&err))
        }
    }
}

fn open(db: &std::path::Path, cli: &Cli) -> anyhow::Result<Till> {
    let setup = DeviceSetup {
        code: cli.device_code.clone(),
        name: cli.device_name.clone(),
    };
    Ok(Till::open_with(db, &setup, Box::new(SystemClock))?)
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let db = cli.db.clone();
    let json = cli.json;
    let mut out = std::io::stdout().lock();
    match &cli.command {
        Cmd::Record(r) => {
            let mut till = open(&db, &cli)?;
            let (draft, tender) = r.to_sale()?;
            let sale = till.record_sale(&r.actor(), draft, tender)?;
            output::recorded(&mut out, &sale, json)?;
        }
        Cmd::List(l) => {
            let till = open(&db, &cli)?;
            let page = till.list(&l.filter.to_filter()?, l.after.as_deref(), l.limit)?;
            output::page(&mut out, &page, json)?;
        }
        Cmd::Summary(s) => {
            let till = open(&db, &cli)?;
            let summary = till.summary(&s.filter.to_filter()?)?;
            output::summary(&mut out, &summary, json)?;
        }
        Cmd::Sync(cmd) => {
            let till = open(&db, &cli)?;
            let outcome = sync::run(till, cmd)?;
            output::synced(&mut out, &outcome, json)?;
        }
        Cmd::Act(a) => {
            let mut till = open(&db, &cli)?;
            let view = actions::run(&mut till, a)?;
            output::order(&mut out, &view, json)?;
        }
        Cmd::Show(s) => {
            let till = open(&db, &cli)?;
            let view = args::resolve_order(&till, &s.id)?;
            output::order(&mut out, &view, json)?;
        }
        Cmd::Export(e) => {
            let till = open(&db, &cli)?;
            let filter = e.filter.to_filter()?;
            let made_for = fairtill_core::csv_text::ExportFor::plain(e.plain);
            let count = match &e.out {
                Some(path) => {
                    let file = std::fs::File::create_new(path).with_context(|| {
                        format!("cannot create {} (it must not exist yet)", path.display())
                    })?;
                    till.export_csv(&filter, made_for, std::io::BufWriter::new(file))?
                }
                None => till.export_csv(&filter, made_for, &mut out)?,
            };
            if e.out.is_some() {
                output::message(
                    &mut out,
                    json,
                    &format!("exported {count} transactions"),
                    serde_json::json!({ "exported": count }),
                )?;
            }
        }
        Cmd::Import(i) => {
            let mut till = open(&db, &cli)?;
            let file = std::fs::File::open(&i.file)
                .with_context(|| format!("cannot read {}", i.file.display()))?;
            let report = till.import_csv(std::io::BufReader::new(file))?;
            output::message(
                &mut out,
                json,
                &format!("imported {} sales", report.imported),
                serde_json::to_value(&report)?,
            )?;
        }
        Cmd::Offers(cmd) => {
            let mut till = open(&db, &cli)?;
            match cmd {
                OfferCmd::List { all } => output::offers(&mut out, &till.offers(*all)?, json)?,
                OfferCmd::Save(s) => {
                    let (name, currency, lines) = s.to_offer()?;
                    let offer = till.save_offer(&name, currency, lines)?;
                    output::message(
                        &mut out,
                        json,
                        &format!("saved offer {} ({})", offer.name(), offer.id()),
                        serde_json::to_value(&offer)?,
                    )?;
                }
                OfferCmd::Retire { id, staff } => {
                    let id = id
                        .parse()
                        .map_err(|_| args::InputError(format!("{id:?} is not an offer id")))?;
                    till.retire_offer(
                        &fairtill_store::Actor {
                            staff: staff.clone(),
                            event_id: None,
                        },
                        id,
                    )?;
                    output::message(
                        &mut out,
                        json,
                        "offer retired",
                        serde_json::json!({ "retired": id }),
                    )?;
                }
            }
        }
        Cmd::Backup(b) => {
            let till = open(&db, &cli)?;
            let path = match (&b.out, &b.dir) {
                (Some(path), None) => {
                    till.backup_to(path)?;
                    path.clone()
                }
                (None, Some(dir)) => till.rolling_backup(dir, b.keep)?,
                _ => {
                    return Err(
                        args::InputError("give either --out FILE or --dir DIR".into()).into(),
                    )
                }
            };
            output::message(
                &mut out,
                json,
                &format!("backed up to {}", path.display()),
                serde_json::json!({ "backup": path }),
            )?;
        }
        Cmd::Restore(r) => {
            let kept = fairtill_store::restore(&r.from, &db)?;
            let text = match &kept {
                Some(k) => format!(
                    "restored {} into {}; the previous database was kept at {}",
                    r.from.display(),
                    db.display(),
                    k.display()
                ),
                None => format!("restored {} into {}", r.from.display(), db.display()),
            };
            output::message(
                &mut out,
                json,
                &text,
                serde_json::json!({ "restored": r.from, "previous_kept_at": kept }),
            )?;
        }
        Cmd::Check => {
            let till = open(&db, &cli)?;
            let problems = till.check()?;
            let outbox = till.outbox()?;
            output::check(&mut out, &problems, &outbox, json)?;
            if !problems.is_empty() {
                anyhow::bail!("the database has {} integrity problem(s)", problems.len());
            }
        }
    }
    Ok(())
}
