#!/usr/bin/env python3
"""SIP over TLS end to end: versions, cipher list, certificates, handshake limits, framing.

Usage: tls_test.py PATH/TO/sipfront [--openssl PATH] [--only NAME,...] [--keep]

Five servers on udp:127.0.0.1:0 and tls:127.0.0.1:0 (temp config and data_dir each), then
SIGTERM, exit code 0 and the "sipfront: connections:" counters:

  default   no certificate configured and none on disk: a self-signed EC pair (CN
            localhost) is generated under DATA_DIR/tls/ (key not readable by others) and
            presented; Python ssl clients register with digest over TLS 1.2 (no
            verification) and TLS 1.3 (verifying the generated certificate for
            "localhost"); a sips: Request-URI; a REGISTER in 1-byte TLS records; three
            requests in one record and 500 in one write; CRLF ping/pong inside TLS;
            `openssl s_client` -tls1_2/-tls1_3 complete the handshake, -tls1/-tls1_1 are
            refused by the server (the client itself allows them: -cipher
            DEFAULT:@SECLEVEL=0); TLS 1.2 CHACHA20 suites (outside the list) are refused,
            listed ECDSA suites work; handshake_timeout_ms 500 cuts a client that sends no
            ClientHello, and one that sends half of it; message_timeout_ms 1000 cuts half a
            REGISTER sent inside TLS; plaintext SIP or random bytes on the TLS port close
            that connection only; a restart on the same data_dir keeps the certificate
  deprecated allow_deprecated true: -tls1 and -tls1_1 complete, and a REGISTER over TLS 1.1
            gets its 200; once with the generated EC certificate, once (deprecated_rsa)
            with a given RSA one
  flows     bind_to_connection true, 2 workers: bindings registered over TLS go when the
            connection closes, with a close_notify first and without one
  own_cert  a given RSA certificate and key (absolute paths) are presented, nothing is
            generated; "ciphers" narrows the TLS 1.2 list: the listed suites work, an
            unlisted one that the default list has is refused

Counters relied on: connections: accepted, tls_failures, message_timeouts,
handshake_timeouts (tls_failures stands in for it when the summary has no such key).

One line per case, a summary, exit 1 on any failure, 77 without the openssl command.
"""
import argparse
import os
import re
import shutil
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import time
import warnings

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stream_test as st  # noqa: E402  (server, client and report helpers)
from stream_test import CaseFailure, expect  # noqa: E402

HANDSHAKE_TIMEOUT_MS = 500
MESSAGE_TIMEOUT_MS = 1000  # the 1-byte-record case stays well under it
# TLS 1.0/1.1 clients are the point of some cases
warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*TLSv1.*")
OPENSSL = "openssl"


