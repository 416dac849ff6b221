//! Sending: single and multi-part, 7-bit and UCS-2, and status reports.

use hw_sim::modem::profile::Profile;

use crate::harness::*;

#[tokio::test]
async fn a_single_seven_bit_message_should_leave_through_a_simulated_modem() {
    bounded(async {
        let m = sim(Profile::generic(), |_| {}).await;
        let dir = tempfile::tempdir().unwrap();
        let gw = Gw::start(&config_text(dir.path(), &[ModemEntry::new("m0", &m, "")])).await;
        gw.all_ready(1).await;
        let id = gw.send("Hello from smsgw").await;
        gw.until_message(&id, "sent", |v| {
            v["status"] == "sent" || v["status"] == "delivered"
        })
        .await;
        assert_eq!(m.control().sent_parts().len(), 1);
        gw.stop().await;
    })
    .await;
}
