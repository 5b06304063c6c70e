#!/usr/bin/env python3
"""sipfront-parse over the conformance corpus: the JSON contract and the MANIFEST verdicts.

Usage: parse_tool_test.py PATH/TO/sipfront-parse CORPUS_DIR
"""
import json
import os
import subprocess
import sys

KEYS = ["file", "valid", "error", "offset", "kind", "method", "status", "request_uri", "call_id",
        "cseq", "from", "to", "vias", "contacts", "expires", "max_forwards", "content_length",
        "body_length"]
VIA_KEYS = ["transport", "host", "port", "branch", "received", "rport"]

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def is_int_or_none(v):
    return v is None or (isinstance(v, int) and not isinstance(v, bool))


def run(tool, args, stdin=None):
    return subprocess.run([tool] + args, input=stdin, capture_output=True, timeout=60)


def check_record(rec, name):
    check(list(rec.keys()) == KEYS, f"{name}: keys {list(rec.keys())}")
    check(isinstance(rec["valid"], bool), f"{name}: valid not bool")
    for k in ("offset", "status", "expires", "max_forwards", "content_length", "body_length"):
        check(is_int_or_none(rec[k]), f"{name}: {k} not int|null")
    if not rec["valid"]:
        check(isinstance(rec["error"], str) and rec["error"], f"{name}: invalid without error")
        check(isinstance(rec["offset"], int), f"{name}: invalid without offset")
        return
    check(rec["error"] is None and rec["offset"] is None, f"{name}: valid with error")
    check(rec["kind"] in ("request", "response"), f"{name}: kind")
    if rec["kind"] == "request":
        check(isinstance(rec["method"], str) and rec["status"] is None, f"{name}: request fields")
    else:
        check(rec["method"] is None and 100 <= rec["status"] <= 699, f"{name}: response fields")
    if rec["cseq"] is not None:
        check(set(rec["cseq"]) == {"seq", "method"}, f"{name}: cseq keys")
    for k in ("from", "to"):
        if rec[k] is not None:
            check(set(rec[k]) == {"uri", "tag"}, f"{name}: {k} keys")
    check(isinstance(rec["vias"], list), f"{name}: vias")
    for via in rec["vias"]:
        check(list(via.keys()) == VIA_KEYS, f"{name}: via keys {list(via.keys())}")
        check(is_int_or_none(via["port"]), f"{name}: via port")
    contacts = rec["contacts"]
    check(contacts == "*" or isinstance(contacts, list), f"{name}: contacts")
    if isinstance(contacts, list):
        for c in contacts:
            check(set(c) == {"uri", "expires", "q"}, f"{name}: contact keys")
    check(isinstance(rec["body_length"], int), f"{name}: body_length")


def main():
    tool, corpus = sys.argv[1], sys.argv[2]
    files, verdicts = [], {}
    for d in ("rfc4475", "rfc5118", "devices"):
        with open(os.path.join(corpus, d, "MANIFEST.tsv"), encoding="utf-8") as f:
            for line in f.read().splitlines()[1:]:
                cols = line.split("\t")
                path = os.path.join(corpus, d, cols[0] + ".sip")
                files.append(path)
                verdicts[path] = cols[2]
    out = run(tool, files)
    check(out.returncode == 0, f"exit code {out.returncode}: {out.stderr!r}")
    lines = out.stdout.decode("utf-8").splitlines()
    check(len(lines) == len(files), f"{len(lines)} lines for {len(files)} files")
    for line in lines:
        rec = json.loads(line)
        name = rec["file"]
        check_record(rec, name)
        expected = verdicts.get(name)
        want_valid = expected in ("valid", "semantic-error")
        check(rec["valid"] == want_valid, f"{name}: valid={rec['valid']} but MANIFEST says {expected}")

    # A few values as on the wire (folding collapsed, escapes kept).
    by_name = {json.loads(l)["file"]: json.loads(l) for l in lines}
    wsinv = by_name[os.path.join(corpus, "rfc4475", "wsinv.sip")]
    check(wsinv["cseq"] == {"seq": 9, "method": "INVITE"}, f"wsinv cseq {wsinv['cseq']}")
    check(wsinv["max_forwards"] == 68, "wsinv max_forwards")
    check([v["host"] for v in wsinv["vias"]] == ["192.0.2.2", "spindle.example.com",
                                                 "192.168.255.111"], "wsinv vias")
    check(wsinv["contacts"] == [{"uri": "sip:jdrosen@example.com", "expires": None, "q": "0.33"}],
          f"wsinv contacts {wsinv['contacts']}")
    esc01 = by_name[os.path.join(corpus, "rfc4475", "esc01.sip")]
    check(esc01["to"] == {"uri": "sip:%75se%72@example.com", "tag": None}, "esc01 to")
    twilio = by_name[os.path.join(corpus, "devices", "twilio-gateway-invite.sip")]
    check(twilio["vias"][0]["rport"] == "5060" and twilio["vias"][0]["received"] == "172.31.3.33",
          "twilio via")
    grand = by_name[os.path.join(corpus, "devices", "grandstream-gxp2200-invite.sip")]
    check(grand["content_length"] == 309 and grand["body_length"] == 309, "grandstream framing")
    inv2543 = by_name[os.path.join(corpus, "rfc4475", "inv2543.sip")]
    check(inv2543["content_length"] is None and inv2543["body_length"] == 105, "inv2543 framing")
    scalar02 = by_name[os.path.join(corpus, "rfc4475", "scalar02.sip")]
    check(scalar02["error"] == "Bad CSeq" and scalar02["offset"] == 174, f"scalar02 {scalar02}")

    # Folded values come out on one line.
    folded = (b"REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
              b"To: <sip:a@example.com>\r\nFrom: <sip:a@example.com>\r\n ;tag=1\r\nCall-ID: c\r\n"
              b"CSeq: 1\r\n\tREGISTER\r\nContact: <sip:a@192.0.2.1>;\r\n expires=60\r\n\r\n")
    out = run(tool, ["-"], folded)
    rec = json.loads(out.stdout)
    check(rec["file"] == "-" and rec["valid"], f"stdin record {rec}")
    check(rec["from"] == {"uri": "sip:a@example.com", "tag": "1"}, f"folded from {rec['from']}")
    check(rec["contacts"] == [{"uri": "sip:a@192.0.2.1", "expires": 60, "q": None}], "folded contact")

    # Stream framing needs Content-Length.
    out = run(tool, ["--stream", os.path.join(corpus, "rfc4475", "inv2543.sip")])
    rec = json.loads(out.stdout)
    check(rec["valid"] is False and rec["error"] == "Missing Content-Length", f"--stream {rec}")

    # An unreadable file is reported and makes the exit status non-zero; others still print.
    out = run(tool, ["/nonexistent/file.sip", os.path.join(corpus, "rfc4475", "wsinv.sip")])
    check(out.returncode == 2 and b"cannot read" in out.stderr, "unreadable file")
    check(len(out.stdout.splitlines()) == 1, "other files still parsed")

    # Usage errors.
    check(run(tool, []).returncode == 2, "no arguments")
    check(run(tool, ["--bogus"]).returncode == 2, "unknown option")

    if failures:
        for f in failures:
            print("FAIL:", f)
        return 1
    print(f"ok: {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
