// A small SMSC on node-smpp (npm `smpp` 0.5.1) for smsgw's tests and benches.
//
//   NODE_PATH=target/node-smpp/node_modules node tests/peers/node_smsc.js
//
// Listens on 127.0.0.1 (an ephemeral port unless SMSC_PORT is set) and prints one JSON line
// per event on stdout: {"event":"listening","port":N} first. Any bind is accepted.
// Environment:
//   SMSC_THROTTLE=0.01     answer this fraction of submit_sm with ESME_RTHROTTLED (0x58),
//                          spread evenly (deterministic: the n-th submit is throttled when
//                          floor(n*f) steps up)
//   SMSC_LOG_SUBMITS=1     print each submit_sm's fields as node-smpp decoded them
//   SMSC_LOG_SUBMITS=brief print {"event":"bind"} per bind and, per accepted submit_sm only,
//                          {"event":"s","to":destination_addr,"ms":epoch ms} (cheap enough
//                          for benches/vs_kannel.rs to time every part at full rate)
//   SMSC_RECEIPTS=STAT     send a receipt (deliver_sm, esm_class 0x04) with this stat at once
//                          after each accepted submit that asked for one (DELIVRD, UNDELIV…)
// Lines on stdin change it while it runs:
//   throttle F             set the throttled fraction (1 throttles everything)
//   stats                  print {"event":"stats","submits":…,"accepted":…,"throttled":…,
//                          "receipts":…} (receipts: deliver_sm sent)
"use strict";
const smpp = require("smpp");
const readline = require("readline");

let fraction = Number(process.env.SMSC_THROTTLE || 0);
const logSubmits = process.env.SMSC_LOG_SUBMITS === "1";
const logBrief = process.env.SMSC_LOG_SUBMITS === "brief";
const receiptStat = process.env.SMSC_RECEIPTS || "";
let submits = 0, accepted = 0, throttled = 0, receipts = 0, seen = 0, nextId = 1;

function out(obj) { process.stdout.write(JSON.stringify(obj) + "\n"); }

function throttles() {
  const n = seen++;
  if (fraction >= 1) return true;
  if (fraction <= 0) return false;
  return Math.floor((n + 1) * fraction) > Math.floor(n * fraction);
}

function stamp(d) {
  const p = (v) => String(v).padStart(2, "0");
  return p(d.getUTCFullYear() % 100) + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) +
    p(d.getUTCHours()) + p(d.getUTCMinutes());
}

const server = smpp.createServer(function (session) {
  const bind = (pdu) => {
    session.send(pdu.response({ system_id: "node-smsc" }));
    if (logBrief) out({ event: "bind" });
  };
  session.on("bind_transceiver", bind);
  session.on("bind_transmitter", bind);
  session.on("bind_receiver", bind);
  session.on("enquire_link", (pdu) => session.send(pdu.response()));
  session.on("unbind", (pdu) => { session.send(pdu.response()); session.close(); });
  session.on("deliver_sm_resp", () => {});
  session.on("error", () => {});
  session.on("submit_sm", function (pdu) {
    submits++;
    if (logSubmits) {
      const v = pdu.validity_period;
      out({
        event: "submit_sm",
        destination_addr: pdu.destination_addr,
        priority_flag: pdu.priority_flag,
        registered_delivery: pdu.registered_delivery,
        validity_period: v instanceof Date ? v.toISOString() : (v || ""),
        received_at: new Date().toISOString(),
      });
    }
    if (throttles()) {
      throttled++;
      session.send(pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
      return;
    }
    accepted++;
    const id = (nextId++).toString(16);
    session.send(pdu.response({ message_id: id }));
    if (logBrief) out({ event: "s", to: pdu.destination_addr, ms: Date.now() });
    if (receiptStat && (pdu.registered_delivery & 3) !== 0) {
      const now = stamp(new Date());
      const err = receiptStat === "DELIVRD" ? "000" : "012";
      receipts++;
      session.deliver_sm({
        source_addr: pdu.destination_addr,
        destination_addr: pdu.source_addr,
        esm_class: 0x04,
        short_message: `id:${id} sub:001 dlvrd:${receiptStat === "DELIVRD" ? "001" : "000"} ` +
          `submit date:${now} done date:${now} stat:${receiptStat} err:${err} text:`,
      });
    }
  });
});

server.on("error", (e) => { out({ event: "error", message: String(e) }); process.exit(1); });
server.listen(Number(process.env.SMSC_PORT || 0), "127.0.0.1", function () {
  out({ event: "listening", port: server.address().port });
});

readline.createInterface({ input: process.stdin }).on("line", function (line) {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === "throttle") {
    fraction = Number(arg);
    seen = 0;
    out({ event: "throttle", fraction });
  } else if (cmd === "stats") {
    out({ event: "stats", submits, accepted, throttled, receipts });
  }
}).on("close", () => process.exit(0));
