#!/usr/bin/env python3
"""Writes the test vectors as raw-byte seeds for the binary fuzz targets.

The vectors are text (hex in JSON for GSM, annotated .hex files for SMPP) because people read
them; libFuzzer wants the octets. Usage: vector_seeds.py TARGET OUT_DIR. Prints the count.
"""
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
HEX = re.compile(r"^[0-9A-Fa-f]+$")


def gsm_pdus():
    """Every PDU of the received and submitted GSM vectors, with its SMSC address and without it (the TPDU alone)."""
    for name in ("received.json", "submit.json"):
        for case in json.loads((ROOT / "tests/vectors/gsm" / name).read_text()):
            for key in ("pdu", "pdus"):
                value = case.get(key)
                for pdu in [value] if isinstance(value, str) else value or []:
                    if not HEX.match(pdu) or len(pdu) % 2:
                        continue
                    octets = bytes.fromhex(pdu)
                    yield octets
                    smsc_len = octets[0]
                    if 1 + smsc_len < len(octets):
                        yield octets[1 + smsc_len:]


def smpp_frames():
    """Every SMPP vector's octets, and all of them back to back (the stream case)."""
    frames = []
    for path in sorted((ROOT / "tests/vectors/smpp").glob("*.hex")):
        lines = [l for l in path.read_text().splitlines() if not l.lstrip().startswith("#")]
        digits = re.sub(r"\s+", "", "".join(lines))
        if HEX.match(digits) and len(digits) % 2 == 0:
            frames.append(bytes.fromhex(digits))
    yield from frames
    yield b"".join(frames)


def main():
    target, out = sys.argv[1], pathlib.Path(sys.argv[2])
    source = {"gsm_tpdu": gsm_pdus, "smpp_pdu": smpp_frames}.get(target)
    if source is None:
        print(0)
        return
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for octets in source():
        (out / f"vector-{n:03}").write_bytes(octets)
        n += 1
    print(n)


if __name__ == "__main__":
    main()
