#!/usr/bin/env python3
"""NAT keepalives (issue 5): real UDP sockets on loopback against a real sipfront.

Usage: nat_test.py PATH/TO/sipfront

Three devices register over UDP with digest auth:
  * "answering": its Contact names another address (192.0.2.10), so it is behind NAT; it
    must receive keepalive OPTIONS (spread: not more often than once per interval) and
    answers them: its binding stays;
  * "silent": behind NAT too, never answers: after max_missed unanswered OPTIONS its binding
    is removed (a query shows no contact) and the stop counters say so;
  * "direct": its Contact is its own source address: no keepalive at all.
A STUN Binding request on the SIP port (RFC 5626 §4.4.2) is answered with the sender's
address in XOR-MAPPED-ADDRESS; one with a wrong magic cookie is not answered.
Then a second server with "keepalive": "crlf" must send a CRLFCRLF datagram.
Every wait is bounded; the server is killed in a finally block. Exit 1 on failure.
"""
import hashlib
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

DOMAIN = "nat.sip.example"
PASSWORD = "Pw-nat-3x-secret"
INTERVAL = 5
MAX_MISSED = 2


def config(mode):
    users = ", ".join('{"username": "%s", "password": "%s"}' % (u, PASSWORD)
                      for u in ("answering", "silent", "direct", "crlf"))
    return """{
  "listen": ["udp:127.0.0.1:0"], "data_dir": "%s", "prefault": false, "max_bindings": 1000,
  "registrar": {"min_expires": 60},
  "nat": {"keepalive": "%s", "keepalive_interval_s": %d, "max_missed": %d},
  "provisioning": {"accounts": [{"sid": "AC0123456789abcdef0123456789abcdef",
    "credential_lists": [{"sid": "CL0123456789abcdef0123456789abcdef",
                          "credentials": [%s]}],
    "domains": [{"sid": "SD0123456789abcdef0123456789abcdef", "domain_name": "%s",
                 "sip_registration": true,
                 "registration_credential_lists": ["CL0123456789abcdef0123456789abcdef"]}]}]}}
""" % ("%s", mode, INTERVAL, MAX_MISSED, users, DOMAIN)


