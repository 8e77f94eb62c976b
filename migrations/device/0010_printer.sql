-- Fairtill device database, version 10: this till's receipt printer (issue 14). Empty address:
-- no printer (the window's print is used). The seller's name, address and tax id head every
-- printed receipt.
CREATE TABLE printer_settings (
    singleton      INTEGER PRIMARY KEY CHECK (singleton = 1),
    address        TEXT NOT NULL DEFAULT '',
    paper          TEXT NOT NULL DEFAULT 'mm80' CHECK (paper IN ('mm58', 'mm80')),
    code           TEXT NOT NULL DEFAULT 'qr' CHECK (code IN ('qr', 'barcode', 'none')),
    auto_print     INTEGER NOT NULL DEFAULT 0 CHECK (auto_print IN (0, 1)),
    seller_name    TEXT NOT NULL DEFAULT '',
    seller_address TEXT NOT NULL DEFAULT '',
    tax_id         TEXT NOT NULL DEFAULT ''
) STRICT;
INSERT INTO printer_settings (singleton) VALUES (1);
