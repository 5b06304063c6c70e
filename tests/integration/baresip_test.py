#!/usr/bin/env python3
"""A real softphone (baresip) registers to the embedded default over UDP, TCP and TLS.

Usage: baresip_test.py PATH/TO/sipfront [--baresip PATH] [--modules DIR] [--keep]

sipfront runs with no --config in a temp directory: it writes var/sipfront.json (domain
demo.sip.localhost, user alice with a random password printed on stderr), generates
var/tls/{cert,key}.pem and listens on udp:127.0.0.1:5060, tcp:127.0.0.1:5060 and
tls:127.0.0.1:5061. When one of those ports is taken on this machine, the test does not
skip: it lets the embedded default write var/sipfront.json (the run then fails to bind),
rewrites its three listen ports to 0 and runs that file with --config, so everything but
the fixed port numbers is still the embedded default's.

baresip (Debian baresip-core) runs headless with a temp config dir (-f; only the account
module, no audio, no UI), SIP trace on (-s), three accounts for alice: transport udp, tcp
and tls, each with an outbound proxy 127.0.0.1:PORT (demo.sip.localhost has no DNS).
baresip 1.x does not verify the server's TLS certificate, so the self-signed one needs no
option (newer versions have sip_verify_server). Cases per transport T:
  baresip/T/challenged  baresip's trace shows the server's 401 coming back over T (the
                        REGISTER got through the transport, TLS handshake included)
  baresip/T/registered  judged by the server: REGISTER queries (no Contact, digest, over
                        UDP) list baresip's contact for T within 12 s
then baresip/unregistered (after SIGTERM baresip unregisters every account over its own
transport; the queries list none) and server_exit (SIGTERM, exit code 0, counters).
Note: the libre of Debian 12 (1.1.0) answers any 401 that offers a non-MD5 challenge with
ENOSYS, "Register: Function not implemented", even when an MD5 one comes first; the failure
line says so when that is what happened.

One line per case, a summary, exit 1 on any failure, 77 without baresip or its account
module. On failure the lines of baresip's SIP trace for that transport are printed.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stream_test as st  # noqa: E402  (server, client and report helpers)
from stream_test import CaseFailure, expect  # noqa: E402

PORTS = {"udp": 5060, "tcp": 5060, "tls": 5061}
REGISTER_WAIT_S = 12
BARESIP_STOP_S = 10


def port_free(transport, port):
    kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start_or_kill(server):
    try:
        server.start()
    except BaseException:
        server.kill()
        raise


def start_embedded(exe, tmp):
    """The embedded default on its fixed ports, or (ports taken) its file on port 0.
    Returns (server, note)."""
    busy = [f"{t}:{p}" for t, p in PORTS.items() if not port_free(t, p)]
    server = st.Server(exe, tmp, None, name="embedded")
    if not busy:
        start_or_kill(server)
        return server, "embedded default on its own ports"
    # Let the embedded default write its file; it cannot bind, so it exits.
    conf = os.path.join(tmp, "var", "sipfront.json")
    with open(os.path.join(tmp, "embedded-busy.stderr"), "w") as err:
        p = subprocess.Popen([exe], cwd=tmp, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=err)
        try:
            deadline = time.monotonic() + st.START_TIMEOUT_S
            while p.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=st.STOP_TIMEOUT_S)
    with open(os.path.join(tmp, "embedded-busy.stderr"), errors="replace") as f:
        first_run = f.read()
    expect(os.path.exists(conf), f"ports {', '.join(busy)} are taken and the embedded default "
           f"wrote no {conf}:\n{first_run}")
    with open(conf) as f:
        text = f.read()
    for t, port in PORTS.items():
        text, n = re.subn(rf'"{t}:127\.0\.0\.1:{port}"', f'"{t}:127.0.0.1:0"', text)
        expect(n == 1, f"the embedded default's listen has no {t}:127.0.0.1:{port}:\n{text}")
    with open(conf, "w") as f:
        f.write(text)
    server = st.Server(exe, tmp, None, name="embedded", config_file=conf)
    server.first_run = first_run
    start_or_kill(server)
    return server, (f"ports {', '.join(busy)} taken: the embedded default's var/sipfront.json "
                    f"with its listen ports set to 0")


def demo_account(path):
    """(domain, alice's password) from the embedded default's file (JSON with // comments)."""
    with open(path) as f:
        text = f.read()
    # drop // comments outside strings
    text = re.sub(r'("(?:[^"\\]|\\.)*")|//[^\n]*', lambda m: m.group(1) or "", text)
    account = json.loads(text)["provisioning"]["accounts"][0]
    password = next(c["password"] for cl in account["credential_lists"]
                    for c in cl["credentials"] if c["username"] == "alice")
    return account["domains"][0]["domain_name"], password


def case_embedded(server, fallback, facts):
    deadline = time.monotonic() + 3.0  # the demo lines follow the listening lines
    while not fallback and time.monotonic() < deadline and \
            "sipfront: demo user alice password" not in server.stderr_text():
        time.sleep(0.02)
    text = getattr(server, "first_run", "") + server.stderr_text()
    expect("wrote the embedded default configuration to var/sipfront.json" in text,
           f"no 'wrote the embedded default configuration' line:\n{text}")
    if not fallback:
        for t, port in PORTS.items():
            expect(server.ports.get(t) == port,
                   f"listening on {t}:{server.ports.get(t)}, want 127.0.0.1:{port}:\n{text}")
    expect("sipfront: generated a self-signed TLS certificate" in text,
           f"no 'generated a self-signed TLS certificate' line:\n{text}")
    for f in ("cert.pem", "key.pem"):
        path = os.path.join(server.tmp, "var", "tls", f)
        expect(os.path.isfile(path), f"no {path}")
    if not fallback:
        m = re.search(r"sipfront: demo domain (\S+)", text)
        expect(m and m.group(1) == "demo.sip.localhost", f"demo domain line:\n{text}")
        facts["domain"] = m.group(1)
        m = re.search(r"sipfront: demo user alice password (\S+)", text)
        expect(m, f"no 'demo user alice password' line:\n{text}")
        facts["password"] = m.group(1)
    else:  # with --config the demo lines are not printed: read them from the file
        facts["domain"], facts["password"] = demo_account(server.config_file)
        expect(facts["domain"] == "demo.sip.localhost", f"demo domain {facts['domain']}")
    # our own client first: the printed password works over UDP, TCP and TLS
    for t in ("tcp", "tls"):
        ctx = None
        if t == "tls":
            import ssl  # pylint: disable=import-outside-toplevel
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        c = st.StreamConn(server.ports[t], ctx)
        try:
            st.register_ok(c, "alice", domain=facts["domain"], password=facts["password"])
        finally:
            c.close()
    got = st.query(server.ports["udp"], "alice", facts["domain"], facts["password"])
    expect(got == {}, f"alice has bindings before baresip runs: {got}")


def baresip_dir(tmp, modules, facts, ports):
    d = os.path.join(tmp, "baresip")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config"), "w") as f:
        f.write("# baresip_test.py: headless, accounts only\n"
                "poll_method\t\tepoll\n"
                "sip_listen\t\t127.0.0.1:0\n"
                f"module_path\t\t{modules}\n"
                "module_tmp\t\taccount.so\n")
    with open(os.path.join(d, "accounts"), "w") as f:
        for t in ("udp", "tcp", "tls"):
            f.write(f"<sip:alice@{facts['domain']};transport={t}>;auth_pass={facts['password']};"
                    f"outbound=\"sip:127.0.0.1:{ports[t]};transport={t}\";regint=600\n")
    return d


def transport_of(uri):
    m = re.search(r";transport=(\w+)", uri, re.IGNORECASE)
    return m.group(1).lower() if m else "udp"


def baresip_contacts(server, facts):
    got = st.query(server.ports["udp"], "alice", facts["domain"], facts["password"])
    return {transport_of(u): u for u in got if u.startswith("sip:alice-") or
            u.startswith("sips:alice-")}


def clean(log):
    return re.sub(r"\x1b\[[0-9;]*m", "", log)


def trace_for(log, transport):
    """baresip's SIP trace blocks (-s) for one transport, and its reg:/ua: error lines."""
    blocks = [b.strip() for b in re.split(r"(?m)^#\s*$", clean(log))]
    keep = [b for b in blocks if b.startswith(transport.upper() + " ")]
    errors = [line for line in clean(log).splitlines() if re.match(r"(reg|ua): ", line)]
    return ("\n\n".join(keep[-4:]) + "\n" + "\n".join(errors))[-3000:]


def challenged(log, transport, port):
    """The trace shows a 401 coming back from the server over `transport`."""
    return re.search(rf"(?m)^{transport.upper()} 127\.0\.0\.1:{port} -> 127\.0\.0\.1:\d+\s*\n"
                     r"SIP/2\.0 401 ", clean(log)) is not None


def diagnose(log):
    if re.search(r"algorithm=SHA-256", log) and "Function not implemented" in log:
        return ("\n  diagnosis: baresip's libre answers a 401 that also offers algorithm="
                "SHA-256 with ENOSYS ('Function not implemented') and gives up: this libre "
                "(Debian 12 ships 1.1.0) takes only MD5 challenges and fails on any other one, "
                "even when an MD5 challenge comes first (RFC 8760 §2.4 wants it to use the "
                "first one it supports)")
    return ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sipfront")
    ap.add_argument("--baresip", default=shutil.which("baresip") or "")
    ap.add_argument("--modules", default="/usr/lib/baresip/modules")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (debugging)")
    opts = ap.parse_args()
    if not opts.baresip or not os.access(opts.baresip, os.X_OK):
        print("SKIP: baresip not found (scripts/setup installs baresip-core)")
        return 77
    if not os.path.isfile(os.path.join(opts.modules, "account.so")):
        print(f"SKIP: no account.so in {opts.modules} (baresip-core; --modules DIR)")
        return 77
    exe = os.path.abspath(opts.sipfront)
    t0 = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="sipfront-baresip-")
    server, bs = None, None
    facts = {}
    log_path = os.path.join(tmp, "baresip.log")
    try:
        t = time.monotonic()
        try:
            server, note = start_embedded(exe, tmp)
        except CaseFailure as e:
            st.report("embedded_default", False, time.monotonic() - t, str(e))
            return st.summary(t0)
        if not st.run_case("embedded_default", lambda: case_embedded(
                server, "taken" in note, facts) or note):
            return st.summary(t0)

        d = baresip_dir(tmp, opts.modules, facts, server.ports)
        t = time.monotonic()
        with open(log_path, "w") as log:
            bs = subprocess.Popen([opts.baresip, "-f", d, "-s", "-t", "60"], cwd=d,
                                  stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        seen = {}
        deadline = time.monotonic() + REGISTER_WAIT_S
        while time.monotonic() < deadline and len(seen) < 3 and bs.poll() is None:
            seen = baresip_contacts(server, facts)
            with open(log_path, errors="replace") as f:
                failed = len(re.findall(r"(?m)^reg: .*: Register: ", clean(f.read())))
            if failed + len(seen) >= 3 and time.monotonic() - t > 1.0:
                break  # every account has registered or reported its failure
            time.sleep(0.3)
        waited = time.monotonic() - t
        with open(log_path, errors="replace") as f:
            log = f.read()
        for transport in ("udp", "tcp", "tls"):
            # the REGISTER reached the server and its 401 came back over the transport
            st.report(f"baresip/{transport}/challenged",
                      challenged(log, transport, server.ports[transport]), waited,
                      "" if challenged(log, transport, server.ports[transport]) else
                      f"no 401 from 127.0.0.1:{server.ports[transport]} over {transport} in "
                      f"baresip's trace\n--- baresip ({transport}) ---\n"
                      f"{trace_for(log, transport)}")
            ok = transport in seen
            st.report(f"baresip/{transport}/registered", ok, waited,
                      f"registered {seen[transport]}" if ok else
                      f"no baresip binding over {transport} after {waited:.1f} s "
                      f"(bindings: {seen}; baresip "
                      f"{'running' if bs.poll() is None else 'exited ' + str(bs.returncode)})\n"
                      f"--- baresip ({transport}) ---\n{trace_for(log, transport)}"
                      f"{diagnose(log)}")

        # SIGTERM: baresip unregisters each account over its own transport
        t = time.monotonic()
        if bs.poll() is None:
            bs.send_signal(signal.SIGTERM)
        try:
            bs.wait(timeout=BARESIP_STOP_S)
        except subprocess.TimeoutExpired:
            bs.kill()
            bs.wait(timeout=BARESIP_STOP_S)
        if seen:
            left = baresip_contacts(server, facts)
            with open(log_path, errors="replace") as f:
                log = f.read()
            st.report("baresip/unregistered", not left, time.monotonic() - t,
                      "" if not left else f"still bound after baresip's exit: {left}\n" +
                      "\n".join(f"--- baresip ({tr}) ---\n{trace_for(log, tr)}" for tr in left))

        t = time.monotonic()
        problems, counters = st.check_stop(server, {"accepted": 2})
        st.report("server_exit", not problems, time.monotonic() - t,
                  "; ".join(problems) + "\n" + server.stderr_text() if problems else
                  str(counters.get("connections")))
    except Exception as e:  # pylint: disable=broad-except
        st.report("run", False, 0.0, f"{type(e).__name__}: {e}\n" +
                  (server.stderr_text() if server else ""))
    finally:
        if bs is not None and bs.poll() is None:
            bs.kill()
            bs.wait(timeout=BARESIP_STOP_S)
        if server is not None:
            server.kill()
        if opts.keep:
            print(f"     kept {tmp}", flush=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return st.summary(t0)


if __name__ == "__main__":
    sys.exit(main())
