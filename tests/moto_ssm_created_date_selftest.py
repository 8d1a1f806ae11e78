"""Checks tests/moto_ssm_created_date.py: GetDocument by version answers that
version's CreatedDate (each version its own), where moto as it comes answers
none; this test would see the gap come back.

Run: .venv/bin/python tests/moto_ssm_created_date_selftest.py
"""

import json
import sys
import time
from pathlib import Path

import boto3

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import emulator_server  # noqa: E402


def created_dates(emulated):
    code = (
        f"import sys; sys.path.insert(0, {str(HERE)!r}); "
        + ("import moto_ssm_created_date; " if emulated else "")
        + "from moto.server import main; sys.exit(main(sys.argv[1:]))"
    )
    proc, url = emulator_server.start([sys.executable, "-c", code])
    try:
        ssm = boto3.client(
            "ssm", endpoint_url=url, region_name="eu-west-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )
        doc = {"schemaVersion": "1.0", "sessionType": "Standard_Stream",
               "inputs": {"runAsEnabled": True, "runAsDefaultUser": "a"}}
        ssm.create_document(Name="RunAsGuard-SelfTest", Content=json.dumps(doc), DocumentType="Session")
        time.sleep(1.1)
        doc["inputs"]["runAsDefaultUser"] = "b"
        ssm.update_document(Name="RunAsGuard-SelfTest", Content=json.dumps(doc), DocumentVersion="$LATEST")
        return [ssm.get_document(Name="RunAsGuard-SelfTest", DocumentVersion=v).get("CreatedDate") for v in ("1", "2")]
    finally:
        emulator_server.stop(proc)


def main():
    plain, emulated = created_dates(False), created_dates(True)
    print(f"CreatedDate of versions 1 and 2, moto as it comes: {plain}; emulated: {emulated}")
    if any(d is not None for d in plain):
        print("FAIL: moto as it comes answers CreatedDate now: this emulation may go")
        return 1
    if None in emulated or not emulated[0] < emulated[1]:
        print("FAIL: GetDocument by version did not answer each version's CreatedDate")
        return 1
    print("ok created date: each version's own, where moto alone answers none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
