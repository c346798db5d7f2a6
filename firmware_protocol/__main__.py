"""``python -m firmware_protocol``: run the test vectors, decode packets, list the UUIDs."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from firmware_protocol.codec import decode_packet
from firmware_protocol.constants import Uuids
from firmware_protocol.errors import ProtocolError
from firmware_protocol.testvectors import check_file, default_vector_files, packet_fields


def _vectors(files: Sequence[Path]) -> int:
    results = [r for path in files or default_vector_files() for r in check_file(path)]
    for r in results:
        print(f"{'ok  ' if r.ok else 'FAIL'} {r.file}:{r.name}")
        for problem in r.problems:
            print(f"       {problem}")
    failed = sum(not r.ok for r in results)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


def _decode(hex_packets: Sequence[str]) -> int:
    status = 0
    for text in hex_packets:
        try:
            data = bytes.fromhex(text.replace(":", "").replace(" ", ""))
        except ValueError:
            print(json.dumps({"hex": text, "error": "not_hex"}))
            status = 1
            continue
        try:
            print(json.dumps({"hex": data.hex(), **packet_fields(decode_packet(data))}))
        except ProtocolError as exc:
            print(json.dumps({"hex": data.hex(), "error": exc.kind, "detail": str(exc)}))
            status = 1
    return status


def _uuids() -> int:
    for name in sorted(vars(Uuids)):
        if name.isupper():
            print(f"{name:28} {getattr(Uuids, name)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m firmware_protocol",
        description="The posture sensor's BLE protocol: test vectors and a packet decoder.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    vec = sub.add_parser("vectors", help="run the test vectors through decoder and encoder")
    vec.add_argument("files", nargs="*", type=Path, help="vector files (default: the shipped)")
    dec = sub.add_parser("decode", help="decode hex packets, one JSON line each")
    dec.add_argument("hex", nargs="+", help="packet bytes as hex ('11 00 ...' or '1100...')")
    sub.add_parser("uuids", help="list the GATT UUIDs")
    args = parser.parse_args(argv)
    if args.command == "vectors":
        return _vectors(args.files)
    if args.command == "decode":
        return _decode(args.hex)
    return _uuids()


if __name__ == "__main__":
    sys.exit(main())
