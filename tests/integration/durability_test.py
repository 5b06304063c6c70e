#!/usr/bin/env python3
"""Bindings survive crashes and restarts (issue 4), against the real server on loopback.

A small SIP client (raw UDP, digest MD5) registers bindings, the server is killed with SIGKILL
or stopped with SIGTERM, started again on the same data_dir, and every binding is checked with
REGISTER queries: the same contacts, q, +sip.instance, reg-id, and expiry reduced only by the
time that passed.

Usage: durability_test.py PATH/TO/sipfront
"""
import hashlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

DOMAIN = "dur.example.com"
PASSWORD = "Durable-Secret-7"
USERS = 120

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)
    return cond


def config(data_dir, extra="", storm='{"max_delay_ms": 0}'):
    creds = ",".join('{"username": "u%03d", "password": "%s"}' % (i, PASSWORD)
                     for i in range(USERS))
    return """{
  "listen": ["udp:127.0.0.1:0"],
  "data_dir": "%s",
  "max_bindings": 10000,
  "registrar": {"min_expires": 2, "max_expires": 3600, "default_expires": 3600},
  "journal": {"enabled": true, "flush_interval_ms": 20 %s},
  "storm": %s,
  "provisioning": {"accounts": [{"sid": "AC%s",
    "credential_lists": [{"sid": "CL%s", "credentials": [%s]}],
    "domains": [{"sid": "SD%s", "domain_name": "%s", "sip_registration": true,
                 "registration_credential_lists": ["CL%s"]}]}]}
}""" % (data_dir, extra, storm, "a" * 32, "b" * 32, creds, "c" * 32, DOMAIN, "b" * 32)