def client_ctx(version=None, verify_pem=None, ciphers=None):
    """A client context: one protocol version (None: 1.2..1.3), no verification unless a
    PEM file is given (then the server must present it, for "localhost")."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify_pem:
        ctx.load_verify_locations(verify_pem)
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if version is not None:
        if version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # the client must not be the refuser
        ctx.minimum_version = version
        ctx.maximum_version = version
    if ciphers:
        ctx.set_ciphers(ciphers)
    return ctx


def tls_conn(server, ctx=None, **kw):
    return st.StreamConn(server.ports["tls"], ctx or client_ctx(), **kw)


def s_client(port, *args, timeout=10):
    """`openssl s_client -brief` with stdin at EOF; returns (handshake ok, protocol, output)."""
    cmd = [OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost",
           "-brief"] + list(args)
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise CaseFailure(f"{' '.join(cmd)} did not finish within {timeout} s") from e
    out = (p.stdout + p.stderr).decode(errors="replace")
    m = re.search(r"Protocol(?: version)?\s*:\s*(\S+)", out)
    ok = "CONNECTION ESTABLISHED" in out and m is not None
    return ok, (m.group(1) if m else None), out


def expect_handshake(port, version_flag, want_protocol, *args):
    ok, proto, out = s_client(port, version_flag, *args)
    expect(ok and proto == want_protocol,
           f"s_client {version_flag} {' '.join(args)}: want a {want_protocol} handshake, got "
           f"{proto}:\n{out.strip()[-1500:]}")


def expect_refused(port, version_flag, *args):
    ok, proto, out = s_client(port, version_flag, *args)
    expect(not ok, f"s_client {version_flag} {' '.join(args)}: the server accepted "
           f"{proto}, want a refusal:\n{out.strip()[-800:]}")


def pem_der(path):
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def cert_text(path):
    p = subprocess.run([OPENSSL, "x509", "-in", path, "-noout", "-subject", "-text"],
                       capture_output=True, timeout=10)
    return (p.stdout + p.stderr).decode(errors="replace")


def data_dir(server):
    return server.cfg["data_dir"]


# ------------------------------------------------------------------------------------------
# Cases: default


def case_generated_cert(s):
    text = s.stderr_text(since_start=True)
    expect(re.search(r"sipfront: generated a self-signed TLS certificate", text),
           f"no 'generated a self-signed TLS certificate' line:\n{text}")
    cert = os.path.join(data_dir(s), "tls", "cert.pem")
    key = os.path.join(data_dir(s), "tls", "key.pem")
    expect(os.path.isfile(cert) and os.path.isfile(key), f"want {cert} and {key}")
    info = cert_text(cert)
    expect(re.search(r"subject=\s*CN\s*=\s*localhost\s*$", info, re.MULTILINE),
           f"subject is not CN = localhost:\n{info[:600]}")
    expect("id-ecPublicKey" in info, f"not an EC key:\n{info[:1200]}")
    mode = stat.S_IMODE(os.stat(key).st_mode)
    expect(mode & 0o077 == 0, f"{key} has mode {mode:o}: the private key is readable by others")
    c = tls_conn(s)
    try:
        expect(c.sock.getpeercert(binary_form=True) == pem_der(cert),
               "the server does not present DATA_DIR/tls/cert.pem")
    finally:
        c.close()


def register_over(s, version, user, verify=False):
    pem = os.path.join(data_dir(s), "tls", "cert.pem") if verify else None
    c = tls_conn(s, client_ctx(version, pem))
    try:
        want = {ssl.TLSVersion.TLSv1: "TLSv1", ssl.TLSVersion.TLSv1_1: "TLSv1.1",
                ssl.TLSVersion.TLSv1_2: "TLSv1.2", ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version]
        expect(c.sock.version() == want, f"negotiated {c.sock.version()}, want {want}")
        contact = st.tcp_contact(c, user)
        ok = st.register_ok(c, user, [contact], 600)
        got = st.contacts_of(ok)
        expect(contact[1:-1] in got, f"200 lists {list(got)}, want {contact}:\n{ok.text()}")
        expect(";transport=tls" in contact, "test bug")
        via = st.via_params(ok)
        expect(via.get("received") == "127.0.0.1" and via.get("rport") == str(c.local_port),
               f"Via {ok.get('Via')!r}: want received=127.0.0.1;rport={c.local_port}")
        expect(contact[1:-1] in st.query(s.ports["udp"], user), "not listed over UDP")
        return f"{want}, {c.sock.cipher()[0]}"
    finally:
        c.close()


def case_register_tls12(s):
    return register_over(s, ssl.TLSVersion.TLSv1_2, "alice")


def case_register_tls13_verified(s):
    return register_over(s, ssl.TLSVersion.TLSv1_3, "bob", verify=True)


def case_sips_uri(s):
    c = tls_conn(s)
    try:
        contact = f"<sips:carol@127.0.0.1:{c.local_port}>"
        ok = st.register_ok(c, "carol", [contact], 600, ruri=f"sips:{st.DOMAIN}")
        expect(contact[1:-1] in st.contacts_of(ok), f"200 does not list {contact}:\n{ok.text()}")
    finally:
        c.close()


def case_fragmented_records(s):
    c = tls_conn(s)
    try:
        contact = st.tcp_contact(c, "dave")
        call_id = st.new_call_id("tlsfrag")
        first = st.request("REGISTER", f"sip:{st.DOMAIN}", "TLS", c.local_port, call_id, 1,
                           "dave", contacts=[contact], expires=600)
        c.send_slowly(first, 1, 0.0005)  # one TLS record per byte
        challenge = c.read_message()
        expect(challenge.status == 401, f"want 401, got:\n{challenge.text()}")
        auth = st.digest(challenge, "dave", st.USERS["dave"], "REGISTER", f"sip:{st.DOMAIN}")
        second = st.request("REGISTER", f"sip:{st.DOMAIN}", "TLS", c.local_port, call_id, 2,
                            "dave", contacts=[contact], expires=600, auth=auth)
        c.send_slowly(second, 7, 0.0005)
        ok = c.read_message()
        expect(ok.status == 200 and contact[1:-1] in st.contacts_of(ok),
               f"want 200 listing {contact}, got:\n{ok.text()}")
    finally:
        c.close()


def case_pipelined(s):
    """3 requests in one TLS record, then 500 in one write (many records)."""
    c = tls_conn(s)
    try:
        for n in (3, 500):
            ids = [st.new_call_id(f"tp{i}") for i in range(n)]
            c.send(b"".join(st.request("OPTIONS", f"sip:{st.DOMAIN}", "TLS", c.local_port,
                                       ids[i], i + 1, "erin", to_user=False) for i in range(n)))
            for i in range(n):
                r = c.read_message()
                expect(r.status == 200 and r.get("Call-ID") == ids[i],
                       f"answer {i + 1} of {n} pipelined: got\n{r.text()}")
    finally:
        c.close()


def case_crlf(s):
    c = tls_conn(s)
    try:
        c.send(b"\r\n\r\n")
        pong = c.read_bytes(2)
        expect(pong == b"\r\n", f"pong {pong!r}, want CRLF")
        expect(c.quiet_for(0.3), f"more than a CRLF: {c.buf!r}")
        st.options_ok(c, "after the ping")
    finally:
        c.close()


def case_openssl_versions(s):
    port = s.ports["tls"]
    expect_handshake(port, "-tls1_2", "TLSv1.2")
    expect_handshake(port, "-tls1_3", "TLSv1.3")
    # SECLEVEL=0 lets this client offer TLS 1.0/1.1: a refusal is the server's
    expect_refused(port, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
    expect_refused(port, "-tls1", "-cipher", "DEFAULT:@SECLEVEL=0")
    for version in (ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1):
        try:
            c = tls_conn(s, client_ctx(version))
        except (ssl.SSLError, OSError):
            continue
        c.close()
        raise CaseFailure(f"a Python client negotiated {version.name}")


def case_openssl_ciphers(s):
    port = s.ports["tls"]
    expect_refused(port, "-tls1_2", "-cipher",
                   "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305")
    for suite in ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                  "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384"):
        ok, proto, out = s_client(port, "-tls1_2", "-cipher", suite)
        expect(ok and re.search(r"Ciphersuite:\s*" + re.escape(suite) + r"\b", out),
               f"TLS 1.2 with {suite} (in the list, EC certificate): want a handshake:\n"
               f"{out.strip()[-800:]}")
    try:
        c = tls_conn(s, client_ctx(ssl.TLSVersion.TLSv1_2,
                                   ciphers="ECDHE-ECDSA-CHACHA20-POLY1305"))
    except (ssl.SSLError, OSError):
        return
    c.close()
    raise CaseFailure("a Python TLS 1.2 client got ECDHE-ECDSA-CHACHA20-POLY1305")


def client_hello():
    """The bytes of a TLS ClientHello (from a memory BIO)."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = client_ctx().wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def case_handshake_timeout(s):
    """handshake_timeout_ms 500: nothing sent, and half a ClientHello."""
    neighbour = tls_conn(s)
    silent = st.StreamConn(s.ports["tls"])  # plain TCP: no handshake at all
    half = st.StreamConn(s.ports["tls"])
    try:
        t0 = time.monotonic()
        hello = client_hello()
        half.send(hello[:len(hello) // 2])
        st.options_ok(neighbour, "TLS neighbour while handshakes hang")
        notes = []
        for name, c in (("silent", silent), ("half ClientHello", half)):
            closed, _, _ = c.wait_closed(max(0.0, t0 + 3.0 - time.monotonic()))
            waited = time.monotonic() - t0
            expect(closed, f"{name}: still open after {waited:.1f} s (handshake_timeout_ms "
                   f"{HANDSHAKE_TIMEOUT_MS})")
            expect(waited >= 0.45, f"{name}: cut after {waited:.2f} s, before the timeout")
            notes.append(f"{name} cut after {waited:.2f} s")
        st.options_ok(neighbour, "TLS neighbour after the cuts")
        return ", ".join(notes)
    finally:
        for c in (neighbour, silent, half):
            c.close()


def case_slowloris(s):
    """message_timeout_ms 1000 inside TLS: half a REGISTER (after the handshake) is cut, a
    neighbour TLS connection is not."""
    neighbour = tls_conn(s)
    half = tls_conn(s)
    try:
        data = st.request("REGISTER", f"sip:{st.DOMAIN}", "TLS", half.local_port,
                          st.new_call_id("tsl"), 1, "kate", contacts=[st.tcp_contact(half, "kate")],
                          expires=600)
        t0 = time.monotonic()
        half.send(data[:len(data) // 2])
        st.options_ok(neighbour, "TLS neighbour while a half message waits")
        closed, _, _ = half.wait_closed(4.0)
        cut = time.monotonic() - t0
        expect(closed, f"half a REGISTER over TLS: still open after {cut:.1f} s "
               f"(message_timeout_ms {MESSAGE_TIMEOUT_MS})")
        expect(cut >= 0.95, f"half a REGISTER over TLS: cut after {cut:.2f} s, before "
               f"message_timeout_ms {MESSAGE_TIMEOUT_MS}")
        st.options_ok(neighbour, "TLS neighbour after the cut")
        return f"cut after {cut:.2f} s"
    finally:
        neighbour.close()
        half.close()


def case_garbage(s):
    neighbour = tls_conn(s)
    try:
        st.options_ok(neighbour, "TLS neighbour before")
        for name, data in (("plaintext SIP", st.request(
                "OPTIONS", f"sip:{st.DOMAIN}", "TCP", 5060, st.new_call_id("plain"), 1, "frank",
                to_user=False)), ("random bytes", os.urandom(600))):
            c = st.StreamConn(s.ports["tls"])
            try:
                try:
                    c.send(data)
                except OSError:
                    pass
                closed, waited, extra = c.wait_closed(3.0)
                expect(closed, f"{name} on the TLS port: the connection stays open")
                expect(b"SIP/2.0" not in extra, f"{name}: answered in plaintext: {extra[:200]!r}")
            finally:
                c.close()
        st.options_ok(neighbour, "TLS neighbour after")
    finally:
        neighbour.close()


def case_restart_keeps_cert(s):
    """After the stop: a start on the same data_dir presents the same certificate."""
    cert = os.path.join(data_dir(s), "tls", "cert.pem")
    before = pem_der(cert)
    s.start()
    try:
        text = s.stderr_text(since_start=True)
        expect("generated a self-signed" not in text, f"generated again on restart:\n{text}")
        expect(pem_der(cert) == before, "cert.pem changed on restart")
        c = tls_conn(s)
        try:
            expect(c.sock.getpeercert(binary_form=True) == before, "a different certificate")
            st.options_ok(c, "after the restart")
        finally:
            c.close()
    finally:
        rc, _ = s.stop()
    expect(rc == 0, f"exit code {rc} on SIGTERM after the restart")


# ------------------------------------------------------------------------------------------
# Cases: deprecated, own_cert


def case_deprecated_versions(s):
    port = s.ports["tls"]
    cert = s.cfg["tls"].get("certificate") or os.path.join(data_dir(s), "tls", "cert.pem")
    for flag, proto in (("-tls1_1", "TLSv1.1"), ("-tls1", "TLSv1")):
        try:
            expect_handshake(port, flag, proto, "-cipher", "DEFAULT:@SECLEVEL=0")
        except CaseFailure as e:
            if "id-ecPublicKey" in cert_text(cert):
                raise CaseFailure(f"{e}\n  note: the certificate is EC; before TLS 1.2 an ECDSA "
                                  "certificate needs ECDHE-ECDSA-AES128-SHA/-AES256-SHA, which "
                                  "the TLS 1.2 cipher list does not have") from e
            raise
    expect_handshake(port, "-tls1_2", "TLSv1.2")
    expect_handshake(port, "-tls1_3", "TLSv1.3")
    return register_over(s, ssl.TLSVersion.TLSv1_1, "grace")


def make_rsa_pair(tmp):
    cert, key = os.path.join(tmp, "own-cert.pem"), os.path.join(tmp, "own-key.pem")
    p = subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", cert, "-subj", "/CN=sip.test.example", "-days", "2",
                        "-addext", "subjectAltName=DNS:sip.test.example"],
                       capture_output=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("openssl req failed: " + (p.stdout + p.stderr).decode(errors="replace"))
    return cert, key


def case_flows(s):
    """bind_to_connection true: bindings of a TLS connection go when it closes, with a
    close_notify or without one."""
    udp = s.ports["udp"]
    contacts = {}
    for user, polite in (("ivan", True), ("judy", False)):
        c = tls_conn(s)
        contacts[user] = st.tcp_contact(c, user)
        try:
            st.register_ok(c, user, [contacts[user]], 600)
            expect(contacts[user][1:-1] in st.query(udp, user), f"{user}: not listed")
            if polite:
                c.sock = c.sock.unwrap()  # close_notify, then the TCP close
        finally:
            c.close()
    deadline = time.monotonic() + 3.0
    left = set(contacts)
    while left and time.monotonic() < deadline:
        left = {u for u in left if contacts[u][1:-1] in st.query(udp, u)}
        time.sleep(0.1)
    expect(not left, f"still listed 3 s after the TLS connection closed: {sorted(left)} "
           "(ivan: close_notify first, judy: none)")


OWN_CIPHERS = "ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA"


def case_own_cert(s):
    text = s.stderr_text(since_start=True)
    expect("generated a self-signed" not in text, f"generated although one is given:\n{text}")
    expect(not os.path.exists(os.path.join(data_dir(s), "tls", "cert.pem")),
           "DATA_DIR/tls/cert.pem was written although a certificate is given")
    c = tls_conn(s)
    try:
        expect(c.sock.getpeercert(binary_form=True) == pem_der(s.cfg["tls"]["certificate"]),
               "the server does not present the configured certificate")
    finally:
        c.close()
    port = s.ports["tls"]
    for suite in OWN_CIPHERS.split(":"):
        ok, proto, out = s_client(port, "-tls1_2", "-cipher", suite)
        expect(ok and re.search(r"Ciphersuite:\s*" + re.escape(suite) + r"\b", out),
               f"TLS 1.2 with {suite} (configured): want a handshake:\n{out.strip()[-800:]}")
    for suite in ("ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305"):
        expect_refused(port, "-tls1_2", "-cipher", suite)
    expect_handshake(port, "-tls1_3", "TLSv1.3")
    return register_over(s, ssl.TLSVersion.TLSv1_2, "heidi")


# ------------------------------------------------------------------------------------------


def run_server_group(exe, group, cfg, cases, minimums, keep, tmp, after=()):
    """Cases on one server, its stop counters, then `after` cases (they start it again)."""
    server = st.Server(exe, tmp, cfg)
    try:
        t = time.monotonic()
        try:
            server.start()
        except CaseFailure as e:
            st.report(f"{group}/start", False, time.monotonic() - t, str(e))
            return
        for name, fn in cases:
            if server.proc.poll() is not None:
                st.report(f"{group}/{name}", False, 0.0,
                          f"sipfront exited with {server.proc.returncode}:\n"
                          f"{server.stderr_text()}")
                continue
            st.run_case(f"{group}/{name}", fn, server)
        if server.proc.poll() is not None:
            st.report(f"{group}/exit_counters", False, 0.0, "the server is not running")
            return
        t = time.monotonic()
        problems, counters = st.check_stop(server, {k: v for k, v in minimums.items()
                                                    if k != "handshake_cuts"})
        conns = counters.get("connections", {})
        if "handshake_cuts" in minimums:
            cuts = conns.get("handshake_timeouts", conns.get("tls_failures", 0))
            if cuts < minimums["handshake_cuts"]:
                problems.append(f"handshake_timeouts={conns.get('handshake_timeouts')} "
                                f"(want >= {minimums['handshake_cuts']})")
        st.report(f"{group}/exit_counters", not problems, time.monotonic() - t,
                  "; ".join(problems) + "\n" + server.stderr_text() if problems else
                  " ".join(f"{k}={v}" for k, v in conns.items()
                           if k in ("accepted", "tls_failures", "handshake_timeouts")))
        for name, fn in after:
            st.run_case(f"{group}/{name}", fn, server)
    except Exception as e:  # pylint: disable=broad-except
        st.report(f"{group}/server", False, 0.0,
                  f"{type(e).__name__}: {e}\n{server.stderr_text()}")
    finally:
        server.kill()
        if keep:
            print(f"     kept {tmp}", flush=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    global OPENSSL  # pylint: disable=global-statement
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sipfront")
    ap.add_argument("--openssl", default=shutil.which("openssl") or "")
    ap.add_argument("--only", default="", help="comma-separated group or case names")
    ap.add_argument("--keep", action="store_true", help="keep the temp dirs (debugging)")
    opts = ap.parse_args()
    if not opts.openssl or not os.access(opts.openssl, os.X_OK):
        print("SKIP: the openssl command is not installed (Debian package openssl)")
        return 77
    OPENSSL = opts.openssl
    exe = os.path.abspath(opts.sipfront)
    only = set(filter(None, opts.only.split(",")))
    t0 = time.monotonic()

    def pick(group, cases, minimums):
        if not only:
            return cases, minimums
        return [c for c in cases if group in only or c[0] in only], {}

    # default: generated certificate, TLS 1.2/1.3 only, the product's cipher list
    tmp = tempfile.mkdtemp(prefix="sipfront-tls-default-")
    cases, minimums = pick("default", [
        ("generated_cert", case_generated_cert), ("register_tls12", case_register_tls12),
        ("register_tls13_verified", case_register_tls13_verified), ("sips_uri", case_sips_uri),
        ("fragmented_records", case_fragmented_records), ("pipelined", case_pipelined),
        ("crlf", case_crlf), ("openssl_versions", case_openssl_versions),
        ("openssl_ciphers", case_openssl_ciphers), ("handshake_timeout", case_handshake_timeout),
        ("slowloris", case_slowloris), ("garbage", case_garbage),
    ], {"accepted": 10, "tls_failures": 2, "handshake_cuts": 2, "message_timeouts": 1})
    after, _ = pick("default", [("restart_keeps_cert", case_restart_keeps_cert)], {})
    if cases or after:
        cfg = st.make_config(tmp, listen=("udp", "tls"),
                             connections={"handshake_timeout_ms": HANDSHAKE_TIMEOUT_MS,
                                          "message_timeout_ms": MESSAGE_TIMEOUT_MS})
        run_server_group(exe, "default", cfg, cases, minimums, opts.keep, tmp, after)
    else:
        shutil.rmtree(tmp, ignore_errors=True)

    # allow_deprecated with the generated EC certificate, and with a given RSA one
    for group in ("deprecated", "deprecated_rsa"):
        tmp = tempfile.mkdtemp(prefix=f"sipfront-tls-{group}-")
        cases, minimums = pick(group, [("versions", case_deprecated_versions)],
                               {"accepted": 1})
        if not cases:
            shutil.rmtree(tmp, ignore_errors=True)
            continue
        tls = {"allow_deprecated": True}
        if group == "deprecated_rsa":
            tls["certificate"], tls["private_key"] = make_rsa_pair(tmp)
        cfg = st.make_config(tmp, listen=("udp", "tls"), tls=tls)
        run_server_group(exe, group, cfg, cases, minimums, opts.keep, tmp)

    tmp = tempfile.mkdtemp(prefix="sipfront-tls-flows-")
    cases, minimums = pick("flows", [("flows", case_flows)], {"accepted": 2})
    if cases:
        cfg = st.make_config(tmp, listen=("udp", "tls"), workers=2,
                             registrar={"bind_to_connection": True})
        run_server_group(exe, "flows", cfg, cases, minimums, opts.keep, tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)

    tmp = tempfile.mkdtemp(prefix="sipfront-tls-own-")
    cases, minimums = pick("own_cert", [("own_cert", case_own_cert)], {"tls_failures": 1})
    if cases:
        cert, key = make_rsa_pair(tmp)
        cfg = st.make_config(tmp, listen=("udp", "tls"),
                             tls={"certificate": cert, "private_key": key,
                                  "ciphers": OWN_CIPHERS})
        run_server_group(exe, "own_cert", cfg, cases, minimums, opts.keep, tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return st.summary(t0)


if __name__ == "__main__":
    sys.exit(main())
