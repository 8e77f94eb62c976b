//! An export opened in a spreadsheet as it is: LibreOffice (headless, `soffice --convert-to`)
//! reads the file `fairtill export` wrote, and the cells it made are read back from its flat
//! OpenDocument file.
//!
//! LibreOffice is given the options its Text Import dialog starts with on a UTF-8 desktop
//! (comma, double quote, UTF-8): headless with no options at all, LibreOffice 7.4 reads every
//! CSV file as Latin-1, with or without a byte-order mark, which no desktop user meets. The
//! mark is what Excel needs to read UTF-8 (without it Excel uses the local ANSI code page);
//! Excel cannot run here, so this test shows that the mark costs LibreOffice nothing (it is
//! not read as part of the first column's name) and that the columns sum.
//!
//! Needs `soffice` (Debian's libreoffice-calc-nogui; `scripts/setup-system.sh test` installs it).
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::Path;
use std::process::Command;

fn fairtill(db: &Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_fairtill"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A cell as LibreOffice made it: its text, and its value when it took it as a number.
type Cell = (String, Option<String>);

/// The cells of the first sheet LibreOffice made of `csv`, row by row.
fn opened_in_libreoffice(csv: &Path, work: &Path) -> Vec<Vec<Cell>> {
    let out = Command::new("soffice")
        // Comma, double quote, UTF-8 (76), from line 1.
        .args(["--headless", "--infilter=CSV:44,34,76,1", "--convert-to", "fods", "--outdir"])
        .arg(work)
        .arg(csv)
        // A profile of its own, so a running LibreOffice or another test cannot interfere.
        .arg(format!("-env:UserInstallation=file://{}/profile", work.display()))
        .output()
        .expect("soffice must be installed (scripts/setup-system.sh test installs libreoffice-calc-nogui)");
    assert!(
        out.status.success(),
        "soffice: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stem = csv.file_stem().unwrap().to_str().unwrap();
    let xml = std::fs::read_to_string(work.join(format!("{stem}.fods"))).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let table = "urn:oasis:names:tc:opendocument:xmlns:table:1.0";
    let office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";
    let text_ns = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";
    let sheet = doc
        .descendants()
        .find(|n| n.has_tag_name((table, "table")))
        .unwrap();
    sheet
        .descendants()
        .filter(|n| n.has_tag_name((table, "table-row")))
        .map(|row| {
            row.children()
                .filter(|c| c.has_tag_name((table, "table-cell")))
                .flat_map(|cell| {
                    let text: String = cell
                        .descendants()
                        .filter(|n| n.has_tag_name((text_ns, "p")))
                        .flat_map(|p| p.descendants().filter(|n| n.is_text()))
                        .filter_map(|n| n.text())
                        .collect();
                    let number =
                        (cell.attribute((office, "value-type")) == Some("float")).then(|| {
                            cell.attribute((office, "value"))
                                .unwrap_or_default()
                                .to_string()
                        });
                    // Runs of like cells (the empty ones) are written once, with a count.
                    let repeated = cell
                        .attribute((table, "number-columns-repeated"))
                        .map_or(1, |n| n.parse().unwrap());
                    std::iter::repeat_n((text, number), repeated)
                })
                .collect()
        })
        .filter(|r: &Vec<Cell>| r.iter().any(|(t, _)| !t.is_empty()))
        .collect()
}

#[test]
fn an_export_opens_in_libreoffice_with_every_character_and_amounts_that_sum() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("till.db");
    for (name, item) in [
        ("Jürgen Müller", "Poster:12.50:2"),
        ("Zoë Ørsted", "Print:1234.05"),
    ] {
        fairtill(
            &db,
            &[
                "record",
                "--item",
                item,
                "--currency",
                "EUR",
                "--customer-name",
                name,
            ],
        );
    }
    let csv = dir.path().join("export.csv");
    fairtill(&db, &["export", "--out", csv.to_str().unwrap()]);
    assert!(std::fs::read(&csv).unwrap().starts_with(b"\xEF\xBB\xBF"));

    let rows = opened_in_libreoffice(&csv, dir.path());
    let header: Vec<&str> = rows[0].iter().map(|(t, _)| t.as_str()).collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    assert_eq!(
        header[0], "id",
        "the mark is not read as part of the first name"
    );
    let (amount, currency, customer) = (
        column("amount"),
        column("currency"),
        column("customer_name"),
    );
    let sales = &rows[1..];
    assert_eq!(sales.len(), 2);
    let names: Vec<&str> = sales.iter().map(|r| r[customer].0.as_str()).collect();
    assert_eq!(names, ["Jürgen Müller", "Zoë Ørsted"]);
    let amounts: Vec<Option<&str>> = sales.iter().map(|r| r[amount].1.as_deref()).collect();
    assert_eq!(
        amounts,
        [Some("25"), Some("1234.05")],
        "amounts are numbers LibreOffice can sum"
    );
    assert!(
        sales.iter().all(|r| r[currency].0 == "EUR"),
        "the currency beside them"
    );
}
