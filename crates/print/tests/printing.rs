//! Receipts on a printer: the bytes for each paper width and code against golden files, and the
//! receipt sent to a real TCP listener acting as the printer (on line, out of paper, cover open,
//! switched off, without status) and to a USB printer's device file.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use fairtill_core::receipt::{Entry, Line, Paper, Receipt, ReceiptCode, Seller};
use fairtill_print::{render, send, AtTheTill, Layout, PrintError, Target};
use fairtill_testkit::{PrinterState, TestPrinter};

fn receipt() -> Receipt {
    Receipt {
        seller: Seller {
            name: "Müller Crafts".into(),
            address: vec![
                "Hall 3, Stand 12".into(),
                "Messeplatz 1, 60327 Frankfurt".into(),
            ],
            tax_id: Some("DE123456789".into()),
        },
        number: "T1-000042".into(),
        date: "2026-12-03 10:15".into(),
        customer_name: Some("Zoë Adams".into()),
        lines: vec![
            Line {
                name: "Tote bag".into(),
                quantity: 2,
                unit_price: "12.50 EUR".into(),
                discount: None,
                amount: "25.00 EUR".into(),
            },
            Line {
                name: "Hand-bound notebook with a very long name".into(),
                quantity: 1,
                unit_price: "18.00 EUR".into(),
                discount: Some("1.80 EUR".into()),
                amount: "16.20 EUR".into(),
            },
        ],
        subtotal: "43.00 EUR".into(),
        discount: Some("1.80 EUR".into()),
        tax_label: "Tax included".into(),
        tax: "6.58 EUR".into(),
        total: "41.20 EUR".into(),
        payments: vec![Entry {
            method: "Cash".into(),
            amount: "41.20 EUR".into(),
            note: None,
        }],
        refunds: vec![],
        balance_due: None,
        status: "paid".into(),
    }
}

fn at_the_till() -> AtTheTill {
    AtTheTill {
        staff: Some("Sam".into()),
        tendered: Some("50.00 EUR".into()),
        change: Some("8.80 EUR".into()),
    }
}

/// Compares `bytes` with the golden file `name`, or writes it with `FAIRTILL_BLESS=1`.
fn golden(name: &str, bytes: &[u8]) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("FAIRTILL_BLESS").is_some() {
        std::fs::write(&path, bytes).unwrap();
    }
    let want = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (FAIRTILL_BLESS=1 writes it)", path.display()));
    assert!(bytes == want, "{name} differs from its golden file; after checking the change, FAIRTILL_BLESS=1 rewrites it");
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn an_80_mm_receipt_with_a_qr_code_is_the_golden_bytes() {
    let layout = Layout {
        paper: Paper::Mm80,
        code: ReceiptCode::Qr,
    };
    let bytes = render(&receipt(), &at_the_till(), &layout).unwrap();
    golden("receipt-80mm-qr.bin", &bytes);
    // Initialised, Windows-1252 chosen, "ü" and "ë" in it, a QR code holding the number, a cut.
    assert!(bytes.starts_with(&[0x1b, 0x40]));
    assert!(
        contains(&bytes, &[0x1b, 0x74, 16]),
        "code page Windows-1252"
    );
    assert!(contains(&bytes, b"M\xfcller Crafts"));
    assert!(contains(&bytes, b"Zo\xeb Adams"));
    assert!(contains(&bytes, &[0x1d, 0x28, 0x6b]), "a QR code");
    assert!(contains(&bytes, b"T1-000042"));
    assert!(
        contains(&bytes, &[0x1d, 0x56, 0x41, 0x01]),
        "a partial cut after a feed"
    );
    // 48 columns: the total's line is exactly the paper's width.
    let total = format!("TOTAL{}41.20 EUR", " ".repeat(48 - 5 - 9));
    assert!(contains(&bytes, total.as_bytes()));
    assert!(contains(
        &bytes,
        format!("Change{}8.80 EUR", " ".repeat(48 - 6 - 8)).as_bytes()
    ));
}