class Server:
    def __init__(self, binary, workdir, extra="", storm='{"max_delay_ms": 0}'):
        self.binary = binary
        self.workdir = workdir
        self.data_dir = os.path.join(workdir, "data")
        self.conf = os.path.join(workdir, "sipfront.json")
        with open(self.conf, "w") as f:
            f.write(config(self.data_dir, extra, storm))
        self.proc = None
        self.port = None
        self.log = ""

    def start(self):
        self.proc = subprocess.Popen([self.binary, "--config", self.conf], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30
        lines = []
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            m = re.search(r"listening on udp:127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                self.log = "".join(lines)
                return
        raise RuntimeError("sipfront did not start:\n" + "".join(lines))

    def kill(self, sig):
        self.proc.send_signal(sig)
        try:
            _, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        self.log += err or ""
        return self.proc.returncode

    def ensure_dead(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


class Client:
    """One UDP socket; REGISTER with digest MD5 (qop=auth), parsing only what the test needs."""

    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(2.0)
        self.port = port
        self.local = self.sock.getsockname()[1]
        self.n = 0

    def request(self, user, call_id, cseq, contacts, expires, auth=None):
        self.n += 1
        lines = [
            "REGISTER sip:%s SIP/2.0" % DOMAIN,
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-dur-%d-%d;rport" % (self.local, self.n,
                                                                         random.randrange(1 << 30)),
            "Max-Forwards: 70",
            "From: <sip:%s@%s>;tag=t%d" % (user, DOMAIN, self.n),
            "To: <sip:%s@%s>" % (user, DOMAIN),
            "Call-ID: %s" % call_id,
            "CSeq: %d REGISTER" % cseq,
        ]
        lines += ["Contact: %s" % c for c in contacts]
        if expires is not None:
            lines.append("Expires: %d" % expires)
        if auth:
            lines.append("Authorization: " + auth)
        lines += ["Content-Length: 0", "", ""]
        self.sock.sendto("\r\n".join(lines).encode(), ("127.0.0.1", self.port))
        # Stale answers and the server's NAT keepalive OPTIONS (the contacts here are not the
        # socket's address) are skipped; the socket timeout bounds each read.
        for _ in range(50):
            data, _ = self.sock.recvfrom(65535)
            text = data.decode("utf-8", "replace")
            if not text.startswith("SIP/2.0 "):
                continue
            if ("Call-ID: %s" % call_id) in text and ("CSeq: %d " % cseq) in text:
                return text
        raise RuntimeError("no matching response")

    def register(self, user, call_id, cseq, contacts, expires=None):
        """Challenge then answer; returns (status, response text)."""
        r = self.request(user, call_id, cseq, contacts, expires)
        status = int(r.split(" ", 2)[1])
        if status != 401:
            return status, r
        m = re.search(r'WWW-Authenticate: Digest realm="([^"]+)", nonce="([^"]+)", qop="auth", '
                      r'algorithm=MD5', r)
        realm, nonce = m.group(1), m.group(2)
        uri = "sip:%s" % DOMAIN
        ha1 = hashlib.md5(("%s:%s:%s" % (user, realm, PASSWORD)).encode()).hexdigest()
        ha2 = hashlib.md5(("REGISTER:%s" % uri).encode()).hexdigest()
        cnonce = "%08x" % random.randrange(1 << 32)
        resp = hashlib.md5(("%s:%s:00000001:%s:auth:%s" % (ha1, nonce, cnonce, ha2)).encode())
        auth = ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
                'algorithm=MD5, cnonce="%s", qop=auth, nc=00000001') % (
                    user, realm, nonce, uri, resp.hexdigest(), cnonce)
        r = self.request(user, call_id, cseq + 1, contacts, expires, auth)
        return int(r.split(" ", 2)[1]), r

    def query(self, user):
        status, r = self.register(user, "q-%s-%d@x" % (user, random.randrange(1 << 30)), 1, [])
        if status != 200:
            raise RuntimeError("query %s: %d" % (user, status))
        return contacts_of(r)


def contacts_of(response):
    """{uri: (expires, params-without-expires)} from a 200's Contact headers."""
    out = {}
    for line in response.split("\r\n"):
        if not line.startswith("Contact: <"):
            continue
        uri, rest = line[len("Contact: <"):].split(">", 1)
        params = dict(p.split("=", 1) if "=" in p else (p, "") for p in rest.split(";") if p)
        expires = int(params.pop("expires"))
        out[uri] = (expires, tuple(sorted(params.items())))
    return out


def user(i):
    return "u%03d" % i


def populate(c, expected, users, round_tag, expires=3600):
    """Registers 1-3 contacts per user with varied parameters; records what each should hold."""
    for i in users:
        contacts = ["<sip:%s@127.0.0.1:%d;transport=udp>" % (user(i), 6000 + i)]
        if i % 3 == 1:
            contacts.append("<sip:%s@192.0.2.%d:5062>;q=0.5" % (user(i), i % 250 + 1))
        if i % 3 == 2:
            contacts.append('<sip:%s-dev@host%d.example.net;ob>;+sip.instance="<urn:uuid:%08d>";'
                            "reg-id=1" % (user(i), i, i))
        status, r = c.register(user(i), "%s-%s@dur" % (round_tag, user(i)), 1, contacts, expires)
        check(status == 200, "register %s: %d" % (user(i), status))
        expected[user(i)] = (contacts_of(r), time.time())


def verify(c, expected, what):
    """Every AOR holds what its last 200 said, each expiry reduced by the time since then."""
    bad = 0
    for u, (want, when) in sorted(expected.items()):
        got = c.query(u)
        elapsed = time.time() - when
        ok = set(got) == set(want)
        for uri in want:
            if uri in got:
                ok = ok and got[uri][1] == want[uri][1]
                drift = want[uri][0] - got[uri][0]
                ok = ok and -2 <= drift - elapsed <= 2  # whole seconds on both sides
        if not ok:
            bad += 1
            if bad <= 3:
                print("  %s: want %s (%.1f s ago)\n  got  %s" % (u, want, elapsed, got))
    check(bad == 0, "%s: %d of %d AORs differ" % (what, bad, len(expected)))


def journal_files(data_dir):
    d = os.path.join(data_dir, "journal")
    return sorted(os.path.join(d, f) for f in os.listdir(d)) if os.path.isdir(d) else []


def case_kill9(binary, tmp):
    s = Server(binary, tmp)
    s.start()
    c = Client(s.port)
    expected = {}
    populate(c, expected, range(USERS), "a")
    # Removals and refreshes: expires=0 on one contact, a shorter expiry on another.
    for i in range(0, USERS, 10):
        uri = "<sip:%s@127.0.0.1:%d;transport=udp>" % (user(i), 6000 + i)
        status, r = c.register(user(i), "a-%s@dur" % user(i), 10, [uri], 0)
        check(status == 200, "remove %s" % user(i))
        expected[user(i)] = (contacts_of(r), time.time())
    s.kill(signal.SIGKILL)
    time.sleep(1.5)
    s.start()
    check("recovered" in s.log, "recovery line logged")
    verify(Client(s.port), expected, "after kill -9")
    s.kill(signal.SIGTERM)
    return expected


def case_corrupt_tail(binary, tmp):
    s = Server(binary, tmp)
    s.start()
    c = Client(s.port)
    expected = {}
    populate(c, expected, range(40), "b")
    s.kill(signal.SIGKILL)
    segs = [f for f in journal_files(s.data_dir) if os.path.getsize(f) > 16]
    check(len(segs) >= 1, "a journal segment was written")
    # A torn last record plus garbage, as a crash in the middle of a write would leave.
    with open(segs[-1], "ab") as f:
        f.write(b"\x13\x37\x00\x00\x40\x00\x00\x00garbage")
    s.start()
    check(re.search(r"cut \d+ bytes", s.log) is not None, "the cut is logged:\n" + s.log)
    verify(Client(s.port), expected, "after a corrupt tail")
    s.kill(signal.SIGTERM)


def case_snapshot_in_the_middle(binary, tmp):
    s = Server(binary, tmp, ', "snapshot_interval_s": 1')
    s.start()
    c = Client(s.port)
    expected = {}
    populate(c, expected, range(0, 60), "c")
    time.sleep(2.5)  # at least one snapshot
    populate(c, expected, range(60, USERS), "c")
    s.kill(signal.SIGKILL)
    check(os.path.exists(os.path.join(s.data_dir, "snapshot", "MANIFEST")), "a snapshot exists")
    s.start()
    check("a snapshot" in s.log, "recovery used the snapshot:\n" + s.log)
    verify(Client(s.port), expected, "after snapshot + journal")
    s.kill(signal.SIGTERM)


def case_expiry_across_restart(binary, tmp):
    s = Server(binary, tmp)
    s.start()
    c = Client(s.port)
    status, _ = c.register(user(1), "e-1@dur", 1, ["<sip:u001@127.0.0.1:7001>"], 3)
    check(status == 200, "short registration")
    expected = {}
    populate(c, expected, range(2, 12), "e")
    s.kill(signal.SIGKILL)
    time.sleep(4)
    s.start()
    m = re.search(r"(\d+) expired while down", s.log)
    check(m is not None and int(m.group(1)) >= 1, "expired while down is counted:\n" + s.log)
    c2 = Client(s.port)
    check(c2.query(user(1)) == {}, "the expired binding is gone")
    verify(c2, expected, "long registrations kept")
    s.kill(signal.SIGTERM)


def case_clean_restart(binary, tmp):
    s = Server(binary, tmp)
    s.start()
    c = Client(s.port)
    expected = {}
    populate(c, expected, range(30), "f")
    check(s.kill(signal.SIGTERM) == 0, "SIGTERM exits 0")
    check("final snapshot" in s.log, "a final snapshot is written")
    s.start()
    m = re.search(r"from a snapshot and (\d+) journal records", s.log)
    check(m is not None and int(m.group(1)) == 0, "nothing left to replay:\n" + s.log)
    verify(Client(s.port), expected, "after a clean restart")
    s.kill(signal.SIGTERM)


def main():
    binary = sys.argv[1]
    cases = [case_kill9, case_corrupt_tail, case_snapshot_in_the_middle,
             case_expiry_across_restart, case_clean_restart]
    for case in cases:
        tmp = tempfile.mkdtemp(prefix="sipfront-dur-")
        started = time.time()
        before = len(failures)
        try:
            case(binary, tmp)
        except Exception as e:  # a hung or crashed server fails the case, not the run
            failures.append("%s: %s" % (case.__name__, e))
            print("FAIL:", case.__name__, e)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        print("%s %s (%.1f s)" % ("PASS" if len(failures) == before else "FAIL", case.__name__,
                                  time.time() - started))
    if failures:
        return 1
    print("ok: %d cases" % len(cases))
    return 0


if __name__ == "__main__":
    sys.exit(main())
