"""python-gsmmodem (PyPI python-gsmmodem-new) as a third-party peer of hw-sim's modems.

Usage: gsmmodem_peer.py PORT RECIPIENT TEXT

Connects with the library's own start-up sequence, then prints one JSON object per line on
stdout, in this order, for the Rust test (hw-sim/tests/gsmmodem.rs) to check:
  {"event": "connected", "manufacturer", "imei", "imsi"}
  {"event": "stored", "messages": [{"from", "text"}...]}   every message on the SIM
  {"event": "sent", "reference"}                            after sendSms returned
  {"event": "report", "reference", "delivered"}             its status report (+CDSI)
  {"event": "received", "from", "text"}                     the first +CMTI-announced one
The test injects the message after "report": the library handles each notification on a
thread of its own, and two at once interleave their AT commands.
Exits 3 when no report or message comes within 30 s; other failures raise (exit 1).
"""

import json
import logging
import os
import sys
import threading

from gsmmodem.modem import GsmModem


def emit(obj):
    print(json.dumps(obj), flush=True)


def main():
    port, recipient, text = sys.argv[1:4]
    # GSMMODEM_DEBUG=1 logs the AT dialogue on stderr (the test passes stderr through).
    debug = bool(os.environ.get("GSMMODEM_DEBUG"))
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(relativeCreated)6d ms %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    received = []
    arrived = threading.Event()
    reports = []
    reported = threading.Event()

    def on_sms(sms):
        received.append(sms)
        arrived.set()

    def on_report(report):
        reports.append(report)
        reported.set()

    def notifications_done():
        # The library deletes a message after its callback, on the notification's own
        # thread; the next step (or closing the port) must wait for that.
        for t in threading.enumerate():
            if "HandleModemNotification" in t.name:
                t.join(15)

    modem = GsmModem(
        port,
        115200,
        smsReceivedCallbackFunc=on_sms,
        smsStatusReportCallback=on_report,
    )
    modem.connect()
    try:
        modem.waitForNetworkCoverage(20)
        emit({
            "event": "connected",
            "manufacturer": modem.manufacturer,
            "imei": modem.imei,
            "imsi": modem.imsi,
        })
        # The library picks "ME" as its storage where the modem has one; what was there
        # before it connected is on the SIM.
        stored = modem.listStoredSms(memory="SM")
        emit({
            "event": "stored",
            "messages": [{"from": s.number, "text": s.text} for s in stored],
        })
        sent = modem.sendSms(recipient, text)
        emit({"event": "sent", "reference": sent.reference})
        if not reported.wait(30):
            return 3
        notifications_done()
        emit({
            "event": "report",
            "reference": reports[0].reference,
            "delivered": sent.status == sent.DELIVERED,
        })
        if not arrived.wait(30):
            return 3
        sms = received[0]
        notifications_done()
        emit({"event": "received", "from": sms.number, "text": sms.text})
        return 0
    finally:
        modem.close()
        # python-gsmmodem 0.13's waitForNetworkCoverage leaves its timeout Timer running
        # once coverage is found; the interpreter would wait for it before exiting.
        for t in threading.enumerate():
            if isinstance(t, threading.Timer):
                t.cancel()


if __name__ == "__main__":
    sys.exit(main())
