#!/usr/bin/env python3
"""The registrar end to end: real sipp against a real sipfront on loopback (issue 3).

Usage: registrar_test.py PATH/TO/sipfront SCENARIO_DIR [--sipp PATH] [--only NAME,...] [--keep]

For each io backend ("uring", then "mmsg") the runner writes a config into a temp dir, starts
sipfront on udp:127.0.0.1:0, reads the port from its stderr, runs one sipp scenario per case
(tests/integration/sipp/*.xml), stops the server with SIGTERM and checks its exit code and
counters. Then the same with two workers and 40 users: every registration and every query
must succeed, and the counters must show REGISTERs handed to the AOR-owning worker.

One line per case, a summary, exit 1 on any failure (with the sipp error log), 77 when sipp
is not installed. Every wait is bounded; the server is killed in a finally block. --only runs
some cases (no counter minimums then; "workers2" names the two-worker runs), --keep leaves
the temp dirs (config, server stderr, sipp message logs) for a look.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

DOMAIN = "acme.sip.example"  # the scenarios' regular expressions name it too
UNKNOWN_DOMAIN = "unknown-domain.example"
MIN_EXPIRES = 2  # interval_too_brief.xml and expiry.xml rely on it
MAX_EXPIRES = 3600  # clamp.xml relies on it
MANY_USERS = 40

START_TIMEOUT_S = 10
STOP_TIMEOUT_S = 10
SIPP_TIMEOUT_S = 20  # sipp's own -timeout is below it

# Users of the single-worker runs: one per case, so cases cannot see each other's bindings.
USERS = {name: "Pw-" + name + "-Xy7-secret" for name in (
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
    "mallory")}

# name, scenario, To user, -au user (None: the To user), -ap password (None: the user's),
# -key domain (None: DOMAIN)
CASES = [
    ("auth_ok", "auth_ok.xml", "alice", None, None, None),
    ("bad_password", "register_forbidden.xml", "bob", None, "not-the-password", None),
    ("user_mismatch", "register_forbidden.xml", "mallory", "judy", None, None),
    ("interval_too_brief", "interval_too_brief.xml", "carol", None, None, None),
    ("clamp", "clamp.xml", "dave", None, None, None),
    ("too_many_contacts", "too_many_contacts.xml", "erin", None, None, None),
    ("star", "star.xml", "frank", None, None, None),
    ("query", "query.xml", "grace", None, None, None),
    ("cseq_order", "cseq_order.xml", "heidi", None, None, None),
    ("expiry", "expiry.xml", "ivan", None, None, None),
    ("options", "options.xml", "alice", None, None, None),
    ("unknown_method", "unknown_method.xml", "alice", None, None, None),
    ("bad_cseq", "bad_cseq.xml", "alice", None, None, None),
    ("unknown_domain", "unknown_domain.xml", "alice", None, None, UNKNOWN_DOMAIN),
]

# Server counters after the single-worker run: (section, key, minimum).
EXIT_COUNTERS = [
    ("outcomes", "registered", 9),
    ("outcomes", "queried", 7),
    ("outcomes", "challenged", 10),
    ("outcomes", "bad_password", 1),
    ("outcomes", "user_mismatch", 1),
    ("outcomes", "interval_too_brief", 2),
    ("outcomes", "too_many_contacts", 1),
    ("outcomes", "bad_star", 1),
    ("outcomes", "out_of_order", 2),
    ("outcomes", "domain_not_found", 1),
    ("stopped", "options", 1),
    ("stopped", "not_implemented", 1),
    ("stopped", "expired", 1),
    ("parse_errors", "bad_cseq", 1),
]

results = []  # (label, ok)


def report(label, ok, seconds, detail=""):
    results.append((label, ok))
    print(f"{'PASS' if ok else 'FAIL'} {label} ({seconds:.2f} s){': ' + detail if detail else ''}",
          flush=True)


def sid(prefix, n):
    return f"{prefix}{n:032x}"


def write_config(tmp, io, workers, credentials):
    """The server config (JSON with // comments, as sipfront accepts)."""
    creds = ",\n".join(f'      {{"username": "{u}", "password": "{p}"}}'
                       for u, p in credentials.items())
    text = f"""// registrar_test.py: {io}, {workers} worker(s)
{{
  "listen": ["udp:127.0.0.1:0"],
  "workers": {workers},
  "io": "{io}",
  "max_bindings": 10000,
  "data_dir": "{os.path.join(tmp, 'var')}",
  "registrar": {{"min_expires": {MIN_EXPIRES}, "max_expires": {MAX_EXPIRES},
                "default_expires": 3600, "max_contacts_per_aor": 10,
                "max_contacts_policy": "reject", "nonce_lifetime": 300,
                "digest_algorithms": ["MD5", "SHA-256"]}},
  "provisioning": {{"accounts": [{{
    "sid": "{sid('AC', 1)}", "auth_token": "registrar-test-token",
    "credential_lists": [{{"sid": "{sid('CL', 1)}", "friendly_name": "test users",
      "credentials": [
{creds}
      ]}}],
    "domains": [{{"sid": "{sid('SD', 1)}", "domain_name": "{DOMAIN}",
                 "sip_registration": true,
                 "registration_credential_lists": ["{sid('CL', 1)}"]}}]
  }}]}}
}}
"""
    path = os.path.join(tmp, "sipfront.json")
    with open(path, "w") as f:
        f.write(text)
    return path


class Server:
    """sipfront in a child process; stderr goes to a file that start() and stop() read."""

    def __init__(self, exe, tmp, config):
        self.exe, self.tmp, self.config = exe, tmp, config
        self.err_path = os.path.join(tmp, "sipfront.stderr")
        self.proc = None
        self.port = None
        self.backend = None

    def stderr_text(self):
        try:
            with open(self.err_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def start(self):
        with open(self.err_path, "w") as err:
            self.proc = subprocess.Popen([self.exe, "--config", self.config], cwd=self.tmp,
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=err)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            m = re.search(r"sipfront: listening on udp:127\.0\.0\.1:(\d+) with \d+ worker\(s\), "
                          r"([\w-]+),", self.stderr_text())
            if m:
                self.port, self.backend = int(m.group(1)), m.group(2)
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"sipfront exited with {self.proc.returncode} before listening:"
                                   f"\n{self.stderr_text()}")
            time.sleep(0.02)
        raise RuntimeError(f"sipfront did not report its port within {START_TIMEOUT_S} s:\n"
                           f"{self.stderr_text()}")

    def stop(self):
        """SIGTERM, bounded wait; returns (exit code, counters)."""
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=STOP_TIMEOUT_S)
        return rc, parse_counters(self.stderr_text())

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT_S)