class Server:
    def __init__(self, exe, mode):
        self.dir = tempfile.mkdtemp(prefix="sipfront-nat-")
        path = os.path.join(self.dir, "sipfront.json")
        with open(path, "w") as f:
            f.write(config(mode) % os.path.join(self.dir, "var"))
        self.log = open(os.path.join(self.dir, "stderr"), "w+")
        self.proc = subprocess.Popen([exe, "--config", path], stderr=self.log)
        deadline = time.time() + 10
        self.port = None
        while time.time() < deadline and self.port is None:
            time.sleep(0.05)
            self.log.seek(0)
            m = re.search(r"listening on udp:127\.0\.0\.1:(\d+)", self.log.read())
            if m:
                self.port = int(m.group(1))
            if self.proc.poll() is not None:
                break
        if self.port is None:
            raise RuntimeError("server did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.seek(0)
        return self.proc.returncode, self.log.read()


class Device:
    def __init__(self, server, user, contact_host=None):
        self.server = server
        self.user = user
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.contact = "sip:%s@%s" % (user, contact_host or "127.0.0.1:%d" % self.port)
        self.cseq = 0
        self.call_id = "nat-%s-%d" % (user, os.getpid())

    def request(self, contact, auth=""):
        self.cseq += 1
        return ("REGISTER sip:%s SIP/2.0\r\n"
                "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s%d;rport\r\n"
                "Max-Forwards: 70\r\nFrom: <sip:%s@%s>;tag=t1\r\nTo: <sip:%s@%s>\r\n"
                "Call-ID: %s\r\nCSeq: %d REGISTER\r\n%s%sContent-Length: 0\r\n\r\n" %
                (DOMAIN, self.port, self.user, self.cseq, self.user, DOMAIN, self.user, DOMAIN,
                 self.call_id, self.cseq, contact, auth)).encode()

    def response(self, timeout=3):
        """The next response; requests (keepalives) met meanwhile are counted and dropped."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.time()))
            try:
                data = self.sock.recv(65535).decode()
            except socket.timeout:
                break
            if data.startswith("SIP/2.0"):
                return data
        raise RuntimeError("%s: no response" % self.user)

    def register(self, query=False):
        contact = "" if query else "Contact: <%s>\r\nExpires: 600\r\n" % self.contact
        self.sock.sendto(self.request(contact), ("127.0.0.1", self.server.port))
        r = self.response()
        if r.startswith("SIP/2.0 200"):
            return r
        nonce = re.search(r'nonce="([^"]+)"', r).group(1)
        realm = re.search(r'realm="([^"]+)"', r).group(1)
        uri = "sip:" + DOMAIN
        ha1 = hashlib.md5(("%s:%s:%s" % (self.user, realm, PASSWORD)).encode()).hexdigest()
        ha2 = hashlib.md5(("REGISTER:%s" % uri).encode()).hexdigest()
        resp = hashlib.md5(("%s:%s:00000001:c0ffee:auth:%s" % (ha1, nonce, ha2)).encode())
        auth = ('Authorization: Digest username="%s", realm="%s", nonce="%s", uri="%s", '
                'response="%s", algorithm=MD5, qop=auth, nc=00000001, cnonce="c0ffee"\r\n' %
                (self.user, realm, nonce, uri, resp.hexdigest()))
        self.sock.sendto(self.request(contact, auth), ("127.0.0.1", self.server.port))
        r = self.response()
        if not r.startswith("SIP/2.0 200"):
            raise RuntimeError("%s: REGISTER answered %s" % (self.user, r.splitlines()[0]))
        return r

    def pings(self, seconds, answer):
        """Keepalives received within `seconds` (answered with 200 when `answer`)."""
        got = []
        deadline = time.time() + seconds
        while time.time() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.time()))
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                break
            got.append((time.time(), data))
            text = data.decode(errors="replace")
            if answer and text.startswith("OPTIONS "):
                head = text.split("\r\n\r\n")[0].split("\r\n")
                keep = [h for h in head[1:] if h.split(":")[0].lower() in
                        ("via", "from", "to", "call-id", "cseq")]
                reply = "SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n"
                self.sock.sendto(reply.encode(), peer)
        return got


def main():
    exe = sys.argv[1]
    failures = []

    def check(name, ok, detail=""):
        print("%-40s %s %s" % (name, "ok" if ok else "FAIL", detail))
        if not ok:
            failures.append(name)

    server = Server(exe, "options")
    try:
        answering = Device(server, "answering", "192.0.2.10:5060")
        silent = Device(server, "silent", "192.0.2.11:5060")
        direct = Device(server, "direct")
        for d in (answering, silent, direct):
            d.register()
        # (MAX_MISSED + 2) intervals: the silent device runs out, the answering one does not.
        # The three sockets are read in turn, one interval at a time.
        got = {"answering": [], "silent": [], "direct": []}
        for _ in range(MAX_MISSED + 2):
            got["answering"] += answering.pings(INTERVAL / 2.0, True)
            got["silent"] += silent.pings(INTERVAL / 4.0, False)
            got["direct"] += direct.pings(INTERVAL / 4.0, False)
        options = [t for t, d in got["answering"] if d.startswith(b"OPTIONS sip:127.0.0.1:")]
        check("nat device gets OPTIONS", len(options) >= 2, "(%d)" % len(options))
        gaps = [b - a for a, b in zip(options, options[1:])]
        check("pings spread over the interval", all(g >= INTERVAL - 1.5 for g in gaps),
              "(gaps %s)" % ["%.1f" % g for g in gaps])
        check("silent nat device pinged", len(got["silent"]) >= 1, "(%d)" % len(got["silent"]))
        check("direct device not pinged", not got["direct"], "(%d)" % len(got["direct"]))
        time.sleep(1.5)
        r = answering.register(query=True)
        check("answering binding kept", "192.0.2.10" in r)
        r = silent.register(query=True)
        check("silent binding removed", "Contact:" not in r, r.splitlines()[0])
        r = direct.register(query=True)
        check("direct binding kept", "Contact:" in r)
        # STUN keepalive (RFC 5626 §4.4.2) on the SIP port.
        stun = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        stun.bind(("127.0.0.1", 0))
        stun.settimeout(2)
        tid = os.urandom(12)
        stun.sendto(struct.pack("!HHI", 1, 0, 0x2112A442) + tid, ("127.0.0.1", server.port))
        try:
            resp = stun.recv(200)
        except socket.timeout:
            resp = b""
        ok = False
        if len(resp) >= 32:
            kind, _, cookie = struct.unpack("!HHI", resp[:8])
            attr, _, _, family, xport = struct.unpack("!HHBBH", resp[20:28])
            xaddr = struct.unpack("!I", resp[28:32])[0] ^ 0x2112A442
            ok = (kind == 0x0101 and cookie == 0x2112A442 and resp[8:20] == tid and
                  attr == 0x0020 and family == 1 and
                  (xport ^ 0x2112) == stun.getsockname()[1] and
                  socket.inet_ntoa(struct.pack("!I", xaddr)) == "127.0.0.1")
        check("stun binding answered", ok, "(%d bytes)" % len(resp))
        stun.sendto(struct.pack("!HHI", 1, 0, 0x12345678) + tid, ("127.0.0.1", server.port))
        try:
            stun.recv(200)
            check("bad stun ignored", False)
        except socket.timeout:
            check("bad stun ignored", True)
    finally:
        rc, log = server.stop()
    m = re.search(r"nat keepalives: sent=(\d+) answered=(\d+) expired=(\d+) "
                  r"stun_answered=(\d+)", log)
    check("server exit 0", rc == 0, "(%s)" % rc)
    check("counters", m is not None and int(m.group(2)) >= 2 and int(m.group(3)) == 1 and
          int(m.group(4)) == 1,
          m.group(0) if m else log[-300:])

    server = Server(exe, "crlf")
    try:
        d = Device(server, "crlf", "192.0.2.12:5070")
        d.register()
        got = d.pings(INTERVAL + 2, False)
        check("crlf keepalive", any(data == b"\r\n\r\n" for _, data in got),
              "(%s)" % [data[:8] for _, data in got])
    finally:
        rc, _ = server.stop()
    check("crlf server exit 0", rc == 0)

    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
