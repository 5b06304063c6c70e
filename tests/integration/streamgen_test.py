#!/usr/bin/env python3
"""sipfront-streamgen against a real sipfront over TCP and TLS (keeps the benchmark honest).

Usage: streamgen_test.py PATH/TO/sipfront PATH/TO/sipfront-streamgen

One server with udp, tcp and tls listeners on 127.0.0.1 port 0 and 300 users. Runs the tool
over TCP, TLS 1.3 and TLS 1.2 (REGISTER load, 1 s each), then --handshakes and --idle. The
200s and 401s the tool counted must equal the server's registered/challenged counters at stop,
nothing may time out or go unparsed, the negotiated TLS versions must be the ones asked for,
and the server must end with every connection closed. Every wait is bounded; the server is
killed in a finally block. Exit 1 on failure.
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

DOMAIN = "streamgen.sip.example"
PASSWORD = "Pw-streamgen-7"
USERS = 300


def main():
    server_exe, tool = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="sipfront-streamgen-")
    creds = [{"username": "u%05d" % i, "password": PASSWORD} for i in range(USERS)]
    cfg = {
        "listen": ["udp:127.0.0.1:0", "tcp:127.0.0.1:0", "tls:127.0.0.1:0"],
        "workers": 2, "max_bindings": 10000, "prefault": False,
        "data_dir": os.path.join(tmp, "var"),
        "journal": {"enabled": False}, "storm": {"max_delay_ms": 0},
        "nat": {"keepalive": "off"},
        "provisioning": {"accounts": [{
            "sid": "AC" + "1" * 32,
            "credential_lists": [{"sid": "CL" + "1" * 32, "credentials": creds}],
            "domains": [{"sid": "SD" + "1" * 32, "domain_name": DOMAIN, "sip_registration": True,
                         "registration_credential_lists": ["CL" + "1" * 32]}]}]},
    }
    path = os.path.join(tmp, "sipfront.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    log = open(os.path.join(tmp, "stderr"), "w+")
    proc = subprocess.Popen([server_exe, "--config", path], stderr=log)
    failures = []

    def check(name, ok, detail=""):
        print("%-44s %s %s" % (name, "ok" if ok else "FAIL", detail))
        if not ok:
            failures.append(name)

    ok_total = 0
    challenged_total = 0
    try:
        ports = {}
        deadline = time.time() + 15
        while time.time() < deadline and len(ports) < 2 and proc.poll() is None:
            time.sleep(0.05)
            log.seek(0)
            ports = dict(re.findall(r"listening on (tcp|tls):127\.0\.0\.1:(\d+)", log.read()))
        if len(ports) < 2:
            raise RuntimeError("server did not start")

        def run(args):
            r = subprocess.run([tool, "--domain", DOMAIN, "--password", PASSWORD, "--json",
                                "--server-pid", str(proc.pid)] + args,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=60)
            line = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else "{}"
            return r.returncode, json.loads(line), r.stderr

        start = 0
        for transport, version in (("tcp", None), ("tls", "1.3"), ("tls", "1.2")):
            args = ["--target", "127.0.0.1:" + ports[transport], "--transport", transport,
                    "--users", "100", "--user-start", str(start), "--connections", "3",
                    "--duration", "1"]
            if version:
                args += ["--tls-version", version]
            start += 100
            rc, out, err = run(args)
            name = transport + (version or "")
            phases = [out.get("warmup", {}), out.get("measured", {})]
            ok = sum(p.get("ok", 0) for p in phases)
            ch = sum(p.get("challenged", 0) + p.get("rechallenged", 0) for p in phases)
            bad = sum(p.get("timeouts", 0) + p.get("unparsed", 0) + p.get("other", 0) +
                      p.get("connections_failed", 0) for p in phases)
            ok_total += ok
            challenged_total += ch
            check(name + " register", rc == 0 and out.get("registered") == 100 and ok > 100,
                  "(rc %d, registered %s, 200s %d) %s" % (rc, out.get("registered"), ok,
                                                          err[-200:] if rc else ""))
            check(name + " nothing lost", bad == 0, "(%d)" % bad)
            if version:
                check(name + " negotiated", out.get("tls_negotiated") == "TLSv" + version,
                      out.get("tls_negotiated", ""))
        rc, out, err = run(["--target", "127.0.0.1:" + ports["tls"], "--transport", "tls",
                            "--handshakes", "50", "--parallel", "4", "--duration", "10"])
        m = out.get("measured", {})
        check("handshakes", rc == 0 and m.get("completed") == 50 and m.get("failed") == 0,
              "(rc %d, completed %s, failed %s)" % (rc, m.get("completed"), m.get("failed")))
        rc, out, err = run(["--target", "127.0.0.1:" + ports["tls"], "--transport", "tls",
                            "--idle", "100"])
        per = out.get("bytes_per_connection", out.get("rss_per_connection"))
        check("idle memory reported", rc == 0 and per is not None, "(%s)" % per)
    except Exception as e:  # noqa: BLE001 - reported as a failure
        check("run", False, str(e))
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    log.seek(0)
    text = log.read()
    check("server exit 0", proc.returncode == 0, "(%s)" % proc.returncode)
    m = re.search(r"register outcomes:.*?registered=(\d+)", text)
    registered = int(m.group(1)) if m else -1
    check("server registered == tool 200s", registered == ok_total,
          "(%d vs %d)" % (registered, ok_total))
    m = re.search(r"challenged=(\d+)", text)
    challenged = int(m.group(1)) if m else -1
    check("server challenged == tool 401s", challenged == challenged_total,
          "(%d vs %d)" % (challenged, challenged_total))
    m = re.search(r"connections: accepted=(\d+) closed=(\d+)", text)
    check("every connection closed", m is not None and m.group(1) == m.group(2),
          m.group(0) if m else "")
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
