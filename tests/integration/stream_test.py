#!/usr/bin/env python3
"""SIP over TCP end to end: framing, connection limits, outbound, Path, flow-bound bindings.

Usage: stream_test.py PATH/TO/sipfront [--sipp PATH] [--scenarios DIR] [--only NAME,...] [--keep]

For each io backend ("uring", then "mmsg") the runner starts sipfront on udp:127.0.0.1:0 and
tcp:127.0.0.1:0 with a temp config per group of cases (each group needs its own connection
limits), reads the ports from its stderr, runs the cases with a small SIP client of its own
(Python sockets, digest MD5), stops the server with SIGTERM and checks its exit code and its
"sipfront: connections:" counters. The groups:

  basic     register (401 then 200 on the same connection, Contact, expires, Via received=
            and rport=), fragmented (1-byte writes; a body in 13 pieces), pipelined (four
            requests in one write, four answers in order), burst (1000 OPTIONS in one
            write, 1000 answers in order), crlf (CRLFCRLF ping gets a CRLF pong, a bare
            CRLF between messages is ignored), oversize (max_message_bytes 2048: 2048
            bytes pass, 2049 get 513; a 3000-byte body: 513 then close; a 3000-byte header:
            closed; a neighbour connection unaffected), bad_framing (an unusable
            Content-Length: closed), outbound (Require: outbound and Flow-Timer), path
            (Path echoed), survives_close (bind_to_connection false), sipp over TCP
            (tests/integration/sipp/tcp_auth_ok.xml, when sipp is installed)
  slowloris message_timeout_ms 500: half a message, and a message trickled byte by byte,
            are cut while a neighbour connection keeps working; a slow complete one is not
  per_ip    max_per_ip 3, max 5: the 4th connection from 127.0.0.1 is closed at once,
            127.0.0.2 still gets in, the 6th in all is closed; a freed slot is reusable
  idle      idle_timeout_s 1: a silent connection is closed after about 1 s, one that
            pings every 0.4 s is kept
  flows     bind_to_connection true, 2 workers: 8 AORs registered over TCP (one connection
            each, and 8 more pipelined in one write over one shared connection, answered in
            any order) vanish when their connection closes; a UDP binding of an AOR stays

Counters relied on (regex on the stop summary): connections: accepted, refused,
idle_timeouts, message_timeouts, oversize. Should the server refuse stream listeners with
io mmsg while it takes them with uring, the mmsg groups are skipped with its message.

One line per case, a summary, exit 1 on any failure. Every wait is bounded; the server is
killed in a finally block. A sipp case is skipped without sipp; nothing else needs a tool.
tls_test.py and baresip_test.py import the client and server helpers from here.
"""
import argparse
import hashlib
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

DOMAIN = "acme.sip.example"  # sipp/tcp_auth_ok.xml names it too
START_TIMEOUT_S = 15
STOP_TIMEOUT_S = 10
IO_TIMEOUT_S = 3.0  # one request's answer
SIPP_TIMEOUT_S = 20
FLOW_TIMER = 95  # not the default 120, so the config key is seen to work

USERS = {name: "Pw-" + name + "-Tc9-secret" for name in (
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
    "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter")
    + tuple(f"u{i:02d}" for i in range(1, 17)) + ("kate",)}

results = []  # (label, ok)


def report(label, ok, seconds, detail=""):
    results.append((label, ok))
    print(f"{'PASS' if ok else 'FAIL'} {label} ({seconds:.2f} s){': ' + detail if detail else ''}",
          flush=True)


def skip(label, why):
    print(f"SKIP {label}: {why}", flush=True)


def summary(t0):
    failed = [label for label, ok in results if not ok]
    print(f"{len(results) - len(failed)}/{len(results)} passed in "
          f"{time.monotonic() - t0:.1f} s" + (f"; failed: {', '.join(failed)}" if failed else ""),
          flush=True)
    return 1 if failed or not results else 0


class CaseFailure(Exception):
    """A check inside a case failed; the message says what was sent and what came back."""


def expect(cond, what):
    if not cond:
        raise CaseFailure(what)


# ------------------------------------------------------------------------------------------
# The server


def sid(prefix, n):
    return f"{prefix}{n:032x}"


def make_config(tmp, io="uring", workers=1, listen=("udp", "tcp"), connections=None,
                registrar=None, tls=None, users=None, domain=DOMAIN):
    """The server config as a dict (json.dumps writes it); ports 0 on 127.0.0.1."""
    users = USERS if users is None else users
    reg = {"min_expires": 2, "max_expires": 3600, "default_expires": 3600,
           "max_contacts_per_aor": 20, "nonce_lifetime": 300, "flow_timer": FLOW_TIMER,
           "digest_algorithms": ["MD5", "SHA-256"]}
    reg.update(registrar or {})
    cfg = {
        "listen": [f"{t}:127.0.0.1:0" for t in listen],
        "workers": workers,
        "io": io,
        "max_bindings": 10000,
        "prefault": False,
        "data_dir": os.path.join(tmp, "var"),
        "registrar": reg,
        "journal": {"enabled": False},
        "storm": {"max_delay_ms": 0},
        "provisioning": {"accounts": [{
            "sid": sid("AC", 7), "auth_token": "stream-test-token",
            "credential_lists": [{"sid": sid("CL", 7), "friendly_name": "test users",
                                  "credentials": [{"username": u, "password": p}
                                                  for u, p in users.items()]}],
            "domains": [{"sid": sid("SD", 7), "domain_name": domain, "sip_registration": True,
                         "registration_credential_lists": [sid("CL", 7)]}]}]},
    }
    if connections:
        cfg["connections"] = connections
    if tls is not None:
        cfg["tls"] = tls
    return cfg


