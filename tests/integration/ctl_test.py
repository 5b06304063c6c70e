#!/usr/bin/env python3
"""sipfront-ctl against a real sipfront's REST API (issue 6).

Usage: ctl_test.py PATH/TO/sipfront PATH/TO/sipfront-ctl SCENARIO_DIR [--sipp PATH] [--keep]
       ctl_test.py - PATH/TO/sipfront-ctl - --api URL --account SID --token TOKEN

Writes a config into a temp dir (SIP on udp:127.0.0.1:0, "api": {"listen": "127.0.0.1:0"}, one
seeded account), starts sipfront, reads the SIP and API ports from its stderr and drives
sipfront-ctl: domain create/list (across pages)/show/update/delete, user add with a generated
password that then lets sipp REGISTER (tests/integration/sipp/auth_ok.xml; skipped without
sipp), user list/passwd/remove, acl create/add/show/map/unmap/remove/delete, the live
registrations after the REGISTER, and the exit codes: 1 with the API's message for a wrong
token or a missing resource, 2 for usage errors, 3 for an unreachable API.

The second form drives an API that is already running (no server, no SIP): for working on
the tool. One line per case, a summary, exit 1 on any failure. Every wait is bounded; the
server is killed in a finally block; --keep leaves the temp dir.
"""
import argparse
import base64
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
import urllib.error
import urllib.request

DOMAIN = "acme.sip.example"  # auth_ok.xml's realm regular expression names it
ACCOUNT = "AC" + "c7" * 16
TOKEN = "ctl-test-token-0123"
SEED_DOMAIN = "seed.sip.example"

START_TIMEOUT_S = 10
STOP_TIMEOUT_S = 10
CTL_TIMEOUT_S = 30
SIPP_TIMEOUT_S = 20
LIVE_WITHIN_S = 5  # a credential created over REST must let a REGISTER through within this

results = []  # (label, ok, skipped)


def report(label, ok, seconds, detail="", skipped=False):
    results.append((label, ok, skipped))
    word = "SKIP" if skipped else ("PASS" if ok else "FAIL")
    print(f"{word} {label} ({seconds:.2f} s){': ' + detail if detail else ''}", flush=True)


class CaseFailed(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise CaseFailed(what)


def write_config(tmp):
    text = f"""// ctl_test.py
{{
  "listen": ["udp:127.0.0.1:0"],
  "workers": 1,
  "max_bindings": 10000,
  "data_dir": "{os.path.join(tmp, 'var')}",
  "api": {{"listen": "127.0.0.1:0"}},
  "registrar": {{"min_expires": 2, "max_expires": 3600, "default_expires": 3600,
                "max_contacts_per_aor": 10, "max_contacts_policy": "reject",
                "nonce_lifetime": 300, "digest_algorithms": ["MD5", "SHA-256"]}},
  "provisioning": {{"accounts": [{{
    "sid": "{ACCOUNT}", "auth_token": "{TOKEN}",
    "domains": [{{"sid": "SD{'5e' * 16}", "domain_name": "{SEED_DOMAIN}",
                 "sip_registration": true}}]
  }}]}}
}}
"""
    path = os.path.join(tmp, "sipfront.json")
    with open(path, "w") as f:
        f.write(text)
    return path


class Server:
    """sipfront in a child process; stderr goes to a file that start() reads."""

    def __init__(self, exe, tmp, config):
        self.exe, self.tmp, self.config = exe, tmp, config
        self.err_path = os.path.join(tmp, "sipfront.stderr")
        self.proc = None
        self.sip_port = None
        self.api = None

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
            text = self.stderr_text()
            sip = re.search(r"sipfront: listening on udp:127\.0\.0\.1:(\d+) ", text)
            api = re.search(r"sipfront: REST API on (http://127\.0\.0\.1:\d+)", text)
            if sip and api:
                self.sip_port, self.api = int(sip.group(1)), api.group(1)
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"sipfront exited with {self.proc.returncode} before listening:"
                                   f"\n{text}")
            time.sleep(0.02)
        raise RuntimeError(f"sipfront did not report its SIP and API ports within "
                           f"{START_TIMEOUT_S} s:\n{self.stderr_text()}")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=STOP_TIMEOUT_S)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT_S)


