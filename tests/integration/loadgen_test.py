#!/usr/bin/env python3
"""sipfront-loadgen against sipfront, both real, on loopback: the generator's accounting must
match the server's own counters exactly, nothing may be lost at a bounded closed-loop load, and
every registered AOR must come back after a restart.

Usage: loadgen_test.py PATH/TO/sipfront PATH/TO/sipfront-loadgen
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import durability_test as d  # noqa: E402  (Server and its configuration are shared)

COUNT = 3000


def main():
    server_bin, loadgen_bin = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="sipfront-lg-")
    s = d.Server(server_bin, tmp)
    try:
        s.start()
        run = subprocess.run(
            [loadgen_bin, "--target", "127.0.0.1:%d" % s.port, "--domain", d.DOMAIN,
             "--password", d.PASSWORD, "--users", str(d.USERS), "--user-pattern", "u###",
             "--count", str(COUNT), "--concurrency", "16", "--duration", "20", "--json"],
            capture_output=True, text=True, timeout=120)
        d.check(run.returncode == 0, "loadgen exit status %d:\n%s" % (run.returncode, run.stderr))
        report = json.loads(run.stdout.strip().splitlines()[-1])
        warm, phase = report["warmup"], report["phases"][0]
        d.check(report["registered"] == d.USERS, "every user registered in the warmup: %d"
                % report["registered"])
        d.check(phase["sent"] == COUNT and phase["ok"] == COUNT,
                "all %d measured REGISTERs answered 200: sent %d, ok %d, codes %s"
                % (COUNT, phase["sent"], phase["ok"], phase["codes"]))
        d.check(phase["timeouts"] == 0 and warm["timeouts"] == 0, "nothing lost")

        d.check(s.kill(signal.SIGTERM) == 0, "SIGTERM exits 0")
        m = re.search(r"register outcomes: registered=(\d+) challenged=(\d+)", s.log)
        d.check(m is not None, "outcome counters printed:\n" + s.log)
        if m:
            d.check(int(m.group(1)) == warm["ok"] + phase["ok"],
                    "server registered=%s equals the generator's 200s (%d)"
                    % (m.group(1), warm["ok"] + phase["ok"]))
            d.check(int(m.group(2)) == warm["challenged"] + phase["challenged"],
                    "server challenged=%s equals the generator's 401s" % m.group(2))

        s.start()
        m = re.search(r"recovered (\d+) bindings", s.log)
        d.check(m is not None and int(m.group(1)) == d.USERS,
                "all %d bindings recovered after the restart:\n%s" % (d.USERS, s.log))
        s.kill(signal.SIGTERM)
    finally:
        s.ensure_dead()
        shutil.rmtree(tmp, ignore_errors=True)
    if d.failures:
        return 1
    print("ok: %d REGISTERs, counters match, %d bindings recovered" % (COUNT, d.USERS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