class Server:
    """sipfront in a child process (cwd TMP); stderr goes to a file that start() and stop()
    read.

    cfg: a dict (written to TMP/NAME.json), or None: then config_file (used as it is) or,
    without one, the embedded default (no --config). streams: the stream transports to wait
    for (default: those in cfg; tcp and tls otherwise). After start(): ports {"udp": P,
    "tcp": P, "tls": P} (those listening), backend ("io_uring" or "mmsg")."""

    def __init__(self, exe, tmp, cfg, name="sipfront", config_file=None, streams=None):
        self.exe, self.tmp, self.cfg = exe, tmp, cfg
        self.err_path = os.path.join(tmp, name + ".stderr")
        self.conf_path = config_file or os.path.join(tmp, name + ".json")
        self.config_file = config_file
        self.streams = streams
        self.proc = None
        self.ports = {}
        self.backend = None
        self.offset = 0  # stderr before this start() (restarts append)

    def stderr_text(self, since_start=False):
        try:
            with open(self.err_path, errors="replace") as f:
                text = f.read()
        except OSError:
            return ""
        return text[self.offset:] if since_start else text

    def expected_streams(self):
        if self.streams is not None:
            return set(self.streams)
        if self.cfg is None:
            return {"tcp", "tls"}
        return {entry.split(":", 1)[0] for entry in self.cfg["listen"]} - {"udp"}

    def start(self):
        args = [self.exe]
        if self.cfg is not None:
            with open(self.conf_path, "w") as f:
                json.dump(self.cfg, f, indent=2)
            args += ["--config", self.conf_path]
        elif self.config_file:
            args += ["--config", self.config_file]
        self.offset = len(self.stderr_text())
        with open(self.err_path, "a") as err:
            self.proc = subprocess.Popen(args, cwd=self.tmp, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=err)
        want = self.expected_streams()
        deadline = time.monotonic() + START_TIMEOUT_S
        udp_seen = None
        while time.monotonic() < deadline:
            text = self.stderr_text(since_start=True)
            m = re.search(r"sipfront: listening on udp:127\.0\.0\.1:(\d+) with \d+ worker\(s\), "
                          r"([\w-]+),", text)
            streams = dict((t, int(p)) for t, p in re.findall(
                r"sipfront: listening on (tcp|tls):127\.0\.0\.1:(\d+)", text))
            if m and want <= set(streams):
                self.ports = {"udp": int(m.group(1))}
                self.ports.update(streams)
                self.backend = m.group(2)
                return
            if m and udp_seen is None:
                udp_seen = time.monotonic()
            if udp_seen is not None and time.monotonic() - udp_seen > 2.0:
                raise CaseFailure(f"sipfront listens on udp but reports no "
                                  f"{', '.join(sorted(want - set(streams)))} listener:\n{text}")
            if self.proc.poll() is not None:
                raise CaseFailure(f"sipfront exited with {self.proc.returncode} before listening "
                                  f"on {', '.join(sorted({'udp'} | want))}:\n{text}")
            time.sleep(0.02)
        raise CaseFailure(f"sipfront did not report its {', '.join(sorted({'udp'} | want))} "
                          f"ports within {START_TIMEOUT_S} s:\n{self.stderr_text(True)}")

    def stop(self):
        """SIGTERM, bounded wait; returns (exit code, counters)."""
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=STOP_TIMEOUT_S)
        return rc, parse_counters(self.stderr_text(since_start=True))

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT_S)


def parse_counters(text):
    """{"stopped": {...}, "outcomes": {...}, "parse_errors": {...}, "connections": {...}}."""
    sections = {"stopped": "sipfront: stopped.", "outcomes": "sipfront: register outcomes:",
                "parse_errors": "sipfront: parse errors:",
                "connections": "sipfront: connections:"}
    out = {}
    for key, prefix in sections.items():
        for line in text.splitlines():
            if line.startswith(prefix):
                out[key] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line[len(prefix):])}
    return out


def check_stop(server, minimums):
    """SIGTERM; exit 0 and each connections counter >= its minimum. Returns problems."""
    rc, counters = server.stop()
    problems = [] if rc == 0 else [f"exit code {rc}"]
    conns = counters.get("connections")
    if conns is None:
        problems.append("no 'sipfront: connections:' line in the stop summary")
        conns = {}
    for key, minimum in minimums.items():
        if conns.get(key, 0) < minimum:
            problems.append(f"connections.{key}={conns.get(key)} (want >= {minimum})")
    return problems, counters


# ------------------------------------------------------------------------------------------
# SIP messages


class Msg:
    """One parsed SIP message: status (None for a request), headers [(name, value)], body."""

    def __init__(self, raw):
        self.raw = raw
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("utf-8", "replace").split("\r\n")
        self.start = lines[0]
        self.headers = []
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and self.headers:  # folded continuation
                name, value = self.headers[-1]
                self.headers[-1] = (name, value + " " + line.strip())
                continue
            name, _, value = line.partition(":")
            self.headers.append((name.strip(), value.strip()))
        m = re.match(r"SIP/2\.0 (\d{3}) ?(.*)", self.start)
        self.status = int(m.group(1)) if m else None
        self.reason = m.group(2) if m else None

    def all(self, name):
        name = name.lower()
        return [v for n, v in self.headers if n.lower() == name]

    def get(self, name):
        values = self.all(name)
        return values[0] if values else None

    def text(self):
        return self.raw.decode("utf-8", "replace")

    def __repr__(self):
        return self.text()


def split_list(values):
    """Header values as comma-separated lists ("a, <b>" -> ["a", "<b>"]), commas inside <> or
    quotes left alone."""
    out = []
    for value in values:
        depth, quoted, cur = 0, False, ""
        for ch in value:
            if ch == '"':
                quoted = not quoted
            elif not quoted and ch == "<":
                depth += 1
            elif not quoted and ch == ">":
                depth -= 1
            if ch == "," and depth == 0 and not quoted:
                out.append(cur.strip())
                cur = ""
            else:
                cur += ch
        if cur.strip():
            out.append(cur.strip())
    return out


def content_length(head):
    m = re.search(rb"\r\n(?:content-length|l)[ \t]*:[ \t]*(\d+)", head, re.IGNORECASE)
    return int(m.group(1)) if m else 0


def new_branch():
    return "z9hG4bK-%016x" % random.getrandbits(64)


def new_call_id(tag="st"):
    return "%s-%016x@127.0.0.1" % (tag, random.getrandbits(64))


