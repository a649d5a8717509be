#!/usr/bin/env python3
"""The agent's web dashboard in a real browser (issue 24): headless Chromium through WebDriver
(Debian's chromium, chromium-driver, python3-selenium) against a real agent and real servers.

Usage: dashboard_test.py --bin BUILD/bin --out DIR
Screenshots go to DIR. Chromium failing to start is a failure, never a skip: a dashboard that
is not tested in a browser is not tested.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

ARGS = None
OPERATOR_TOKEN = "operator-secret-0123456789"
MONITOR_TOKEN = "monitor-secret-0123456789"
WAIT_S = 60  # generous: the machine is shared


def wait_for(what, predicate, timeout=WAIT_S, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(interval)


class Agent:
    """A corral-agent in a home of its own, with the dashboard on 127.0.0.1:0."""

    def __init__(self, extra_flags, token_lines=None, dashboard=True):
        self.home = tempfile.mkdtemp(prefix="corral-dash-")
        # SIGTERM then stops every server: nothing outlives the test.
        flags = ["--home", self.home, "--stop-servers-on-exit"] + extra_flags
        if dashboard:
            flags += ["--dashboard-listen", "127.0.0.1:0"]
        if os.geteuid() == 0:
            flags.append("--allow-root-servers")  # CI runs as root; servers then may too
        if token_lines is not None:
            tokens = os.path.join(self.home, "tokens")
            with open(tokens, "w") as f:
                f.write("\n".join(token_lines) + "\n")
            os.chmod(tokens, 0o600)
            flags += ["--token-file", tokens]
        self.stderr_path = os.path.join(self.home, "agent.stderr")
        self.stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen([os.path.join(ARGS.bin, "corral-agent")] + flags,
                                     stdout=subprocess.DEVNULL, stderr=self.stderr)
        self.url = None
        if dashboard:
            self.url = wait_for("the agent's 'dashboard on' line", self._dashboard_url)
        else:
            wait_for("the agent's socket", lambda: os.path.exists(os.path.join(self.home,
                                                                               "agent.sock")))

    def _dashboard_url(self):
        if self.proc.poll() is not None:
            raise AssertionError("corral-agent exited %s: %s" % (self.proc.returncode,
                                                                 open(self.stderr_path).read()))
        with open(self.stderr_path) as f:
            m = re.search(r"dashboard on (https?://[0-9.]+:\d+)/", f.read())
        return m.group(1) if m else None

    def ctl(self, *args):
        out = subprocess.run([os.path.join(ARGS.bin, "corralctl"),
                              "--agent", "unix:" + os.path.join(self.home, "agent.sock")] + list(args),
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise AssertionError("corralctl %s: %s" % (" ".join(args), out.stderr))
        return out.stdout

    def server(self, name):
        return json.loads(self.ctl("--json", "get", name))["server"]

    def close(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=180)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.stderr.close()
            shutil.rmtree(self.home, ignore_errors=True)


def start_browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,800"):
        options.add_argument(arg)
    try:
        return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    except Exception as e:  # noqa: BLE001 - any failure to start is the same failure
        raise AssertionError("headless Chromium did not start through chromedriver (install "
                             "chromium and chromium-driver: scripts/setup): %s" % e) from e


class EchoLoad:
    """Requests to a tcp-echo server from a thread: one write and its echo per request."""

    def __init__(self, address):
        host, port = address.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.is_set():
            self.sock.sendall(b"ping\n")
            got = b""
            while len(got) < 5:
                got += self.sock.recv(64)

    def close(self):
        self.stop.set()
        self.thread.join(timeout=10)
        self.sock.close()


class DashboardTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.makedirs(ARGS.out, exist_ok=True)
        cls.agent = Agent([], ["ops operator " + OPERATOR_TOKEN, "viewer monitor " + MONITOR_TOKEN])
        # BACKOFF lasts 10 s, long enough for a slow WebDriver to see the page showing it.
        cls.agent.ctl("start", "web", "--protocol", "tcp-echo", "--listen", "127.0.0.1:0",
                      "--backoff-initial-ms", "10000")
        cls.agent.ctl("start", "quiet", "--protocol", "udp-echo", "--listen", "127.0.0.1:0")
        cls.browser = start_browser()

    @classmethod
    def tearDownClass(cls):
        cls.browser.quit()
        cls.agent.close()

    def shot(self, name):
        path = os.path.join(ARGS.out, name + ".png")
        self.browser.save_screenshot(path)
        print("screenshot:", path)

    def find(self, css):
        return self.browser.find_element(By.CSS_SELECTOR, css)

    def text(self, css):
        try:
            return self.find(css).text
        except Exception:  # noqa: BLE001 - not there yet
            return ""

    def login(self, token):
        self.browser.delete_all_cookies()
        self.browser.get(self.agent.url + "/")
        field = WebDriverWait(self.browser, WAIT_S).until(lambda b: b.find_element(By.ID, "token"))
        wait_for("the login form", field.is_displayed)
        field.send_keys(token)
        field.send_keys(Keys.ENTER)

    def open_server(self, name):
        self.browser.get(self.agent.url + "/#/server/" + name)
        wait_for("the page of " + name, lambda: self.find("#server-state").get_attribute(
            "data-state") == "RUNNING")

    def test_1_operator_sees_every_server_and_its_requests_rise_under_load(self):
        self.login(OPERATOR_TOKEN)
        wait_for("both rows", lambda: self.text('tr[data-name="web"] [data-col=state]') == "RUNNING"
                 and self.text('tr[data-name="quiet"] [data-col=state]') == "RUNNING")
        self.assertIn("ops (operator)", self.text("#who"))
        self.assertEqual(self.text('tr[data-name="web"] [data-col=rps]'), "0.0")
        load = EchoLoad(self.agent.server("web")["boundAddress"])
        try:
            rps = wait_for("web's req/s to rise", lambda: float(
                self.text('tr[data-name="web"] [data-col=rps]') or 0) > 50 and
                self.text('tr[data-name="web"] [data-col=rps]'))
            print("web under load: %s req/s on the page" % rps)
            self.shot("1-list-under-load")
            # Sorting by req/s, descending, from the keyboard: web comes first.
            button = self.find('th[data-key="rps"] button')
            button.send_keys(Keys.ENTER)
            button.send_keys(Keys.ENTER)
            self.assertEqual(self.find('th[data-key="rps"]').get_attribute("aria-sort"),
                             "descending")
            self.assertEqual(self.find("#servers tbody tr").get_attribute("data-name"), "web")
            self.open_server("web")
            wait_for("the five charts", lambda: len(self.browser.find_elements(
                By.CSS_SELECTOR, "#charts canvas")) == 5)
            wait_for("the workers table", lambda: self.browser.find_elements(
                By.CSS_SELECTOR, "#workers tbody tr"))
            wait_for("the log", lambda: "READY" in self.text("#log") or self.text("#log"))
            self.shot("2-server-page-under-load")
        finally:
            load.close()
        # Filtering: only matching rows stay.
        self.browser.get(self.agent.url + "/#/")
        field = WebDriverWait(self.browser, WAIT_S).until(lambda b: b.find_element(By.ID, "filter"))
        field.send_keys("quiet")
        wait_for("the filter", lambda: [r.get_attribute("data-name") for r in
                 self.browser.find_elements(By.CSS_SELECTOR, "#servers tbody tr")] == ["quiet"])

    def test_2_operator_restarts_a_server_and_sees_it_change(self):
        self.login(OPERATOR_TOKEN)
        self.open_server("web")
        before = self.agent.server("web")["pid"]
        pid_fact = lambda: self.text('[data-fact="PID"]')  # noqa: E731
        wait_for("the pid shown", lambda: pid_fact() == str(before))
        self.find('#actions [data-action="restart"]').click()
        wait_for("the restart to be done", lambda: "restart web: done" in self.text("#action-result"))
        after = self.agent.server("web")["pid"]
        self.assertNotEqual(before, after)
        wait_for("the new pid on the page", lambda: pid_fact() == str(after))
        wait_for("the STARTED event", lambda: any(
            e.get_attribute("data-kind") == "STARTED" and ("pid %s" % after) in e.text
            for e in self.browser.find_elements(By.CSS_SELECTOR, "#events li")))
        self.shot("3-after-restart")

    def test_3_a_killed_server_shows_backoff_with_its_reason_then_running(self):
        self.login(OPERATOR_TOKEN)
        self.open_server("web")
        pid = self.agent.server("web")["pid"]
        os.kill(pid, signal.SIGKILL)
        # One read of the page, so that what is checked is one moment of it.
        page = []

        def backoff_shown():
            page[:] = self.browser.execute_script(
                "const s = document.getElementById('server-state');"
                "return [s.dataset.state, s.textContent,"
                "        document.getElementById('alerts').textContent,"
                "        document.getElementById('link').textContent];")
            return page[0] == "BACKOFF" and list(page)
        try:
            seen = wait_for("BACKOFF", backoff_shown, interval=0.05)
        except AssertionError:
            self.shot("4-backoff-not-seen")
            raise AssertionError("the page never showed BACKOFF; it showed %r; the agent says %r"
                                 % (page, self.agent.server("web")))
        self.shot("4-backoff")
        self.assertIn("BACKOFF: died: killed by signal 9", seen[1])
        self.assertIn("web is BACKOFF", seen[2])
        print("state shown:", seen[1])
        wait_for("RUNNING again", lambda: self.find("#server-state").get_attribute(
            "data-state") == "RUNNING")
        wait_for("the alert to go", lambda: self.text("#alerts") == "")
        self.shot("5-running-again")

    def test_4_monitor_sees_everything_and_no_action_and_a_forged_post_is_refused(self):
        self.login(MONITOR_TOKEN)
        self.open_server("web")
        self.assertIn("viewer (monitor)", self.text("#who"))
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "#actions button"), [])
        wait_for("the workers table", lambda: self.browser.find_elements(
            By.CSS_SELECTOR, "#workers tbody tr"))
        self.shot("6-monitor-server-page")
        # What the page does not offer, a hand-made request tries: the server refuses it.
        status = self.browser.execute_async_script("""
            const done = arguments[arguments.length - 1];
            fetch('/api/session').then((r) => r.json()).then((s) =>
              fetch('/api/action?name=web&do=stop',
                    {method: 'POST', headers: {'X-Corral-CSRF': s.csrf}})
            ).then((r) => r.text().then((t) => done(r.status + ' ' + t)));""")
        self.assertTrue(status.startswith("403 "), status)
        self.assertIn("monitor", status)
        self.assertEqual(self.agent.server("web")["state"], "STATE_RUNNING")

    def test_5_operator_post_without_the_csrf_token_is_refused(self):
        self.login(OPERATOR_TOKEN)
        self.open_server("web")
        status = self.browser.execute_async_script("""
            const done = arguments[arguments.length - 1];
            fetch('/api/action?name=web&do=stop', {method: 'POST'})
              .then((r) => r.text().then((t) => done(r.status + ' ' + t)));""")
        self.assertTrue(status.startswith("403 "), status)
        self.assertIn("CSRF", status)
        self.assertEqual(self.agent.server("web")["state"], "STATE_RUNNING")

    def test_6_a_wrong_token_is_refused_and_the_page_says_so(self):
        self.login("not-a-token-at-all-000")
        wait_for("the refusal", lambda: self.find("#login-failed").is_displayed())
        self.assertEqual(self.browser.get_cookies(), [])

    def test_7_narrow_window(self):
        self.login(OPERATOR_TOKEN)
        try:
            self.browser.set_window_size(400, 800)
            self.browser.get(self.agent.url + "/#/")
            wait_for("the table", lambda: self.text('tr[data-name="web"] [data-col=state]'))
            self.assertLessEqual(self.browser.execute_script(
                "return document.documentElement.scrollWidth"),
                self.browser.execute_script("return window.innerWidth") + 1)
            self.shot("7-narrow-list")
            self.open_server("web")
            self.shot("8-narrow-server")
        finally:
            self.browser.set_window_size(1280, 800)


class ServingTest(unittest.TestCase):
    """HTTPS, and the dashboard without --token-file (loopback only, every visitor a monitor)."""

    def test_https_with_the_given_certificate_and_a_secure_cookie(self):
        certs = tempfile.mkdtemp(prefix="corral-dash-tls-")
        try:
            cert, key = os.path.join(certs, "cert.pem"), os.path.join(certs, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                            "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                            "-keyout", key, "-out", cert], check=True, capture_output=True)
            agent = Agent(["--tls-cert", cert, "--tls-key", key],
                          ["ops operator " + OPERATOR_TOKEN])
            try:
                self.assertTrue(agent.url.startswith("https://"), agent.url)
                context = ssl.create_default_context(cafile=cert)
                page = urllib.request.urlopen(agent.url + "/", timeout=10, context=context).read()
                self.assertIn(b"Corral dashboard", page)

                class NoRedirect(urllib.request.HTTPRedirectHandler):
                    def redirect_request(self, *args):
                        return None
                opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                                     NoRedirect)
                login = urllib.request.Request(agent.url + "/login", method="POST",
                                               data=("token=" + OPERATOR_TOKEN).encode())
                with self.assertRaises(urllib.error.HTTPError) as redirected:
                    opener.open(login, timeout=10)
                cookie = redirected.exception.headers["Set-Cookie"]
                self.assertIn("HttpOnly", cookie)
                self.assertIn("SameSite=Strict", cookie)
                self.assertIn("Secure", cookie)
                session = urllib.request.Request(agent.url + "/api/session",
                                                 headers={"Cookie": cookie.split(";")[0]})
                me = json.loads(opener.open(session, timeout=10).read())
                self.assertEqual(me["role"], "operator")
                # Plain HTTP to the TLS port gets no page.
                with self.assertRaises(Exception):
                    urllib.request.urlopen(agent.url.replace("https:", "http:") + "/", timeout=10)
            finally:
                agent.close()
        finally:
            shutil.rmtree(certs, ignore_errors=True)

    def test_loopback_without_tokens_is_read_only(self):
        agent = Agent([])
        try:
            session = json.loads(urllib.request.urlopen(agent.url + "/api/session", timeout=10).read())
            self.assertEqual(session["role"], "monitor")
            self.assertEqual(session["actions"], [])
            request = urllib.request.Request(agent.url + "/api/action?name=x&do=stop", method="POST")
            with self.assertRaises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=10)
            self.assertEqual(refused.exception.code, 403)
            # Another host name (DNS rebinding) gets nothing.
            request = urllib.request.Request(agent.url + "/api/session",
                                             headers={"Host": "attacker.example:80"})
            with self.assertRaises(urllib.error.HTTPError) as misdirected:
                urllib.request.urlopen(request, timeout=10)
            self.assertEqual(misdirected.exception.code, 421)
        finally:
            agent.close()

    def test_what_a_client_may_hold_is_bounded(self):
        agent = Agent([])
        host, port = agent.url[len("http://"):].rsplit(":", 1)

        def exchange(request, read_all=True):
            sock = socket.create_connection((host, int(port)), timeout=10)
            sock.sendall(request)
            reply = b""
            while b"\r\n\r\n" not in reply or read_all:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                reply += chunk
            return sock, reply

        try:
            head = "GET / HTTP/1.1\r\nHost: %s:%s\r\n" % (host, port)
            sock, reply = exchange((head + "X-Pad: " + "a" * 9000 + "\r\n\r\n").encode())
            sock.close()
            self.assertTrue(reply.startswith(b"HTTP/1.1 431 "), reply[:80])
            sock, reply = exchange(("POST /login HTTP/1.1\r\nHost: %s:%s\r\n"
                                    "Content-Length: 5000\r\n\r\n" % (host, port)).encode())
            sock.close()
            self.assertTrue(reply.startswith(b"HTTP/1.1 413 "), reply[:80])
            # Live streams: up to the bound, then 503 at once.
            streams = []
            try:
                for _ in range(24):
                    sock, reply = exchange(
                        ("GET /api/events HTTP/1.1\r\nHost: %s:%s\r\n\r\n" % (host, port)).encode(),
                        read_all=False)
                    self.assertTrue(reply.startswith(b"HTTP/1.1 200 "), reply[:80])
                    streams.append(sock)
                sock, reply = exchange(
                    ("GET /api/events HTTP/1.1\r\nHost: %s:%s\r\n\r\n" % (host, port)).encode())
                sock.close()
                self.assertTrue(reply.startswith(b"HTTP/1.1 503 "), reply[:80])
            finally:
                for sock in streams:
                    sock.close()
        finally:
            agent.close()

    def test_no_tokens_off_loopback_is_refused_at_start(self):
        home = tempfile.mkdtemp(prefix="corral-dash-")
        try:
            out = subprocess.run([os.path.join(ARGS.bin, "corral-agent"), "--home", home,
                                  "--dashboard-listen", "0.0.0.0:0"],
                                 capture_output=True, text=True, timeout=60)
            self.assertEqual(out.returncode, 1)
            self.assertIn("--token-file", out.stderr)
        finally:
            shutil.rmtree(home, ignore_errors=True)

    def test_tokens_off_loopback_without_tls_are_refused_at_start(self):
        home = tempfile.mkdtemp(prefix="corral-dash-")
        try:
            tokens = os.path.join(home, "tokens")
            with open(tokens, "w") as f:
                f.write("alice operator 0123456789abcdef0123\n")
            os.chmod(tokens, 0o600)
            out = subprocess.run([os.path.join(ARGS.bin, "corral-agent"), "--home", home,
                                  "--dashboard-listen", "0.0.0.0:0", "--token-file", tokens],
                                 capture_output=True, text=True, timeout=60)
            self.assertEqual(out.returncode, 1)
            self.assertIn("--tls-cert", out.stderr)
        finally:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--out", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
