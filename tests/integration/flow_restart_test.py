#!/usr/bin/env python3
"""Connection-bound bindings across a restart (issue 5): real sockets against a real sipfront.

Usage: flow_restart_test.py PATH/TO/sipfront

With "bind_to_connection": true, a binding registered over TCP belongs to its connection; the
connection dies with the process (kill -9 here: a clean stop closes the connections first,
which removes such bindings already), so after the restart the recovered TCP binding is
dropped while a UDP binding of the same server survives. With the default (false) both
survive.
Every wait is bounded; servers are killed in finally blocks. Exit 1 on failure.
"""
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

DOMAIN = "flows.sip.example"
PASSWORD = "Pw-flows-4k-secret"


def start(exe, data_dir, bind):
    cfg = {
        "listen": ["udp:127.0.0.1:0", "tcp:127.0.0.1:0"], "prefault": False,
        "max_bindings": 1000, "data_dir": data_dir,
        "registrar": {"min_expires": 60, "bind_to_connection": bind},
        "nat": {"keepalive": "off"},
        "provisioning": {"accounts": [{
            "sid": "AC" + "2" * 32,
            "credential_lists": [{"sid": "CL" + "2" * 32, "credentials": [
                {"username": u, "password": PASSWORD} for u in ("tcpuser", "udpuser")]}],
            "domains": [{"sid": "SD" + "2" * 32, "domain_name": DOMAIN, "sip_registration": True,
                         "registration_credential_lists": ["CL" + "2" * 32]}]}]},
    }
    path = os.path.join(os.path.dirname(data_dir), "sipfront-%s.json" % bind)
    with open(path, "w") as f:
        json.dump(cfg, f)
    log = tempfile.TemporaryFile("w+")
    proc = subprocess.Popen([exe, "--config", path], stderr=log)
    deadline = time.time() + 10
    ports = {}
    while time.time() < deadline and len(ports) < 2 and proc.poll() is None:
        time.sleep(0.05)
        log.seek(0)
        ports = {k: int(v) for k, v in
                 re.findall(r"listening on (udp|tcp):127\.0\.0\.1:(\d+)", log.read())}
    if len(ports) < 2:
        proc.kill()
        raise RuntimeError("server did not start")
    return proc, log, ports


def stop(proc, log, sig=signal.SIGTERM):
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    log.seek(0)
    return proc.returncode, log.read()


class Client:
    """A REGISTER client over UDP or TCP (one message per read is enough here)."""

    def __init__(self, transport, port, user):
        self.transport = transport
        self.user = user
        if transport == "udp":
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind(("127.0.0.1", 0))
            self.sock.connect(("127.0.0.1", port))
        else:
            self.sock = socket.create_connection(("127.0.0.1", port), timeout=3)
        self.sock.settimeout(3)
        self.local = self.sock.getsockname()[1]
        self.cseq = 0
        self.call_id = "fr-%s-%d-%d" % (user, os.getpid(), self.local)

    def transact(self, contact, auth=""):
        self.cseq += 1
        msg = ("REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/%s 127.0.0.1:%d;branch=z9hG4bKfr%d%d\r\n"
               "Max-Forwards: 70\r\nFrom: <sip:%s@%s>;tag=f\r\nTo: <sip:%s@%s>\r\n"
               "Call-ID: %s\r\nCSeq: %d REGISTER\r\n%s%sContent-Length: 0\r\n\r\n" %
               (DOMAIN, self.transport.upper(), self.local, self.local, self.cseq, self.user,
                DOMAIN, self.user, DOMAIN, self.call_id, self.cseq, contact, auth))
        self.sock.send(msg.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(65535)
            if not chunk:
                break
            data += chunk
        return data.decode(errors="replace")

    def register(self, contact_uri=None):
        contact = ("Contact: <%s>\r\nExpires: 600\r\n" % contact_uri) if contact_uri else ""
        r = self.transact(contact)
        if r.startswith("SIP/2.0 401"):
            nonce = re.search(r'nonce="([^"]+)"', r).group(1)
            realm = re.search(r'realm="([^"]+)"', r).group(1)
            uri = "sip:" + DOMAIN
            ha1 = hashlib.md5(("%s:%s:%s" % (self.user, realm, PASSWORD)).encode()).hexdigest()
            ha2 = hashlib.md5(("REGISTER:%s" % uri).encode()).hexdigest()
            resp = hashlib.md5(("%s:%s:00000001:ab:auth:%s" % (ha1, nonce, ha2)).encode())
            r = self.transact(contact, (
                'Authorization: Digest username="%s", realm="%s", nonce="%s", uri="%s", '
                'response="%s", algorithm=MD5, qop=auth, nc=00000001, cnonce="ab"\r\n' %
                (self.user, realm, nonce, uri, resp.hexdigest())))
        return r

    def close(self):
        self.sock.close()


def run(exe, bind, check):
    tmp = tempfile.mkdtemp(prefix="sipfront-flows-")
    data_dir = os.path.join(tmp, "var")
    tcp_contact = "sip:tcpuser@127.0.0.1:5999;transport=tcp"
    udp_contact = "sip:udpuser@127.0.0.1:5998"
    proc, log, ports = start(exe, data_dir, bind)
    try:
        t = Client("tcp", ports["tcp"], "tcpuser")
        check("bind=%s: tcp register" % bind, t.register(tcp_contact).startswith("SIP/2.0 200"))
        u = Client("udp", ports["udp"], "udpuser")
        check("bind=%s: udp register" % bind, u.register(udp_contact).startswith("SIP/2.0 200"))
        u.close()
        # A crash: the TCP connection is still open and dies with the process; the journal
        # holds both bindings (each 200 left after its record was written).
        rc, _ = stop(proc, log, signal.SIGKILL)
        t.close()
        check("bind=%s: first server killed" % bind, rc == -signal.SIGKILL, "(%s)" % rc)
        proc, log, ports = start(exe, data_dir, bind)
        q = Client("udp", ports["udp"], "tcpuser")
        r1 = q.register()
        q.close()
        q = Client("udp", ports["udp"], "udpuser")
        r2 = q.register()
        q.close()
        if bind:
            check("bind=true: tcp binding dropped at restart", tcp_contact not in r1,
                  r1.splitlines()[0])
        else:
            check("bind=false: tcp binding kept across restart", tcp_contact in r1)
        check("bind=%s: udp binding kept across restart" % bind, udp_contact in r2)
    finally:
        rc, text = stop(proc, log)
    check("bind=%s: second server exit 0" % bind, rc == 0, "(%s)" % rc)
    dropped = re.search(r"bind_to_connection: dropped (\d+)", text)
    if bind:
        check("bind=true: drop reported", dropped is not None and dropped.group(1) == "1",
              dropped.group(0) if dropped else "")
    else:
        check("bind=false: nothing dropped", dropped is None)


def main():
    exe = sys.argv[1]
    failures = []

    def check(name, ok, detail=""):
        print("%-52s %s %s" % (name, "ok" if ok else "FAIL", detail))
        if not ok:
            failures.append(name)

    for bind in (True, False):
        try:
            run(exe, bind, check)
        except Exception as e:  # noqa: BLE001 - reported as a failure
            check("bind=%s: run" % bind, False, str(e))
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