def request(method, ruri, transport, local_port, call_id, cseq, user, domain=DOMAIN,
            contacts=(), expires=None, extra=(), auth=None, body=b"", to_user=True):
    """A request as bytes. local_port goes in the Via (sent-by)."""
    lines = [
        f"{method} {ruri} SIP/2.0",
        f"Via: SIP/2.0/{transport} 127.0.0.1:{local_port};branch={new_branch()};rport",
        "Max-Forwards: 70",
        f"From: <sip:{user}@{domain}>;tag={random.getrandbits(32):08x}",
        f"To: <sip:{user}@{domain}>" if to_user else f"To: <sip:{domain}>",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} {method}",
    ]
    lines += [f"Contact: {c}" for c in contacts]
    if expires is not None:
        lines.append(f"Expires: {expires}")
    if auth:
        lines.append("Authorization: " + auth)
    lines += list(extra)
    lines += [f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(lines).encode() + body


def digest(challenge, user, password, method, uri, nc=1):
    """Authorization value answering the MD5 challenge among the 401's WWW-Authenticate."""
    chosen = None
    for value in challenge.all("WWW-Authenticate"):
        params = dict((k.lower(), v1 or v2) for k, v1, v2 in
                      re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', value))
        if params.get("algorithm", "MD5").upper() == "MD5":
            chosen = params
            break
    expect(chosen is not None, f"no MD5 challenge in:\n{challenge.text()}")
    realm, nonce = chosen["realm"], chosen["nonce"]
    ha1 = hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
    cnonce = "%016x" % random.getrandbits(64)
    ncv = "%08x" % nc
    resp = hashlib.md5(f"{ha1}:{nonce}:{ncv}:{cnonce}:auth:{ha2}".encode()).hexdigest()
    return (f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
            f'response="{resp}", algorithm=MD5, cnonce="{cnonce}", qop=auth, nc={ncv}')


# ------------------------------------------------------------------------------------------
# Transports


class Closed(Exception):
    """The peer closed the connection (or reset it) while a message was awaited."""


class StreamConn:
    """One TCP (or TLS, with an ssl.SSLContext) connection and a receive buffer."""

    def __init__(self, port, ssl_ctx=None, source="127.0.0.1", server_hostname="localhost",
                 handshake=True, timeout=IO_TIMEOUT_S):
        self.transport = "TLS" if ssl_ctx is not None else "TCP"
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        raw.settimeout(timeout)
        try:
            raw.bind((source, 0))
            raw.connect(("127.0.0.1", port))
            if ssl_ctx is not None and handshake:
                raw = ssl_ctx.wrap_socket(raw, server_hostname=server_hostname)
        except BaseException:
            raw.close()
            raise
        self.sock = raw
        self.local_port = raw.getsockname()[1]
        self.buf = b""
        self.closed_by_peer = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        self.sock.sendall(data)

    def send_slowly(self, data, chunk=1, delay=0.001):
        """One write per `chunk` bytes (TCP_NODELAY: separate segments; TLS: separate
        records), `delay` seconds apart."""
        for i in range(0, len(data), chunk):
            self.sock.sendall(data[i:i + chunk])
            if delay:
                time.sleep(delay)

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("timed out")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError) as e:
            self.closed_by_peer = True
            raise Closed(f"connection reset ({e})") from e
        except OSError as e:  # ssl.SSLError (unexpected EOF) is an OSError
            if isinstance(e, socket.timeout):
                raise
            self.closed_by_peer = True
            raise Closed(f"connection failed ({type(e).__name__}: {e})") from e
        if not data:
            self.closed_by_peer = True
            raise Closed("connection closed by the server")
        self.buf += data

    def read_message(self, timeout=IO_TIMEOUT_S):
        """The next whole message (Content-Length framing). Raises Closed or socket.timeout;
        bytes before the message that are not a message (a pong) raise CaseFailure."""
        deadline = time.monotonic() + timeout
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                expect(not self.buf.startswith(b"\r\n"),
                       f"unexpected CRLF before a message: {self.buf[:80]!r}")
                need = end + 4 + content_length(self.buf[:end + 2])
                if len(self.buf) >= need:
                    raw, self.buf = self.buf[:need], self.buf[need:]
                    return Msg(raw)
            self._fill(deadline)

    def read_bytes(self, n, timeout=IO_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while len(self.buf) < n:
            self._fill(deadline)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def quiet_for(self, seconds):
        """True when nothing arrives (and no close) within `seconds`."""
        if self.buf:
            return False
        try:
            self._fill(time.monotonic() + seconds)
        except socket.timeout:
            return True
        except Closed:
            return False
        return False

    def wait_closed(self, timeout):
        """Reads until the server closes. Returns (closed, seconds waited, bytes received)."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        got = self.buf
        self.buf = b""
        while True:
            try:
                self._fill(deadline)
            except Closed:
                return True, time.monotonic() - t0, got + self.buf
            except socket.timeout:
                return False, time.monotonic() - t0, got + self.buf
            got += self.buf
            self.buf = b""

    def transact(self, data, timeout=IO_TIMEOUT_S):
        self.send(data)
        return self.read_message(timeout)


class UdpConn:
    """A UDP socket with the same transact() as StreamConn (retransmits: none needed on lo)."""

    transport = "UDP"

    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = port
        self.local_port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()

    def transact(self, data, timeout=IO_TIMEOUT_S):
        call_id = re.search(rb"\r\nCall-ID: ([^\r]+)", data).group(1)
        cseq = re.search(rb"\r\nCSeq: ([^\r]+)", data).group(1)
        self.sock.sendto(data, ("127.0.0.1", self.port))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no UDP answer")
            self.sock.settimeout(left)
            raw, _ = self.sock.recvfrom(65535)
            msg = Msg(raw)
            if (msg.get("Call-ID") or "").encode() == call_id and \
                    (msg.get("CSeq") or "").encode() == cseq:
                return msg


def register(conn, user, password=None, contacts=(), expires=None, extra=(), ruri=None,
             call_id=None, cseq=1, domain=DOMAIN):
    """REGISTER, 401, REGISTER with digest: returns (challenge, final answer). The request
    line and the digest uri are `ruri` (default sip:DOMAIN)."""
    password = USERS[user] if password is None else password
    ruri = ruri or f"sip:{domain}"
    call_id = call_id or new_call_id("reg")
    first = conn.transact(request("REGISTER", ruri, conn.transport, conn.local_port, call_id,
                                  cseq, user, domain, contacts, expires, extra))
    if first.status != 401:
        return first, first
    auth = digest(first, user, password, "REGISTER", ruri)
    final = conn.transact(request("REGISTER", ruri, conn.transport, conn.local_port, call_id,
                                  cseq + 1, user, domain, contacts, expires, extra, auth))
    return first, final


def register_ok(conn, user, contacts=(), expires=None, extra=(), ruri=None, domain=DOMAIN,
                password=None):
    """register() that must end in 200; returns the 200."""
    challenge, final = register(conn, user, password, contacts, expires, extra, ruri,
                                domain=domain)
    expect(challenge.status == 401,
           f"{user}: the first REGISTER got {challenge.status}, want 401:\n{challenge.text()}")
    expect(final.status == 200,
           f"{user}: the authenticated REGISTER got {final.status}, want 200:\n{final.text()}")
    return final


def contacts_of(msg):
    """{uri: {param: value}} of a 200's Contact headers."""
    out = {}
    for value in split_list(msg.all("Contact")):
        m = re.match(r"\s*<([^>]*)>(.*)", value)
        if not m:
            continue
        params = {}
        for p in m.group(2).split(";"):
            if p.strip():
                k, _, v = p.strip().partition("=")
                params[k.lower()] = v
        out[m.group(1)] = params
    return out


def query(udp_port, user, domain=DOMAIN, password=None):
    """The bindings of an AOR, by a REGISTER without Contact over UDP: {uri: params}."""
    c = UdpConn(udp_port)
    try:
        return contacts_of(register_ok(c, user, domain=domain, password=password))
    finally:
        c.close()


def options(conn, user="alice", timeout=IO_TIMEOUT_S):
    """OPTIONS to the domain; returns the answer (the server answers 200 without a challenge)."""
    return conn.transact(request("OPTIONS", f"sip:{DOMAIN}", conn.transport, conn.local_port,
                                 new_call_id("opt"), 1, user, to_user=False), timeout)


def options_ok(conn, what):
    try:
        r = options(conn)
    except (Closed, socket.timeout, OSError) as e:
        raise CaseFailure(f"{what}: OPTIONS got no answer ({type(e).__name__}: {e})") from e
    expect(r.status == 200, f"{what}: OPTIONS got {r.status}:\n{r.text()}")


def tcp_contact(conn, user, params=""):
    return f"<sip:{user}@127.0.0.1:{conn.local_port};transport={conn.transport.lower()}{params}>"


def via_params(msg):
    via = msg.get("Via") or msg.get("v") or ""
    return dict((k.lower(), v) for k, v in re.findall(r";\s*([\w.-]+)(?:=([^;,\s]*))?", via))


def run_case(label, fn, *args):
    """Runs one case; CaseFailure and unexpected errors are a FAIL line, not an abort."""
    t = time.monotonic()
    try:
        detail = fn(*args) or ""
        report(label, True, time.monotonic() - t, detail)
        return True
    except CaseFailure as e:
        report(label, False, time.monotonic() - t, str(e))
    except (Closed, socket.timeout, OSError) as e:
        report(label, False, time.monotonic() - t, f"{type(e).__name__}: {e}")
    return False


# ------------------------------------------------------------------------------------------
# Cases: basic


def case_register(s):
    c = StreamConn(s.ports["tcp"])
    try:
        contact = tcp_contact(c, "alice")
        challenge, ok = register(c, "alice", contacts=[contact], expires=600)
        expect(challenge.status == 401, f"want 401, got:\n{challenge.text()}")
        algs = re.findall(r"algorithm=([\w-]+)", " ".join(challenge.all("WWW-Authenticate")))
        expect(algs == ["MD5", "SHA-256"], f"challenges {algs}, want MD5 then SHA-256")
        expect(ok.status == 200, f"want 200, got:\n{ok.text()}")
        got = contacts_of(ok)
        uri = contact[1:-1]
        expect(list(got) == [uri], f"Contact list {list(got)}, want [{uri}]:\n{ok.text()}")
        expect(got[uri].get("expires") in ("600", "599"), f"expires {got[uri]}:\n{ok.text()}")
        via = via_params(ok)
        expect(via.get("received") == "127.0.0.1" and via.get("rport") == str(c.local_port),
               f"Via {ok.get('Via')!r}: want received=127.0.0.1;rport={c.local_port}")
        expect(ok.get("Content-Length") == "0", f"Content-Length {ok.get('Content-Length')!r}")
        expect(ok.get("Date") is not None, "no Date in the 200")
        # the same connection goes on serving, and the binding is there for everyone
        expect(c.quiet_for(0.1), f"unexpected bytes after the 200: {c.buf!r}")
        listed = contacts_of(register_ok(c, "alice"))
        expect(uri in listed, f"query over TCP lists {listed}")
        expect(uri in query(s.ports["udp"], "alice"), "query over UDP does not list it")
    finally:
        c.close()


def case_fragmented(s):
    c = StreamConn(s.ports["tcp"])
    try:
        contact = tcp_contact(c, "bob")
        call_id = new_call_id("frag")
        first = request("REGISTER", f"sip:{DOMAIN}", "TCP", c.local_port, call_id, 1, "bob",
                        contacts=[contact], expires=600)
        c.send_slowly(first, 1, 0.001)
        challenge = c.read_message()
        expect(challenge.status == 401, f"fragmented REGISTER: want 401, got:\n{challenge.text()}")
        auth = digest(challenge, "bob", USERS["bob"], "REGISTER", f"sip:{DOMAIN}")
        second = request("REGISTER", f"sip:{DOMAIN}", "TCP", c.local_port, call_id, 2, "bob",
                         contacts=[contact], expires=600, auth=auth)
        c.send_slowly(second, 1, 0.001)
        ok = c.read_message()
        expect(ok.status == 200 and contact[1:-1] in contacts_of(ok),
               f"fragmented authenticated REGISTER: want 200 listing {contact}, got:\n{ok.text()}")
        # A body split at random points: framing must take exactly Content-Length bytes.
        body = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" * 3
        opt = request("OPTIONS", f"sip:{DOMAIN}", "TCP", c.local_port, new_call_id("fb"), 7,
                      "bob", extra=["Content-Type: application/sdp"], body=body, to_user=False)
        cuts = sorted(random.sample(range(1, len(opt)), 12))
        for a, b in zip([0] + cuts, cuts + [len(opt)]):
            c.send(opt[a:b])
            time.sleep(0.005)
        r = c.read_message()
        expect(r.status == 200 and (r.get("CSeq") or "").startswith("7 "),
               f"OPTIONS with a body in 13 pieces: want 200 for CSeq 7, got:\n{r.text()}")
        options_ok(c, "after the fragmented body")
    finally:
        c.close()


def case_pipelined(s):
    c = StreamConn(s.ports["tcp"])
    try:
        # a nonce first (stateless nonces serve any user of the realm)
        challenge = c.transact(request("REGISTER", f"sip:{DOMAIN}", "TCP", c.local_port,
                                       new_call_id("pn"), 1, "carol"))
        expect(challenge.status == 401, f"want 401, got:\n{challenge.text()}")
        batch, want = b"", []
        for i, (method, user) in enumerate([("OPTIONS", "carol"), ("REGISTER", "carol"),
                                            ("REGISTER", "dave"), ("OPTIONS", "dave")]):
            call_id = new_call_id(f"pipe{i}")
            if method == "OPTIONS":
                batch += request("OPTIONS", f"sip:{DOMAIN}", "TCP", c.local_port, call_id, 10 + i,
                                 user, to_user=False)
            else:
                auth = digest(challenge, user, USERS[user], "REGISTER", f"sip:{DOMAIN}")
                batch += request("REGISTER", f"sip:{DOMAIN}", "TCP", c.local_port, call_id,
                                 10 + i, user, contacts=[tcp_contact(c, user)], expires=600,
                                 auth=auth)
            want.append((call_id, f"{10 + i} {method}"))
        c.send(batch)  # one write: 4 messages in one segment
        for call_id, cseq in want:
            r = c.read_message()
            expect(r.status == 200 and r.get("Call-ID") == call_id and r.get("CSeq") == cseq,
                   f"want 200 for {cseq} ({call_id}) in order, got:\n{r.text()}")
        expect(c.quiet_for(0.2), f"more than 4 answers: {c.buf!r}")
    finally:
        c.close()


def case_burst(s):
    """1000 OPTIONS in one write (about 260 kB): 1000 answers, in order."""
    c = StreamConn(s.ports["tcp"])
    try:
        n_req = 1000
        c.send(b"".join(request("OPTIONS", f"sip:{DOMAIN}", "TCP", c.local_port, f"burst-{i}@x",
                                i + 1, "alice", to_user=False) for i in range(n_req)))
        for i in range(n_req):
            try:
                r = c.read_message(10.0 if i == 0 else IO_TIMEOUT_S)
            except (Closed, socket.timeout) as e:
                raise CaseFailure(f"{i} of {n_req} answered, then {type(e).__name__}: {e}") from e
            expect(r.status == 200 and r.get("CSeq") == f"{i + 1} OPTIONS",
                   f"answer {i + 1}: want 200 for CSeq {i + 1}, got:\n{r.text()}")
    finally:
        c.close()


def case_crlf(s):
    c = StreamConn(s.ports["tcp"])
    try:
        c.send(b"\r\n\r\n")
        pong = c.read_bytes(2)
        expect(pong == b"\r\n", f"pong {pong!r}, want CRLF")
        expect(c.quiet_for(0.3), f"more than a CRLF after the ping: {c.buf!r}")
        # a bare CRLF between two messages is ignored: two answers, no pong
        one = request("OPTIONS", f"sip:{DOMAIN}", "TCP", c.local_port, new_call_id("k1"), 1,
                      "erin", to_user=False)
        two = request("OPTIONS", f"sip:{DOMAIN}", "TCP", c.local_port, new_call_id("k2"), 2,
                      "erin", to_user=False)
        c.send(one + b"\r\n" + two)
        for n in (1, 2):
            r = c.read_message()
            expect(r.status == 200 and (r.get("CSeq") or "").startswith(f"{n} "),
                   f"OPTIONS {n} around a bare CRLF: got\n{r.text()}")
        expect(c.quiet_for(0.3), f"bytes after the two answers: {c.buf!r}")
        c.send(b"\r\n\r\n")  # pings keep working after messages
        expect(c.read_bytes(2) == b"\r\n", "no pong to the second ping")
    finally:
        c.close()


def sized_options(conn, total):
    """An OPTIONS of exactly `total` bytes (headers and body)."""
    def build(n):
        return request("OPTIONS", f"sip:{DOMAIN}", "TCP", conn.local_port,
                       "sized-0123456789abcdef@127.0.0.1", 1, "frank",
                       extra=["Content-Type: text/plain"], body=b"s" * n, to_user=False)
    n = total - len(build(0))
    n -= len(build(n)) - total  # the Content-Length value grows by a digit or more
    data = build(n)
    expect(len(data) == total, f"test bug: {len(data)} bytes, want {total}")
    return data


def case_bad_framing(s):
    """A Content-Length that cannot frame the stream: answered 400 (or not), and closed."""
    neighbour = StreamConn(s.ports["tcp"])
    try:
        options_ok(neighbour, "neighbour before")
        good = request("OPTIONS", f"sip:{DOMAIN}", "TCP", 5060, new_call_id("bf"), 1, "frank",
                       to_user=False)
        for name, value in (("not a number", b"abc"), ("negative", b"-5"),
                            ("over 2^64", b"99999999999999999999")):
            c = StreamConn(s.ports["tcp"])
            try:
                c.send(good.replace(b"Content-Length: 0", b"Content-Length: " + value))
                closed, _, extra = c.wait_closed(3.0)
                expect(closed, f"Content-Length {name}: the connection stays open")
                expect(not extra or re.match(rb"SIP/2\.0 4\d\d ", extra),
                       f"Content-Length {name}: got {extra[:200]!r}")
            finally:
                c.close()
        options_ok(neighbour, "neighbour after")
    finally:
        neighbour.close()


def case_oversize(s):
    """max_message_bytes 2048: a 3000-byte body, a 3000-byte header, 2048 and 2049 bytes."""
    neighbour = StreamConn(s.ports["tcp"])
    notes = []
    try:
        options_ok(neighbour, "neighbour before")
        # body: the size is known from Content-Length before it is read
        c = StreamConn(s.ports["tcp"])
        try:
            data = request("OPTIONS", f"sip:{DOMAIN}", "TCP", c.local_port, new_call_id("big"), 1,
                           "frank", extra=["Content-Type: text/plain"], body=b"x" * 3000,
                           to_user=False)
            branch = re.search(rb"branch=([^;\r]+)", data).group(1).decode()
            try:
                c.send(data)
            except OSError:
                pass  # a close racing the write; the answer may still be buffered
            try:
                r = c.read_message()
            except (Closed, socket.timeout) as e:
                raise CaseFailure(f"3000-byte body: want 513 then close, got {e}") from e
            expect(r.status == 513, f"3000-byte body: want 513, got:\n{r.text()}")
            expect(branch in (r.get("Via") or ""), f"513 Via {r.get('Via')!r} lost the branch")
            closed, waited, extra = c.wait_closed(3.0)
            expect(closed, "3000-byte body: the connection stays open after the 513")
            expect(not extra, f"bytes after the 513: {extra!r}")
        finally:
            c.close()
        # header: the size is known only while the header block is read
        c = StreamConn(s.ports["tcp"])
        try:
            data = request("OPTIONS", f"sip:{DOMAIN}", "TCP", c.local_port, new_call_id("bigh"),
                           1, "frank", extra=["X-Padding: " + "y" * 3000], to_user=False)
            try:
                c.send(data)
            except OSError:
                pass
            closed, waited, extra = c.wait_closed(3.0)
            expect(closed, "3000-byte header: the connection stays open")
            got = Msg(extra).status if extra.startswith(b"SIP/2.0") else None
            expect(got in (513, None), f"3000-byte header: got {extra[:200]!r}")
            notes.append("3000-byte header: " + ("513 then close" if got else
                                                 "closed without an answer"))
        finally:
            c.close()
        options_ok(neighbour, "neighbour after")
        # the limit itself: 2048 bytes in all pass, 2049 do not
        for total, want in ((2048, 200), (2049, 513)):
            c = StreamConn(s.ports["tcp"])
            try:
                data = sized_options(c, total)
                r = c.transact(data)
                expect(r.status == want, f"a {total}-byte OPTIONS (max_message_bytes 2048): "
                       f"want {want}, got\n{r.text()[:300]}")
            finally:
                c.close()
    finally:
        neighbour.close()
    return "; ".join(notes)


INSTANCE = '"<urn:uuid:00000000-0000-1000-8000-0123456789ab>"'


def case_outbound(s):
    c = StreamConn(s.ports["tcp"])
    try:
        contact = tcp_contact(c, "grace", ";ob") + f";+sip.instance={INSTANCE};reg-id=1"
        ok = register_ok(c, "grace", [contact], 600, ["Supported: outbound, path"])
        expect("outbound" in [t.lower() for t in split_list(ok.all("Require"))],
               f"no 'Require: outbound' in the 200:\n{ok.text()}")
        expect(ok.all("Flow-Timer") == [str(FLOW_TIMER)],
               f"Flow-Timer {ok.all('Flow-Timer')}, want [{FLOW_TIMER}]:\n{ok.text()}")
        got = contacts_of(ok)
        uri = tcp_contact(c, "grace", ";ob")[1:-1]
        expect(uri in got and got[uri].get("reg-id") == "1" and
               got[uri].get("+sip.instance") == INSTANCE,
               f"the 200's Contact lost +sip.instance/reg-id: {got}")
        # without Supported: outbound, no Require: outbound (RFC 5626 §6)
        plain = register_ok(c, "heidi", [tcp_contact(c, "heidi") +
                                         f";+sip.instance={INSTANCE};reg-id=1"], 600)
        expect(not plain.all("Require") and not plain.all("Flow-Timer"),
               f"Require/Flow-Timer without Supported: outbound:\n{plain.text()}")
        # the flow carries keepalives: ping/pong works on it afterwards
        c.send(b"\r\n\r\n")
        expect(c.read_bytes(2) == b"\r\n", "no pong on the outbound flow")
    finally:
        c.close()


def case_path(s):
    c = StreamConn(s.ports["tcp"])
    try:
        paths = ["<sip:edge1.example.net;lr>", "<sip:edge2.example.net:5070;transport=tcp;lr>"]
        ok = register_ok(c, "ivan", [tcp_contact(c, "ivan")], 600,
                         ["Supported: path", "Path: " + paths[0], "Path: " + paths[1]])
        got = split_list(ok.all("Path"))
        expect(got == paths, f"Path in the 200 {got}, want {paths}:\n{ok.text()}")
        # one Path header holding both values is the same vector
        ok = register_ok(c, "judy", [tcp_contact(c, "judy")], 600,
                         ["Supported: path", "Path: " + ", ".join(paths)])
        got = split_list(ok.all("Path"))
        expect(got == paths, f"Path (one header) in the 200 {got}, want {paths}:\n{ok.text()}")
    finally:
        c.close()


def case_survives_close(s):
    """bind_to_connection false (the default): the binding outlives its connection."""
    c = StreamConn(s.ports["tcp"])
    contact = tcp_contact(c, "mallory")
    try:
        register_ok(c, "mallory", [contact], 600)
    finally:
        c.close()
    time.sleep(0.5)
    got = query(s.ports["udp"], "mallory")
    expect(contact[1:-1] in got, f"after the close the binding is gone: {got}")


def free_tcp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, lines):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def case_sipp_tcp(s, sipp, scenarios, tmp, tag):
    err_file = os.path.join(tmp, f"{tag}.errors.log")
    msg_file = os.path.join(tmp, f"{tag}.messages.log")
    user = "niaj"
    for _attempt in range(3):
        cmd = [sipp, f"127.0.0.1:{s.ports['tcp']}", "-t", "t1",
               "-sf", os.path.join(scenarios, "tcp_auth_ok.xml"), "-i", "127.0.0.1",
               "-p", str(free_tcp_port()), "-nostdin", "-timeout", str(SIPP_TIMEOUT_S - 5),
               "-timeout_error", "-recv_timeout", "3000", "-default_behaviors", "none",
               "-trace_err", "-error_file", err_file, "-trace_msg", "-message_file", msg_file,
               "-m", "1", "-key", "user", user, "-key", "domain", DOMAIN,
               "-au", user, "-ap", USERS[user], "-auth_uri", DOMAIN]
        try:
            p = subprocess.run(cmd, cwd=tmp, stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=SIPP_TIMEOUT_S)
        except subprocess.TimeoutExpired as e:
            raise CaseFailure(f"sipp did not finish within {SIPP_TIMEOUT_S} s") from e
        out = (p.stdout + p.stderr).decode(errors="replace")
        if p.returncode != 0 and re.search(r"Unable to bind|Address already in use", out):
            continue
        break
    if p.returncode != 0:
        detail = f"sipp exit {p.returncode}\n--- sipp errors ---\n{tail(err_file, 60)}"
        if not os.path.exists(err_file) or os.path.getsize(err_file) == 0:
            detail += f"--- sipp output ---\n{out[-3000:]}"
        detail += f"--- last messages ---\n{tail(msg_file, 40)}"
        raise CaseFailure(detail)
    got = query(s.ports["udp"], user)
    expect(any(";transport=tcp" in u.lower() for u in got),
           f"sipp's TCP binding is not listed: {got}")


# ------------------------------------------------------------------------------------------
# Cases: limits


def closed_now(conn):
    """Non-blocking: True when the server has closed (or reset) `conn`; data is dropped."""
    try:
        r, _, _ = select.select([conn.sock], [], [], 0)
        while r:
            if not conn.sock.recv(4096):
                return True
            r, _, _ = select.select([conn.sock], [], [], 0)
    except OSError:
        return True
    return False


def case_slowloris(s):
    """message_timeout_ms 500."""
    neighbour = StreamConn(s.ports["tcp"])
    half = StreamConn(s.ports["tcp"])
    trickle = StreamConn(s.ports["tcp"])
    slow = StreamConn(s.ports["tcp"])
    try:
        data = request("REGISTER", f"sip:{DOMAIN}", "TCP", half.local_port, new_call_id("sl"), 1,
                       "olivia", contacts=[tcp_contact(half, "olivia")], expires=600)
        t0 = time.monotonic()
        half.send(data[:len(data) // 2])
        options_ok(neighbour, "neighbour while a half message waits")
        # a message trickled one byte every 100 ms: idle never fires, the message timer must
        tdata = request("OPTIONS", f"sip:{DOMAIN}", "TCP", trickle.local_port, new_call_id("tr"),
                        1, "olivia", to_user=False)
        # a slow but complete one: 4 pieces over 300 ms (under 500 ms)
        sdata = request("OPTIONS", f"sip:{DOMAIN}", "TCP", slow.local_port, new_call_id("slow"),
                        1, "olivia", to_user=False)
        q = len(sdata) // 4
        pieces = [sdata[:q], sdata[q:2 * q], sdata[2 * q:3 * q], sdata[3 * q:]]
        half_cut = trickle_cut = None
        t_trickle = time.monotonic()
        for i in range(80):  # up to 4 s in 50 ms steps
            now = time.monotonic()
            if i % 2 == 0 and i // 2 < 4:
                slow.send(pieces[i // 2])
            if trickle_cut is None and i % 2 == 0:
                try:
                    trickle.send(tdata[i // 2:i // 2 + 1])
                except OSError:
                    trickle_cut = now - t_trickle
            if trickle_cut is None and closed_now(trickle):
                trickle_cut = now - t_trickle
            if half_cut is None and closed_now(half):
                half_cut = now - t0
            if trickle_cut is not None and half_cut is not None and i >= 8:
                break
            time.sleep(0.05)
        r = slow.read_message()
        expect(r.status == 200, f"a slow complete OPTIONS (300 ms) got:\n{r.text()}")
        expect(half_cut is not None, "half a REGISTER: the connection is still open after 4 s "
               "(message_timeout_ms 500)")
        expect(half_cut >= 0.45, f"half a REGISTER: cut after {half_cut:.2f} s, before "
               "message_timeout_ms 500")
        expect(trickle_cut is not None and 0.45 <= trickle_cut <= 2.5,
               f"a message trickled at 10 bytes/s: cut after {trickle_cut} s, want ~0.5-1.5 s "
               f"(the message timer must not restart on each byte)")
        options_ok(neighbour, "neighbour after the cuts")
        return f"half cut after {half_cut:.2f} s, trickle after {trickle_cut:.2f} s"
    finally:
        for c in (neighbour, half, trickle, slow):
            c.close()


def refused(conn, what, within=1.0):
    """The server closes `conn` at once; an OPTIONS sent on it gets no answer."""
    t = time.monotonic()
    try:
        conn.send(request("OPTIONS", f"sip:{DOMAIN}", "TCP", conn.local_port, new_call_id("x"),
                          1, "peggy", to_user=False))
    except OSError:
        return
    closed, waited, extra = conn.wait_closed(within)
    expect(closed and not extra.startswith(b"SIP/2.0 200"),
           f"{what}: want closed at once, got {'closed' if closed else 'open'} after "
           f"{time.monotonic() - t:.2f} s, data {extra[:120]!r}")


def case_per_ip(s):
    """max_per_ip 3, max 5."""
    port = s.ports["tcp"]
    conns = []
    try:
        for i in range(3):
            conns.append(StreamConn(port, source="127.0.0.1"))
            options_ok(conns[-1], f"127.0.0.1 connection {i + 1} of 3")
        fourth = StreamConn(port, source="127.0.0.1")
        conns.append(fourth)
        refused(fourth, "4th connection from 127.0.0.1 (max_per_ip 3)")
        for i in range(2):
            conns.append(StreamConn(port, source="127.0.0.2"))
            options_ok(conns[-1], f"127.0.0.2 connection {i + 1} (the cap is per address)")
        sixth = StreamConn(port, source="127.0.0.3")
        conns.append(sixth)
        refused(sixth, "6th connection in all (max 5)")
        for c in conns[:3]:
            options_ok(c, "the first three after the refusals")
        # a freed slot is reusable once the server has seen the close
        conns[0].close()
        deadline = time.monotonic() + 3.0
        while True:
            again = StreamConn(port, source="127.0.0.1")
            conns.append(again)
            try:
                options_ok(again, "127.0.0.1 after one of its connections closed")
                break
            except CaseFailure:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    finally:
        for c in conns:
            c.close()


def case_idle(s):
    """idle_timeout_s 1: silent closed after ~1 s, pinging kept."""
    silent = StreamConn(s.ports["tcp"])
    pinger = StreamConn(s.ports["tcp"])
    try:
        options_ok(silent, "silent connection")
        t_last = time.monotonic()
        silent_cut = None
        t0 = time.monotonic()
        next_ping = t0
        while time.monotonic() - t0 < 3.5:
            if time.monotonic() >= next_ping:
                pinger.send(b"\r\n\r\n")
                expect(pinger.read_bytes(2, 1.0) == b"\r\n",
                       f"pinger: no pong at {time.monotonic() - t0:.1f} s")
                next_ping += 0.4
            if silent_cut is None:
                r, _, _ = select.select([silent.sock], [], [], 0.05)
                if r:
                    try:
                        data = silent.sock.recv(4096)
                    except OSError:
                        data = b""
                    expect(not data, f"silent connection got {data!r}")
                    silent_cut = time.monotonic() - t_last
            else:
                time.sleep(0.05)
        expect(silent_cut is not None, "silent connection still open after 3.5 s "
               "(idle_timeout_s 1)")
        expect(0.8 <= silent_cut <= 3.0, f"silent connection cut after {silent_cut:.2f} s, "
               "want about 1-2 s")
        options_ok(pinger, "pinger after 3.5 s of pings only")
        return f"silent cut after {silent_cut:.2f} s"
    finally:
        silent.close()
        pinger.close()


def case_flows(s):
    """bind_to_connection true, 2 workers."""
    udp = s.ports["udp"]
    users = [f"u{i:02d}" for i in range(1, 9)]
    shared_users = [f"u{i:02d}" for i in range(9, 17)]
    conns, contacts = {}, {}
    shared = StreamConn(s.ports["tcp"])
    try:
        for u in users:
            conns[u] = StreamConn(s.ports["tcp"])
            contacts[u] = tcp_contact(conns[u], u)
            register_ok(conns[u], u, [contacts[u]], 600)
        # several AORs (on both workers) over one connection, pipelined in one write: answers
        # for AORs of the other worker come back through it (in any order: the transactions
        # are independent, RFC 3261 §17)
        challenge = shared.transact(request("REGISTER", f"sip:{DOMAIN}", "TCP",
                                            shared.local_port, new_call_id("fl"), 1, "u09"))
        expect(challenge.status == 401, f"want 401, got:\n{challenge.text()}")
        batch, want = b"", {}
        for u in shared_users:
            contacts[u] = tcp_contact(shared, u)
            call_id = new_call_id(u)
            want[call_id] = u
            batch += request("REGISTER", f"sip:{DOMAIN}", "TCP", shared.local_port, call_id, 2, u,
                             contacts=[contacts[u]], expires=600,
                             auth=digest(challenge, u, USERS[u], "REGISTER", f"sip:{DOMAIN}"))
        shared.send(batch)
        for _ in shared_users:
            r = shared.read_message()
            u = want.pop(r.get("Call-ID"), None)
            expect(r.status == 200 and u is not None and contacts[u][1:-1] in contacts_of(r),
                   f"pipelined REGISTER over a shared connection: got\n{r.text()}")
        # a UDP binding of u01 that must outlive the TCP flow
        udp_contact = "<sip:u01@127.0.0.1:7001;transport=udp>"
        c = UdpConn(udp)
        try:
            register_ok(c, "u01", [udp_contact], 600)
        finally:
            c.close()
        for u in users + shared_users:
            got = query(udp, u)
            expect(contacts[u][1:-1] in got, f"{u}: registered binding not listed: {got}")
        for u in users:
            conns[u].close()
        shared.close()
        deadline = time.monotonic() + 3.0
        left = set(users + shared_users)
        while left and time.monotonic() < deadline:
            for u in sorted(left):
                if contacts[u][1:-1] not in query(udp, u):
                    left.discard(u)
            time.sleep(0.1)
        expect(not left, f"bindings still listed 3 s after their connection closed: "
               f"{sorted(left)}")
        got = query(udp, "u01")
        expect(list(got) == [udp_contact[1:-1]], f"u01 after its TCP flow closed: {got}, "
               f"want only the UDP binding")
    finally:
        for c in conns.values():
            c.close()
        shared.close()


# ------------------------------------------------------------------------------------------
# Groups


def run_group(exe, io, group, cfg_kwargs, cases, minimums, keep, prefix="stream",
              uring_ran=False):
    """One server for a group of cases; then SIGTERM and the counters. Returns "ran",
    "failed", "skipped" or "refused" (mmsg only, when uring_ran: the server refuses
    stream listeners with io mmsg)."""
    tmp = tempfile.mkdtemp(prefix=f"sipfront-{prefix}-{group}-{io}-")
    server = Server(exe, tmp, make_config(tmp, io=io, **cfg_kwargs))
    label = f"{io}/{group}"
    try:
        t = time.monotonic()
        try:
            server.start()
        except CaseFailure as e:
            said = str(e).split("\n", 1)[-1].replace(tmp, "TMP")
            if io == "mmsg" and uring_ran and re.search(r"\bmmsg\b", said):
                skip(f"{label}/*", "the server refuses streams with io mmsg: " +
                     str(e).strip().splitlines()[-1])
                return "refused"
            report(f"{label}/start", False, time.monotonic() - t, str(e))
            return "failed"
        want = "io_uring" if io == "uring" else "mmsg"
        if server.backend != want:
            skip(f"{label}/*", f"the server runs {server.backend}, not {want}")
            return "skipped"
        for name, fn, args in cases:
            if server.proc.poll() is not None:
                report(f"{label}/{name}", False, 0.0,
                       f"sipfront exited with {server.proc.returncode}:\n{server.stderr_text()}")
                continue
            run_case(f"{label}/{name}", fn, server, *args)
        t = time.monotonic()
        problems, counters = check_stop(server, minimums)
        conns = counters.get("connections", {})
        report(f"{label}/exit_counters", not problems, time.monotonic() - t,
               "; ".join(problems) + "\n" + server.stderr_text() if problems else
               " ".join(f"{k}={conns.get(k)}" for k in minimums))
        return "ran"
    except Exception as e:  # pylint: disable=broad-except
        report(f"{label}/server", False, 0.0, f"{type(e).__name__}: {e}\n{server.stderr_text()}")
        return "failed"
    finally:
        server.kill()
        if keep:
            print(f"     kept {tmp}", flush=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sipfront")
    ap.add_argument("--sipp", default=shutil.which("sipp") or "")
    ap.add_argument("--scenarios", default=os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "sipp"))
    ap.add_argument("--only", default="", help="comma-separated group or case names")
    ap.add_argument("--keep", action="store_true", help="keep the temp dirs (debugging)")
    opts = ap.parse_args()
    exe = os.path.abspath(opts.sipfront)
    scenarios = os.path.abspath(opts.scenarios)
    only = set(filter(None, opts.only.split(",")))
    have_sipp = bool(opts.sipp) and os.access(opts.sipp, os.X_OK)
    t0 = time.monotonic()
    uring_ran = set()
    for io in ("uring", "mmsg"):
        sipp_tmp = tempfile.mkdtemp(prefix=f"sipfront-stream-sipp-{io}-")
        try:
            basic = [("register", case_register, ()), ("fragmented", case_fragmented, ()),
                     ("pipelined", case_pipelined, ()), ("burst", case_burst, ()),
                     ("crlf", case_crlf, ()),
                     ("oversize", case_oversize, ()), ("bad_framing", case_bad_framing, ()),
                     ("outbound", case_outbound, ()),
                     ("path", case_path, ()), ("survives_close", case_survives_close, ())]
            if have_sipp:
                basic.append(("sipp_tcp", case_sipp_tcp, (opts.sipp, scenarios, sipp_tmp, "tcp")))
            elif not only or "sipp_tcp" in only:
                skip(f"{io}/basic/sipp_tcp", "sipp not found (scripts/setup installs sip-tester)")
            groups = [
                ("basic", {"connections": {"max_message_bytes": 2048}}, basic,
                 {"accepted": 8, "oversize": 3}),
                ("slowloris", {"connections": {"message_timeout_ms": 500}},
                 [("slowloris", case_slowloris, ())], {"message_timeouts": 2}),
                ("per_ip", {"connections": {"max_per_ip": 3, "max": 5}},
                 [("per_ip", case_per_ip, ())], {"refused": 2}),
                ("idle", {"connections": {"idle_timeout_s": 1}},
                 [("idle", case_idle, ())], {"idle_timeouts": 1}),
                ("flows", {"workers": 2, "registrar": {"bind_to_connection": True}},
                 [("flows", case_flows, ())], {"accepted": 9}),
            ]
            for group, cfg_kwargs, cases, minimums in groups:
                if only:
                    cases = [c for c in cases if group in only or c[0] in only]
                    if not cases:
                        continue
                    minimums = {}
                if run_group(exe, io, group, cfg_kwargs, cases, minimums, opts.keep,
                             uring_ran=group in uring_ran) == "ran" and io == "uring":
                    uring_ran.add(group)
        finally:
            if opts.keep:
                print(f"     kept {sipp_tmp}", flush=True)
            else:
                shutil.rmtree(sipp_tmp, ignore_errors=True)
    return summary(t0)


if __name__ == "__main__":
    sys.exit(main())
