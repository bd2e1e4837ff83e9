#!/usr/bin/python3
"""The web UI in a real browser: headless Chromium, driven over WebDriver by
Debian's chromedriver, loads each page of gale-ui against a running cluster
(scripts/cluster.sh on free loopback ports, word count submitted) and checks
the DOM: the topology graph has a node per component and an edge per stream,
counts rise without a reload, the buttons deactivate and activate the
topology, the component page lists its executors and links each to its
worker's log page, which shows the log, and a page from another origin cannot
POST to the UI. Screenshots of every page are kept in
--artifacts (the README shows the topology page's).

Everything started (cluster, chromedriver, the other origin's server) is
stopped by pid in `finally`, also when a check fails. Every wait is bounded.

  /usr/bin/python3 test/ui/browser_test.py --build BUILD_DIR --artifacts DIR
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_ports(build, n):
    """n ports for daemons, from gale-bench-probe (test/support/ports.h: outside
    the kernel's ephemeral range, never handed to two tests at once)."""
    out = subprocess.run([os.path.join(build, "bin", "gale-bench-probe"), "free-ports", str(n)],
                         check=True, capture_output=True, text=True, timeout=30).stdout
    return [int(p) for p in out.split()]


def http(method, url, body=None, timeout=30):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_for(what, check, timeout=30.0):
    """Polls check() every 0.25 s until it returns a truthy value."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except Exception as e:  # a page mid-load, a server not up yet
            last = e
        time.sleep(0.25)
    raise AssertionError("timed out after %.0f s waiting for %s (last: %r)" % (timeout, what, last))


class Browser:
    """A WebDriver session of headless Chromium."""

    def __init__(self, driver_url):
        self.base = driver_url
        status, body = http("POST", driver_url + "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1400,1500"]}}}}, timeout=90)
        assert status == 200, body
        self.session = json.loads(body)["value"]["sessionId"]

    def call(self, method, path, body=None):
        status, raw = http(method, "%s/session/%s%s" % (self.base, self.session, path), body)
        value = json.loads(raw).get("value") if raw else None
        if status != 200:
            raise RuntimeError("WebDriver %s %s: %s" % (method, path, value))
        return value

    def go(self, url):
        self.call("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def click(self, css):
        # In the page: its tables are redrawn every 2 s, so an element handle
        # taken over WebDriver can go stale between finding and clicking.
        found = self.js("const e = document.querySelector(arguments[0]);"
                        " if (!e) return false; e.click(); return true;", css)
        assert found, "nothing to click at " + css

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.call("GET", "/screenshot")))
        print("screenshot:", path)

    def close(self):
        try:
            http("DELETE", "%s/session/%s" % (self.base, self.session), timeout=30)
        except Exception:
            pass


def stop(proc):
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--artifacts", required=True)
    args = ap.parse_args()
    os.makedirs(args.artifacts, exist_ok=True)
    run = tempfile.mkdtemp(prefix="gale-ui-browser-")
    ports = free_ports(args.build, 8)
    nimbus_port, ui_port, driver_port, other_port = ports[:4]
    env = dict(os.environ, GALE_BUILD_DIR=args.build, GALE_RUN_DIR=run,
               GALE_NIMBUS_PORT=str(nimbus_port), GALE_UI_PORT=str(ui_port),
               GALE_SUPERVISOR_PORTS="%d,%d %d,%d" % tuple(ports[4:]))
    ui = "http://127.0.0.1:%d" % ui_port
    gale = os.path.join(args.build, "bin", "gale")
    cluster_sh = os.path.join(ROOT, "scripts", "cluster.sh")
    driver = other = browser = None
    try:
        subprocess.run([cluster_sh, "start"], env=env, check=True, timeout=60)
        props = os.path.join(run, "wc.properties")
        with open(props, "w") as f:
            f.write("report.file=%s/counts.txt\nsentences.per.second=200\n" % run)
        subprocess.run([gale, "submit", os.path.join(ROOT, "topologies/wordcount/wordcount-cluster.yaml"),
                        "--filter", props, "--nimbus", "127.0.0.1:%d" % nimbus_port],
                       env=env, check=True, timeout=60)

        driver = subprocess.Popen(["/usr/bin/chromedriver", "--port=%d" % driver_port],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        driver_url = "http://127.0.0.1:%d" % driver_port
        wait_for("chromedriver", lambda: json.loads(http("GET", driver_url + "/status")[1])
                 ["value"]["ready"], 30)
        browser = Browser(driver_url)

        # The cluster page: supervisors and the topology, linked.
        browser.go(ui + "/")
        wait_for("the cluster page to list word count and both supervisors", lambda: browser.js(
            "return document.querySelectorAll('#topologies td[data-field=name] a').length == 1"
            " && document.querySelectorAll('#supervisors td[data-field=id]').length == 2"))
        assert browser.js("return document.querySelector('#topologies a').textContent") == "wordcount"
        browser.screenshot(os.path.join(args.artifacts, "cluster-page.png"))

        # The topology page, reached by its link.
        browser.click("#topologies a")
        wait_for("the graph", lambda: browser.js(
            "return document.querySelectorAll('#graph g.node').length") == 4)
        nodes = browser.js("return [...document.querySelectorAll('#graph g.node')]"
                           ".map(n => n.dataset.component).sort()")
        assert nodes == ["count", "report", "sentences", "split"], nodes
        edges = browser.js("return [...document.querySelectorAll('#graph g.edge')]"
                           ".map(e => e.dataset.from + '>' + e.dataset.to).sort()")
        assert edges == ["count>report", "sentences>split", "split>count"], edges
        assert browser.js("return document.querySelectorAll('#bolts td[data-field=id]').length") == 3

        # Counts rise while the page stays loaded (the marker survives).
        browser.js("window.galeMarker = 42")
        emitted = lambda: int(browser.js(
            "return document.querySelector('#graph g.node[data-component=sentences]').dataset.emitted"))
        first = emitted()
        wait_for("the spout's emitted count to rise", lambda: emitted() > first, 30)
        wait_for("a live rate on the spout", lambda: browser.js(
            "return /[1-9][0-9]*\\/s/.test(document.querySelector("
            "'#graph g.node[data-component=sentences] .node-detail').textContent)"), 30)
        assert browser.js("return window.galeMarker") == 42, "the page reloaded"
        browser.screenshot(os.path.join(args.artifacts, "topology-page.png"))

        # The buttons.
        status = lambda: browser.js(
            "return [...document.querySelectorAll('#topology-summary tr')]"
            ".find(r => r.cells[0].textContent == 'Status').cells[1].textContent")
        browser.click("#deactivate")
        wait_for("INACTIVE after Deactivate", lambda: status() == "INACTIVE", 30)
        assert browser.js("return document.querySelector('#action-result').textContent") == \
            "deactivate: success"
        browser.click("#activate")
        wait_for("ACTIVE after Activate", lambda: status() == "ACTIVE", 30)

        # The component page: split's two executors, its input from the spout.
        browser.go(ui + "/component.html?topology=wordcount&component=split")
        wait_for("split's executors", lambda: browser.js(
            "return document.querySelectorAll('#executors td[data-field=id]').length") == 2)
        wait_for("split's input", lambda: browser.js(
            "return [...document.querySelectorAll('#inputs td[data-field=component]')]"
            ".map(c => c.textContent).join()") in ("sentences", ""))
        browser.screenshot(os.path.join(args.artifacts, "component-page.png"))

        # A worker's log page, reached from the executors table.
        browser.click("#executors td[data-field=worker] a")
        wait_for("the worker's log", lambda: browser.js(
            "return document.getElementById('log').textContent").count(" INFO ") >= 2, 30)
        assert "cluster_worker.cc" in browser.js("return document.getElementById('log').textContent")
        browser.screenshot(os.path.join(args.artifacts, "log-page.png"))

        # A page of another origin cannot drive the cluster.
        site = tempfile.mkdtemp(prefix="gale-ui-other-")
        with open(os.path.join(site, "index.html"), "w") as f:
            f.write("<script>fetch('%s/api/v1/topology/wordcount/deactivate', {method: 'POST',"
                    " mode: 'no-cors'}).then(r => fetch('%s/api/v1/topology/wordcount', {mode: 'no-cors'}))"
                    ".finally(() => { document.title = 'sent'; });</script>" % (ui, ui))
        other = subprocess.Popen(["/usr/bin/python3", "-m", "http.server", str(other_port),
                                  "--bind", "127.0.0.1", "--directory", site],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for("the other origin's server", lambda: http(
            "GET", "http://127.0.0.1:%d/" % other_port)[0] == 200, 20)
        browser.go("http://127.0.0.1:%d/" % other_port)
        wait_for("the cross-site POST to be sent", lambda: browser.js("return document.title") == "sent")
        code, body = http("GET", ui + "/api/v1/topology/wordcount")
        assert json.loads(body)["status"] == "ACTIVE", "a cross-site POST deactivated the topology"
        shutil.rmtree(site, ignore_errors=True)
        print("browser test: all checks passed")
        return 0
    finally:
        if browser:
            browser.close()
        stop(driver)
        stop(other)
        subprocess.run([cluster_sh, "stop"], env=env, timeout=120)
        if os.environ.get("GALE_KEEP_RUN_DIR") is None:
            shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
