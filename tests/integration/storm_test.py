#!/usr/bin/env python3
"""The registration storm guard (issue 4), against the real server on loopback.

The server is stopped with SIGSTOP while a burst of REGISTERs queues in its socket, then
continued: every REGISTER that waited longer than storm.max_delay_ms must be answered 503 with
a Retry-After inside the configured window (not dropped, not processed late), the shedding
must be counted, and a REGISTER sent after the backlog drained must be served normally.

Usage: storm_test.py PATH/TO/sipfront
"""
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import durability_test as d  # noqa: E402  (Server and Client are shared)

BURST = 200
RETRY_MIN, RETRY_MAX = 20, 40


def register_text(local, i):
    return ("REGISTER sip:%s SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-storm-%d\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:%s@%s>;tag=s%d\r\n"
            "To: <sip:%s@%s>\r\n"
            "Call-ID: storm-%d@x\r\n"
            "CSeq: 1 REGISTER\r\n"
            "Contact: <sip:%s@127.0.0.1:7000>\r\n"
            "Content-Length: 0\r\n\r\n") % (d.DOMAIN, local, i, d.user(i % d.USERS), d.DOMAIN, i,
                                             d.user(i % d.USERS), d.DOMAIN, i,
                                             d.user(i % d.USERS))


def wait_stopped(pid):
    """SIGSTOP is asynchronous: wait until every thread of the process is in state T."""
    deadline = time.time() + 10
    while time.time() < deadline:
        states = []
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                states.append(f.read().rsplit(")", 1)[1].split()[0])
        if all(st in ("T", "t") for st in states):
            return True
        time.sleep(0.01)
    return False


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="sipfront-storm-")
    s = d.Server(binary, tmp, storm='{"max_delay_ms": 100, "retry_after_min": %d, '
                 '"retry_after_max": %d}' % (RETRY_MIN, RETRY_MAX))
    try:
        s.start()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        sock.bind(("127.0.0.1", 0))
        local = sock.getsockname()[1]

        # Before the storm: the guard must not shed a REGISTER answered promptly.
        c = d.Client(s.port)
        status, _ = c.register(d.user(0), "calm-before@x", 1, ["<sip:u000@127.0.0.1:7001>"])
        d.check(status == 200, "a prompt REGISTER is served: %d" % status)

        s.proc.send_signal(signal.SIGSTOP)
        d.check(wait_stopped(s.proc.pid), "the server stopped on SIGSTOP")
        for i in range(BURST):
            sock.sendto(register_text(local, i).encode(), ("127.0.0.1", s.port))
        time.sleep(0.5)  # every queued datagram is now older than max_delay_ms
        s.proc.send_signal(signal.SIGCONT)

        statuses, retry = {}, []
        sock.settimeout(3.0)
        try:
            while len(statuses) < BURST:
                text = sock.recv(65535).decode("utf-8", "replace")
                code = int(text.split(" ", 2)[1])
                statuses[code] = statuses.get(code, 0) + 1
                m = re.search(r"\r\nRetry-After: (\d+)\r\n", text)
                if code == 503:
                    d.check(m is not None, "503 carries Retry-After:\n" + text)
                    if m:
                        retry.append(int(m.group(1)))
        except socket.timeout:
            pass
        d.check(statuses.get(503, 0) == BURST,
                "all %d stale REGISTERs are shed with 503: %s" % (BURST, statuses))
        d.check(all(RETRY_MIN <= r <= RETRY_MAX for r in retry),
                "Retry-After inside [%d, %d]: %s..%s" % (RETRY_MIN, RETRY_MAX,
                                                         min(retry, default=None),
                                                         max(retry, default=None)))
        d.check(len(set(retry)) >= 5, "Retry-After is spread out: %d distinct values"
                % len(set(retry)))

        # After the storm: served normally again, and the stored binding survived it.
        status, r = c.register(d.user(0), "calm-after@x", 1, [])
        d.check(status == 200 and "<sip:u000@127.0.0.1:7001>" in r,
                "served after the storm, binding intact: %d" % status)

        d.check(s.kill(signal.SIGTERM) == 0, "SIGTERM exits 0")
        m = re.search(r"overloaded=(\d+)", s.log)
        d.check(m is not None and int(m.group(1)) == BURST,
                "the shedding is counted (overloaded=%d):\n%s" % (BURST, s.log))
    finally:
        s.ensure_dead()
        shutil.rmtree(tmp, ignore_errors=True)
    if d.failures:
        return 1
    print("ok: %d stale REGISTERs shed with 503, Retry-After %d..%d" %
          (BURST, min(retry), max(retry)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