#[test]
fn a_58_mm_receipt_with_a_barcode_is_the_golden_bytes() {
    let layout = Layout {
        paper: Paper::Mm58,
        code: ReceiptCode::Barcode,
    };
    let bytes = render(&receipt(), &at_the_till(), &layout).unwrap();
    golden("receipt-58mm-barcode.bin", &bytes);
    assert!(contains(&bytes, &[0x1d, 0x6b, 4]), "a CODE39 barcode");
    assert!(!contains(&bytes, &[0x1d, 0x28, 0x6b]), "no QR code");
    let total = format!("TOTAL{}41.20 EUR", " ".repeat(32 - 5 - 9));
    assert!(contains(&bytes, total.as_bytes()));
    // The long name wraps above its amount, within 32 columns.
    assert!(contains(
        &bytes,
        b"1 x Hand-bound notebook with a\x1bd\x01very long name\x1bd\x01"
    ));
    assert!(contains(&bytes, b"  12.50 EUR each"));
}

#[test]
fn a_receipt_without_a_code_has_neither() {
    let layout = Layout {
        paper: Paper::Mm80,
        code: ReceiptCode::None,
    };
    let bytes = render(&receipt(), &AtTheTill::default(), &layout).unwrap();
    assert!(!contains(&bytes, &[0x1d, 0x28, 0x6b]) && !contains(&bytes, &[0x1d, 0x6b, 4]));
    assert!(!contains(&bytes, b"Change"));
}

fn target(printer_address: &str) -> Target {
    Target::parse(printer_address).unwrap()
}

#[test]
fn a_printer_on_the_network_gets_the_receipt_after_saying_it_is_ready() {
    let printer = TestPrinter::start(PrinterState::Ready);
    let bytes = render(&receipt(), &at_the_till(), &Layout::default()).unwrap();
    send(&target(&printer.address()), &bytes).unwrap();
    let jobs = printer.wait_for_jobs(1, Duration::from_secs(5));
    assert_eq!(jobs, vec![bytes]);
}

#[test]
fn a_printer_that_does_not_answer_its_status_still_prints() {
    let printer = TestPrinter::start(PrinterState::Silent);
    let bytes = render(&receipt(), &at_the_till(), &Layout::default()).unwrap();
    send(&target(&printer.address()), &bytes).unwrap();
    assert_eq!(
        printer.wait_for_jobs(1, Duration::from_secs(5)),
        vec![bytes]
    );
}

#[test]
fn out_of_paper_and_an_open_cover_are_refused_with_what_to_do() {
    let printer = TestPrinter::start(PrinterState::OutOfPaper);
    let bytes = render(&receipt(), &at_the_till(), &Layout::default()).unwrap();
    let e = send(&target(&printer.address()), &bytes).unwrap_err();
    assert!(matches!(e, PrintError::OutOfPaper(_)), "{e:?}");
    assert!(
        e.to_string().contains("out of paper: load a new roll"),
        "{e}"
    );
    printer.set_state(PrinterState::CoverOpen);
    let e = send(&target(&printer.address()), &bytes).unwrap_err();
    assert!(e.to_string().contains("cover open"), "{e}");
    // Paper loaded: the next print goes through, and the refused ones printed nothing.
    printer.set_state(PrinterState::Ready);
    send(&target(&printer.address()), &bytes).unwrap();
    assert_eq!(
        printer.wait_for_jobs(1, Duration::from_secs(5)),
        vec![bytes]
    );
    assert_eq!(printer.connections(), 3);
}

#[test]
fn a_printer_that_is_switched_off_is_named_in_the_error() {
    let address = TestPrinter::switched_off_address();
    let bytes = render(&receipt(), &at_the_till(), &Layout::default()).unwrap();
    let started = std::time::Instant::now();
    let e = send(&target(&address), &bytes).unwrap_err();
    assert!(matches!(e, PrintError::Unreachable { .. }), "{e:?}");
    assert!(
        e.to_string().contains(&address) && e.to_string().contains("switched on"),
        "{e}"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[test]
fn a_usb_printer_device_gets_the_bytes_and_a_missing_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let device: PathBuf = dir.path().join("lp0");
    std::fs::write(&device, b"").unwrap();
    let bytes = render(&receipt(), &at_the_till(), &Layout::default()).unwrap();
    send(&Target::Device(device.clone()), &bytes).unwrap();
    assert_eq!(std::fs::read(&device).unwrap(), bytes);
    let e = send(&Target::Device(dir.path().join("lp1")), &bytes).unwrap_err();
    assert!(e.to_string().contains("plugged in"), "{e}");
}