def parse_counters(text):
    """{"stopped": {...}, "outcomes": {...}, "parse_errors": {...}} from the exit lines."""
    sections = {"stopped": "sipfront: stopped.", "outcomes": "sipfront: register outcomes:",
                "parse_errors": "sipfront: parse errors:"}
    out = {}
    for key, prefix in sections.items():
        for line in text.splitlines():
            if line.startswith(prefix):
                out[key] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line[len(prefix):])}
    return out


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, lines):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def run_sipp(sipp, scenario, port, tmp, tag, args):
    """One sipp run; returns (ok, detail). Retries when its local port was taken meanwhile."""
    err_file = os.path.join(tmp, f"{tag}.errors.log")
    msg_file = os.path.join(tmp, f"{tag}.messages.log")
    for _attempt in range(3):
        cmd = [sipp, f"127.0.0.1:{port}", "-sf", scenario, "-i", "127.0.0.1",
               "-p", str(free_udp_port()), "-nostdin", "-timeout", str(SIPP_TIMEOUT_S - 5),
               "-timeout_error", "-recv_timeout", "3000", "-default_behaviors", "none",
               "-trace_err", "-error_file", err_file, "-trace_msg", "-message_file", msg_file,
               ] + args
        try:
            p = subprocess.run(cmd, cwd=tmp, stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=SIPP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return False, f"sipp did not finish within {SIPP_TIMEOUT_S} s"
        out = (p.stdout + p.stderr).decode(errors="replace")
        if p.returncode != 0 and re.search(r"Unable to bind|Address already in use", out):
            continue
        break
    if p.returncode == 0:
        return True, ""
    detail = f"sipp exit {p.returncode}\n--- sipp errors ({err_file}) ---\n{tail(err_file, 60)}"
    if not os.path.exists(err_file) or os.path.getsize(err_file) == 0:
        detail += f"--- sipp output ---\n{out[-3000:]}"
    detail += f"--- last messages ({msg_file}) ---\n{tail(msg_file, 40)}"
    return False, detail


def check_counters(counters, expected):
    bad = []
    for section, key, minimum in expected:
        got = counters.get(section, {}).get(key, 0)
        if got < minimum:
            bad.append(f"{section}.{key}={got} (want >= {minimum})")
    return bad


def cleanup(tmp, keep):
    if keep:
        print(f"     kept {tmp}", flush=True)
    else:
        shutil.rmtree(tmp, ignore_errors=True)


def run_backend(exe, sipp, scenarios, io, only, keep):
    tmp = tempfile.mkdtemp(prefix=f"sipfront-registrar-{io}-")
    server = Server(exe, tmp, write_config(tmp, io, 1, USERS))
    try:
        t0 = time.monotonic()
        server.start()
        want = "io_uring" if io == "uring" else "mmsg"
        if server.backend != want:
            print(f"SKIP {io}/*: the server runs {server.backend} "
                  f"({server.stderr_text().strip().splitlines()[0]})", flush=True)
            return
        for name, scenario, user, auth_user, password, domain in CASES:
            if only and name not in only:
                continue
            if server.proc.poll() is not None:
                raise RuntimeError(f"sipfront exited with {server.proc.returncode} before {name}")
            t = time.monotonic()
            auth_user = auth_user or user
            args = ["-m", "1", "-key", "user", user, "-key", "domain", domain or DOMAIN,
                    "-au", auth_user, "-ap", password or USERS[auth_user],
                    "-auth_uri", domain or DOMAIN]
            ok, detail = run_sipp(sipp, os.path.join(scenarios, scenario), server.port, tmp,
                                  name, args)
            report(f"{io}/{name}", ok, time.monotonic() - t, detail)
        t = time.monotonic()
        rc, counters = server.stop()
        problems = [] if rc == 0 else [f"exit code {rc}"]
        if not only:
            problems += check_counters(counters, EXIT_COUNTERS)
        stopped = counters.get("stopped", {})
        if not stopped:
            problems.append("no counters on stderr")
        for key in ("tx_dropped", "truncated", "ring_full"):
            if stopped.get(key, 0) != 0:
                problems.append(f"{key}={stopped[key]}")
        if stopped.get("rx") != stopped.get("tx"):  # every request here gets one answer
            problems.append(f"rx={stopped.get('rx')} tx={stopped.get('tx')}")
        report(f"{io}/exit_counters", not problems, time.monotonic() - t,
               "; ".join(problems) + ("\n" + server.stderr_text() if problems else ""))
        print(f"     {io} run: {time.monotonic() - t0:.2f} s", flush=True)
    except Exception as e:  # pylint: disable=broad-except
        report(f"{io}/server", False, 0.0, f"{type(e).__name__}: {e}\n{server.stderr_text()}")
    finally:
        server.kill()
        cleanup(tmp, keep)


def run_two_workers(exe, sipp, scenarios, io, keep):
    """40 users over 2 workers: all register, all query, and some REGISTERs changed worker."""
    tmp = tempfile.mkdtemp(prefix=f"sipfront-registrar-2w-{io}-")
    users = {f"user{i:02d}": f"Pw{i:02d}-Qz3-secret" for i in range(1, MANY_USERS + 1)}
    inf = os.path.join(tmp, "users.csv")
    with open(inf, "w") as f:
        f.write("SEQUENTIAL\n")
        for u, p in users.items():
            f.write(f"{u};{DOMAIN};[authentication username={u} password={p}]\n")
    server = Server(exe, tmp, write_config(tmp, io, 2, users))
    label = f"workers2/{io}"
    try:
        t = time.monotonic()
        server.start()
        args = ["-inf", inf, "-m", str(MANY_USERS), "-r", "200", "-l", str(MANY_USERS),
                "-auth_uri", DOMAIN]
        for step in ("many_register", "many_query"):
            ok, detail = run_sipp(sipp, os.path.join(scenarios, step + ".xml"), server.port,
                                  tmp, f"2w-{step}", args)
            if not ok:
                report(f"{label}/{step}", False, time.monotonic() - t, detail)
                return
        rc, counters = server.stop()
        stopped, outcomes = counters.get("stopped", {}), counters.get("outcomes", {})
        problems = [] if rc == 0 else [f"exit code {rc}"]
        if stopped.get("forwarded", 0) <= 0:
            problems.append(f"forwarded={stopped.get('forwarded')} (want > 0)")
        if outcomes.get("registered", 0) < MANY_USERS:
            problems.append(f"registered={outcomes.get('registered')} (want >= {MANY_USERS})")
        if outcomes.get("queried", 0) < MANY_USERS:
            problems.append(f"queried={outcomes.get('queried')} (want >= {MANY_USERS})")
        for key in ("tx_dropped", "ring_full"):
            if stopped.get(key, 0) != 0:
                problems.append(f"{key}={stopped[key]}")
        report(label, not problems, time.monotonic() - t,
               f"{MANY_USERS} registered and queried over {server.backend}, "
               f"forwarded={stopped.get('forwarded')}" if not problems else
               "; ".join(problems) + "\n" + server.stderr_text())
    except Exception as e:  # pylint: disable=broad-except
        report(label, False, 0.0, f"{type(e).__name__}: {e}\n{server.stderr_text()}")
    finally:
        server.kill()
        cleanup(tmp, keep)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sipfront")
    ap.add_argument("scenarios")
    ap.add_argument("--sipp", default=shutil.which("sipp") or "")
    ap.add_argument("--only", default="", help="comma-separated case names (debugging)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dirs (debugging)")
    opts = ap.parse_args()
    if not opts.sipp or not os.access(opts.sipp, os.X_OK):
        print("SKIP: sipp not found (scripts/setup installs sip-tester)")
        return 77
    # sipp and sipfront run in temp dirs: absolute paths
    opts.sipfront, opts.scenarios = os.path.abspath(opts.sipfront), os.path.abspath(opts.scenarios)
    only = set(filter(None, opts.only.split(",")))
    t0 = time.monotonic()
    for io in ("uring", "mmsg"):
        run_backend(opts.sipfront, opts.sipp, opts.scenarios, io, only, opts.keep)
    if not only or "workers2" in only:
        for io in ("uring", "mmsg"):
            run_two_workers(opts.sipfront, opts.sipp, opts.scenarios, io, opts.keep)
    failed = [label for label, ok in results if not ok]
    print(f"{len(results) - len(failed)}/{len(results)} passed in "
          f"{time.monotonic() - t0:.1f} s" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
