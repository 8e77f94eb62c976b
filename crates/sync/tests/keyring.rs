//! The token lives in the real OS keyring (Secret Service). Run by `scripts/test.sh` inside a
//! D-Bus session with gnome-keyring unlocked; without one this test fails, as it should.
#![allow(clippy::unwrap_used, missing_docs)]

use fairtill_core::ids::DeviceId;
use fairtill_sync::Credential;
use uuid::Uuid;

#[test]
fn the_token_is_kept_in_the_secret_service_and_can_be_forgotten() {
    let device = DeviceId(Uuid::now_v7());
    let server = "http://127.0.0.1:7780/";
    Credential::new(server, device)
        .unwrap()
        .save("token-1")
        .unwrap();
    // A new entry object reads it back: keyring's in-memory mock would not (it keeps a secret
    // per entry object), so this passes only against a real credential store.
    let again = Credential::new("http://127.0.0.1:7780", device).unwrap();
    assert_eq!(again.load().unwrap().as_deref(), Some("token-1"));
    again.save("token-2").unwrap();
    assert_eq!(
        Credential::new(server, device)
            .unwrap()
            .load()
            .unwrap()
            .as_deref(),
        Some("token-2")
    );
    let other_device = Credential::new(server, DeviceId(Uuid::now_v7())).unwrap();
    assert_eq!(other_device.load().unwrap(), None);
    again.forget().unwrap();
    assert_eq!(
        Credential::new(server, device).unwrap().load().unwrap(),
        None
    );
    again.forget().unwrap();
}
