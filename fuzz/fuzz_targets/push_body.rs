//! The push body as the server reads it: any bytes are a batch or a refusal; every record that
//! validates goes back to the same JSON it came from (what is stored is what was sent).
#![no_main]

use fairtill_protocol::{PushRequest, Record};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(request) = serde_json::from_slice::<PushRequest>(data) else {
        return;
    };
    for record in request.records {
        if record.validate().is_ok() {
            let _ = record.key();
            let text = serde_json::to_string(&record).expect("a record serializes");
            let again: Record = serde_json::from_str(&text).expect("a record reads back");
            assert_eq!(again, record);
        }
    }
});