class Ctl:
    """Runs sipfront-ctl with the connection in the environment (as operators are told to)."""

    def __init__(self, exe, api, account, token):
        self.exe = exe
        self.env = dict(os.environ, SIPFRONT_API=api, SIPFRONT_ACCOUNT_SID=account,
                        SIPFRONT_AUTH_TOKEN=token)
        self.api, self.account, self.token = api, account, token

    def run(self, *args, env=None, stdin=None):
        e = dict(self.env)
        e.update(env or {})
        e = {k: v for k, v in e.items() if v is not None}
        p = subprocess.run([self.exe, *args], env=e, input=stdin, capture_output=True,
                           text=True, timeout=CTL_TIMEOUT_S)
        return p.returncode, p.stdout, p.stderr

    def ok(self, *args, **kw):
        rc, out, err = self.run(*args, **kw)
        expect(rc == 0, f"sipfront-ctl {' '.join(args)}: exit {rc}\n{out}{err}")
        return out

    def json(self, *args, **kw):
        out = self.ok("--json", *args, **kw)
        try:
            return json.loads(out)
        except json.JSONDecodeError as e:
            raise CaseFailed(f"sipfront-ctl --json {' '.join(args)}: not JSON ({e}): {out!r}")

    def fails(self, want_rc, *args, **kw):
        rc, out, err = self.run(*args, **kw)
        expect(rc == want_rc, f"sipfront-ctl {' '.join(args)}: exit {rc}, want {want_rc}\n"
                              f"{out}{err}")
        return err


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api_error(api, path, account, token):
    """The API's error body for a GET with these credentials (to compare messages)."""
    req = urllib.request.Request(api + path)
    req.add_header("Authorization",
                   "Basic " + base64.b64encode(f"{account}:{token}".encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def run_sipp(sipp, scenario, port, tmp, tag, user, password):
    """One REGISTER with digest auth; returns (ok, detail)."""
    err_file = os.path.join(tmp, f"{tag}.errors.log")
    for _attempt in range(3):
        cmd = [sipp, f"127.0.0.1:{port}", "-sf", scenario, "-i", "127.0.0.1",
               "-p", str(free_port(socket.SOCK_DGRAM)), "-nostdin",
               "-timeout", str(SIPP_TIMEOUT_S - 5), "-timeout_error", "-recv_timeout", "3000",
               "-default_behaviors", "none", "-trace_err", "-error_file", err_file,
               "-m", "1", "-key", "user", user, "-key", "domain", DOMAIN,
               "-au", user, "-ap", password, "-auth_uri", DOMAIN]
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
    try:
        with open(err_file, errors="replace") as f:
            errors = f.read()[-3000:]
    except OSError:
        errors = out[-3000:]
    return False, f"sipp exit {p.returncode}\n{errors}"


def policy_ok(p):
    return (len(p) >= 12 and re.search("[A-Z]", p) and re.search("[a-z]", p)
            and re.search("[0-9]", p))


# ---- cases: each takes the shared state dict and raises CaseFailed ----

def case_usage(ctl, st):
    err = ctl.fails(2)
    expect("usage:" in err, f"no usage line: {err!r}")
    err = ctl.fails(2, "domain", "create")
    expect("usage: sipfront-ctl domain create NAME" in err, f"no command usage line: {err!r}")
    ctl.fails(2, "domain", "frobnicate")
    ctl.fails(2, "domain", "list", "--no-such-option")
    ctl.fails(2, "domain", "list", "--voice-url", "https://x.example/")  # not domain list's
    ctl.fails(2, "acl", "map", DOMAIN, "office")  # --for missing
    ctl.fails(2, "acl", "add", "office", "10.0.0.300")
    ctl.fails(2, "domain", "list", env={"SIPFRONT_AUTH_TOKEN": None})
    ctl.fails(2, "domain", "list", env={"SIPFRONT_ACCOUNT_SID": None})
    ctl.fails(2, "--token-file", "/nonexistent/token", "domain", "list",
              env={"SIPFRONT_AUTH_TOKEN": None})
    out = ctl.ok("--help")
    expect("registrations DOMAIN USER" in out, "--help lists no commands")


def case_unreachable(ctl, st):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    err = ctl.fails(3, "domain", "list", env={"SIPFRONT_API": url})
    expect(url in err, f"the URL is not named: {err!r}")
    err = ctl.fails(3, "--api", url, "user", "add", DOMAIN, "alice")
    expect("cannot reach" in err, f"no reason: {err!r}")


def case_wrong_token(ctl, st):
    status, body = api_error(ctl.api, f"/2010-04-01/Accounts/{ctl.account}/SIP/Domains.json",
                             ctl.account, "not-the-token")
    expect(status == 401 and body.get("message"), f"the API answered {status} {body}")
    err = ctl.fails(1, "domain", "list", env={"SIPFRONT_AUTH_TOKEN": "not-the-token"})
    expect(body["message"] in err, f"the API's message {body['message']!r} not in {err!r}")
    expect(str(body.get("code")) in err, f"the API's code {body.get('code')} not in {err!r}")
    # The token from a file works where the environment's is wrong.
    path = os.path.join(st["tmp"], "token")
    with open(path, "w") as f:
        f.write(ctl.token + "\n")
    ctl.ok("--token-file", path, "domain", "list", env={"SIPFRONT_AUTH_TOKEN": "wrong"})


def case_domains(ctl, st):
    voice = "https://hooks.example/voice?a=1&b=%2F+z"
    friendly = "Acme & Co = 100%"
    d = ctl.json("domain", "create", DOMAIN, "--friendly-name", friendly, "--voice-url", voice)
    expect(d.get("domain_name") == DOMAIN, f"created {d}")
    expect(d.get("voice_url") == voice, f"voice_url {d.get('voice_url')!r} != {voice!r}")
    expect(d.get("friendly_name") == friendly, f"friendly_name {d.get('friendly_name')!r}")
    expect(d.get("sip_registration") is True, f"sip_registration {d.get('sip_registration')}")
    st["sd"] = d["sid"]
    for name in ("b.ctl.example", "c.ctl.example"):
        ctl.ok("domain", "create", name, "--no-registration")
    # Listed across pages of 2: every domain, the seeded one too.
    names = [x["domain_name"] for x in ctl.json("--page-size", "2", "domain", "list")]
    for name in (DOMAIN, "b.ctl.example", "c.ctl.example"):
        expect(name in names, f"{name} not in {names}")
    if st.get("seeded"):
        expect(SEED_DOMAIN in names, f"the seeded {SEED_DOMAIN} not in {names}")
    expect(len(names) == len(set(names)), f"a domain listed twice: {names}")
    out = ctl.ok("domain", "list")
    expect(re.search(rf"^{st['sd']}\s+{re.escape(DOMAIN)}\s+on\b", out, re.M), out)
    # show by name and by SID; the text form names the mappings.
    expect(ctl.json("domain", "show", DOMAIN)["sid"] == st["sd"], "show by name")
    expect(ctl.json("domain", "show", st["sd"])["domain_name"] == DOMAIN, "show by SID")
    out = ctl.ok("domain", "show", DOMAIN.upper())
    expect("registrations: credential lists: none" in out, out)
    # update
    d = ctl.json("domain", "update", DOMAIN, "--registration", "off")
    expect(d.get("sip_registration") is False, f"after --registration off: {d}")
    d = ctl.json("domain", "update", st["sd"], "--registration", "on", "--voice-url",
                 "https://hooks.example/v2")
    expect(d.get("sip_registration") is True and d.get("voice_url") == "https://hooks.example/v2",
           f"after update: {d}")
    ctl.fails(2, "domain", "update", DOMAIN)  # nothing to update
    # refusals are the API's
    err = ctl.fails(1, "domain", "create", DOMAIN)
    expect("HTTP 4" in err, f"duplicate domain: {err!r}")
    ctl.fails(1, "domain", "create", "not a domain")
    err = ctl.fails(1, "domain", "show", "missing.ctl.example")
    expect("missing.ctl.example" in err, err)
    ctl.fails(1, "domain", "show", "SD" + "0" * 32)  # the API's 404


def case_user_add(ctl, st):
    out = ctl.ok("user", "add", DOMAIN, "alice")
    m = re.search(r"^password: (\S+)$", out, re.M)
    expect(m, f"no generated password printed: {out!r}")
    st["alice_pw"] = m.group(1)
    expect(policy_ok(st["alice_pw"]), f"generated password {st['alice_pw']!r} breaks the policy")
    expect("list created" in out and "mapped for registrations" in out, out)
    # A second user goes to the same list, already mapped.
    r = ctl.json("user", "add", DOMAIN, "bob", "--password", "Bob-secret-123")
    expect(r["list_created"] is False and r["mapping_created"] is False, f"second user: {r}")
    expect(r["password"] is None, "a given password is echoed")
    expect(r["credential"]["username"] == "bob", r)
    st["cl"] = r["credential_list"]["sid"]
    expect(r["credential_list"]["friendly_name"] == f"{DOMAIN} users", r)
    # Generated passwords differ and meet the policy every time.
    r = ctl.json("user", "add", DOMAIN, "carol")
    expect(policy_ok(r["password"]) and r["password"] != st["alice_pw"], r)
    # The API's refusals: a weak password, a taken username; nothing half-made is left.
    err = ctl.fails(1, "user", "add", DOMAIN, "dave", "--password", "short")
    expect("HTTP 400" in err, err)
    err = ctl.fails(1, "user", "add", "b.ctl.example", "erin", "--password", "short")
    lists = ctl.run("--json", "user", "list", "b.ctl.example")
    expect(lists[0] == 0 and json.loads(lists[1]) == [], f"b.ctl.example kept users {lists}")
    ctl.fails(1, "user", "add", DOMAIN, "bob", "--password", "Bob-secret-456")
    ctl.fails(1, "user", "add", "missing.ctl.example", "frank")
    # The list by name (--list), password from stdin.
    r = ctl.json("user", "add", DOMAIN, "grace", "--list", "ops team", "--password-file", "-",
                 stdin="Grace-secret-789\n")
    expect(r["list_created"] and r["mapping_created"], r)
    expect(r["credential_list"]["friendly_name"] == "ops team", r)
    users = ctl.json("user", "list", DOMAIN)
    names = sorted(u["username"] for u in users)
    expect(names == ["alice", "bob", "carol", "grace"], f"user list: {names}")
    out = ctl.ok("user", "list", DOMAIN)
    expect(re.search(r"^grace\s+CR[0-9a-f]{32}\s+CL[0-9a-f]{32}\s+ops team$", out, re.M), out)
    out = ctl.ok("domain", "show", DOMAIN)
    expect(re.search(r"^registrations: credential lists: .*\(ops team\)", out, re.M), out)


def case_register(ctl, st):
    """The generated password lets a REGISTER through, without a restart."""
    if st.get("sipp") is None or st.get("sip_port") is None:
        return "SKIP: " + ("no sipp" if st.get("sip_port") else "no SIP server (--api)")
    deadline = time.monotonic() + LIVE_WITHIN_S
    while True:
        ok, detail = run_sipp(st["sipp"], os.path.join(st["scenarios"], "auth_ok.xml"),
                              st["sip_port"], st["tmp"], "alice", "alice", st["alice_pw"])
        if ok:
            st["registered"] = True
            return None
        expect(time.monotonic() < deadline,
               f"no successful REGISTER within {LIVE_WITHIN_S} s: {detail}")
        time.sleep(0.2)


def case_registrations(ctl, st):
    if not st.get("registered"):
        out = ctl.ok("registrations", DOMAIN, "nobody")
        expect("no live bindings for sip:nobody@" + DOMAIN in out, out)
        return "SKIP: nothing registered (no sipp); only the empty listing checked"
    deadline = time.monotonic() + LIVE_WITHIN_S
    while True:  # 503 while the workers have not loaded the domain yet
        rc, out, err = ctl.run("--json", "registrations", DOMAIN, "alice")
        if rc == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    expect(rc == 0, f"registrations: exit {rc}\n{out}{err}")
    bindings = json.loads(out)
    expect(len(bindings) == 1, f"bindings: {bindings}")
    b = bindings[0]
    expect(re.match(r"sip:alice@127\.0\.0\.1:\d+", b.get("contact", "")), b)
    expect(b.get("transport") == "udp" and b.get("source", "").startswith("127.0.0.1:"), b)
    expect(0 < int(b.get("expires", 0)) <= 3600, b)
    out = ctl.ok("registrations", DOMAIN, "alice")
    expect(re.search(r"^CONTACT\s+EXPIRES\s+SOURCE\s+TRANSPORT\s+USER AGENT$", out, re.M), out)
    expect(re.search(r"^<?sip:alice@127\.0\.0\.1:\d+.*\s+\d+\s+127\.0\.0\.1:\d+\s+udp", out,
                     re.M), out)
    out = ctl.ok("registrations", DOMAIN, "bob")
    expect("no live bindings" in out, out)


def case_user_passwd_remove(ctl, st):
    # auth_ok.xml wants one Contact in the 200: each REGISTER below is a user's first.
    path = os.path.join(st["tmp"], "alice.pw")
    with open(path, "w") as f:
        f.write("Alice-changed-321\n")
    out = ctl.ok("user", "passwd", DOMAIN, "alice", "--password-file", path)
    expect("password:" not in out, f"a given password is echoed: {out!r}")
    r = ctl.json("user", "passwd", DOMAIN, "bob")
    expect(policy_ok(r["password"]) and len(r["credentials"]) == 1, r)
    if st.get("registered"):
        ok, detail = run_sipp(st["sipp"], os.path.join(st["scenarios"], "auth_ok.xml"),
                              st["sip_port"], st["tmp"], "bob", "bob", r["password"])
        expect(ok, f"REGISTER with the new generated password: {detail}")
    ctl.fails(1, "user", "passwd", DOMAIN, "nobody", "--password", "Nobody-pass-1")
    ctl.fails(1, "user", "passwd", DOMAIN, "bob", "--password", "weak")
    out = ctl.ok("user", "remove", DOMAIN, "carol")
    expect("removed carol@" + DOMAIN in out, out)
    names = sorted(u["username"] for u in ctl.json("user", "list", DOMAIN))
    expect(names == ["alice", "bob", "grace"], f"after remove: {names}")
    err = ctl.fails(1, "user", "remove", DOMAIN, "carol")
    expect("no user carol" in err, err)


def case_acl(ctl, st):
    a = ctl.json("acl", "create", "office")
    st["al"] = a["sid"]
    expect(re.fullmatch(r"AL[0-9a-f]{32}", a["sid"]) and a["friendly_name"] == "office", a)
    ip = ctl.json("acl", "add", "office", "127.0.0.1")
    expect(ip["ip_address"] == "127.0.0.1" and int(ip["cidr_prefix_length"]) == 32, ip)
    ctl.ok("acl", "add", st["al"], "10.0.0.0/8", "--friendly-name", "vpn")
    ctl.ok("acl", "add", "office", "2001:DB8::1/64")
    shown = ctl.json("acl", "show", "office")
    got = sorted((x["ip_address"], int(x["cidr_prefix_length"])) for x in shown["ip_addresses"])
    expect(got == [("10.0.0.0", 8), ("127.0.0.1", 32), ("2001:db8::1", 64)], f"show: {got}")
    out = ctl.ok("acl", "show", "office")
    expect(re.search(r"^IP[0-9a-f]{32}\s+10\.0\.0\.0/8\s+vpn$", out, re.M), out)
    expect(st["al"] in ctl.ok("acl", "list"), "acl list")
    ctl.fails(1, "acl", "add", "office", "127.0.0.1")  # already in it: the API's refusal
    ctl.fails(1, "acl", "show", "no such acl")
    # map / unmap, for registrations and for calls
    ctl.ok("acl", "map", DOMAIN, "office", "--for", "registrations")
    ctl.ok("acl", "map", DOMAIN, st["al"], "--for", "calls")
    out = ctl.ok("domain", "show", DOMAIN)
    expect(re.search(rf"^registrations: ip acls: {st['al']} \(office\)$", out, re.M), out)
    expect(re.search(rf"^calls: ip acls: {st['al']} \(office\)$", out, re.M), out)
    ctl.fails(1, "acl", "map", DOMAIN, "office", "--for", "registrations")  # already mapped
    if st.get("registered"):  # 127.0.0.1 is listed: REGISTERs still pass
        ok, detail = run_sipp(st["sipp"], os.path.join(st["scenarios"], "auth_ok.xml"),
                              st["sip_port"], st["tmp"], "grace", "grace", "Grace-secret-789")
        expect(ok, f"REGISTER from a listed address: {detail}")
    ctl.ok("acl", "unmap", DOMAIN, "office", "--for", "registrations")
    ctl.ok("acl", "unmap", DOMAIN, "office", "--for", "calls")
    out = ctl.ok("domain", "show", DOMAIN)
    expect("registrations: ip acls: none" in out and "calls: ip acls: none" in out, out)
    ctl.fails(1, "acl", "unmap", DOMAIN, "office", "--for", "calls")
    # remove by address (normalised) and by SID
    ctl.ok("acl", "remove", "office", "2001:db8:0:0::1")
    ctl.ok("acl", "remove", "office", ip["sid"])
    left = [x["ip_address"] for x in ctl.json("acl", "show", st["al"])["ip_addresses"]]
    expect(left == ["10.0.0.0"], f"after remove: {left}")
    ctl.fails(1, "acl", "remove", "office", "192.0.2.1")
    ctl.ok("acl", "delete", "office")
    ctl.fails(1, "acl", "show", st["al"])


def case_domain_delete(ctl, st):
    out = ctl.ok("domain", "delete", DOMAIN)
    expect(st["sd"] in out, out)
    ctl.fails(1, "domain", "show", st["sd"])
    for name in ("b.ctl.example", "c.ctl.example"):
        ctl.ok("domain", "delete", name)
    names = [x["domain_name"] for x in ctl.json("domain", "list")]
    expect(not any(n.endswith("ctl.example") or n == DOMAIN for n in names), names)


CASES = [
    ("usage", case_usage),
    ("unreachable", case_unreachable),
    ("wrong_token", case_wrong_token),
    ("domains", case_domains),
    ("user_add", case_user_add),
    ("register", case_register),
    ("registrations", case_registrations),
    ("user_passwd_remove", case_user_passwd_remove),
    ("acl", case_acl),
    ("domain_delete", case_domain_delete),
]


def run_cases(ctl, st):
    for name, fn in CASES:
        t = time.monotonic()
        try:
            skip = fn(ctl, st)
            if skip:
                report(name, True, time.monotonic() - t, skip[len("SKIP: "):], skipped=True)
            else:
                report(name, True, time.monotonic() - t)
        except CaseFailed as e:
            report(name, False, time.monotonic() - t, str(e))
        except (subprocess.TimeoutExpired, OSError, ValueError, KeyError) as e:
            report(name, False, time.monotonic() - t, f"{type(e).__name__}: {e}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sipfront")
    ap.add_argument("ctl")
    ap.add_argument("scenarios")
    ap.add_argument("--sipp")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--api", help="drive this running API instead of starting sipfront")
    ap.add_argument("--account", default=ACCOUNT)
    ap.add_argument("--token", default=TOKEN)
    args = ap.parse_args()
    args.sipfront, args.ctl, args.scenarios = (os.path.abspath(x) for x in
                                               (args.sipfront, args.ctl, args.scenarios))

    tmp = tempfile.mkdtemp(prefix="sipfront-ctl-")
    st = {"tmp": tmp, "sipp": args.sipp, "scenarios": args.scenarios}
    server = None
    t0 = time.monotonic()
    try:
        if args.api:
            ctl = Ctl(args.ctl, args.api, args.account, args.token)
        else:
            server = Server(args.sipfront, tmp, write_config(tmp))
            server.start()
            st["sip_port"], st["seeded"] = server.sip_port, True
            ctl = Ctl(args.ctl, server.api, ACCOUNT, TOKEN)
        run_cases(ctl, st)
        if server is not None:
            t = time.monotonic()
            rc = server.stop()
            report("server_exit", rc == 0, time.monotonic() - t,
                   "" if rc == 0 else f"exit {rc}\n{server.stderr_text()}")
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        report("server", False, 0.0,
               f"{type(e).__name__}: {e}" + (f"\n{server.stderr_text()}" if server else ""))
    finally:
        if server is not None:
            server.kill()
        if args.keep:
            print(f"     kept {tmp}", flush=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    failed = [label for label, ok, _ in results if not ok]
    skipped = [label for label, _, s in results if s]
    print(f"{len(results) - len(failed) - len(skipped)} passed, {len(failed)} failed, "
          f"{len(skipped)} skipped ({time.monotonic() - t0:.2f} s)"
          + (f": {', '.join(failed)}" if failed else ""), flush=True)
    if failed and server is not None:
        print("--- server stderr (tail) ---\n" + server.stderr_text()[-4000:], flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
