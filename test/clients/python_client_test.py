#!/usr/bin/python3
"""Tests of the gale_client package (clients/python) against a real nimbus.

    V/bin/python test/clients/python_client_test.py --nimbus HOST:PORT \
        --plugin libwordcount.so --tmp DIR --repo REPO

test/integration/clients_test.cc starts the nimbus (on a free port), installs
the package into a venv (V/bin/pip install --no-deps) and runs this with the
venv's interpreter: the package must be the installed one. Every call is
bounded by the client's socket timeout and every wait by a deadline; the
topologies it submits are killed with wait 0.
"""

import argparse
import hashlib
import os
import shutil
import socket
import ssl
import sys
import threading
import time
import unittest

import gale_client as gc
from gale_client import ttypes as generated

ARGS = None


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def small_topology(name, plugin):
    """sentences -> split -> count, from libwordcount.so."""
    return (gc.TopologyBuilder(name)
            .plugin(plugin)
            .config("topology.workers", 1)
            .spout("sentences", "SentenceSpout", outputs={"default": ["sentence"]},
                   config={"sentences.loop": True, "sentences.per.second": 10})
            .bolt("split", "SplitSentence", 2, outputs={"default": ["word"]})
            .bolt("count", "WordCount", 1, outputs={"default": ["word", "count"]})
            .shuffle("sentences", "split")
            .fields("split", "count", ["word"]))


class ClientTest(unittest.TestCase):
    def setUp(self):
        host, _, port = ARGS.nimbus.rpartition(":")
        self.nimbus = gc.connect(host, int(port), timeout=10)
        self.submitted = []

    def tearDown(self):
        for name in self.submitted:
            try:
                self.nimbus.kill(name, wait=0)
            except gc.NotFound:
                pass
        self.nimbus.close()

    def submit(self, builder, **kw):
        self.submitted.append(builder.name)
        return self.nimbus.submit(builder, **kw)

    def names(self):
        return {t.name: t for t in self.nimbus.list().topologies}

    def test_unknown_topology_gets_not_alive_exception(self):
        calls = {
            "kill": lambda: self.nimbus.kill("zzz", wait=0),
            "info": lambda: self.nimbus.info("zzz"),
            "activate": lambda: self.nimbus.activate("zzz"),
            "deactivate": lambda: self.nimbus.deactivate("zzz"),
            "rebalance": lambda: self.nimbus.rebalance("zzz", workers=1),
        }
        for verb, call in calls.items():
            with self.subTest(verb=verb):
                start = time.monotonic()
                with self.assertRaises(gc.NotFound) as cm:
                    call()
                self.assertIs(type(cm.exception), gc.NotFound)
                self.assertEqual(str(cm.exception), "no topology named 'zzz'")
                self.assertLess(time.monotonic() - start, 5)
        # The connection is still usable after declared exceptions.
        self.assertIsInstance(self.nimbus.list(), generated.ClusterSummary)

    def test_duplicate_submit_gets_already_alive_exception(self):
        self.assertEqual(self.submit(small_topology("dup", ARGS.plugin), inactive=True), "dup")
        with self.assertRaises(gc.AlreadyAlive) as cm:
            self.nimbus.submit(small_topology("dup", ARGS.plugin))
        self.assertEqual(str(cm.exception),
                         "topology 'dup' is already running; kill it first or choose another name")
        self.assertEqual(self.names()["dup"].status, generated.TopologyStatus.INACTIVE)

    def test_invalid_topologies_get_their_declared_exceptions(self):
        # A subscription to a stream the spout does not declare.
        bad = (gc.TopologyBuilder("bad").plugin(ARGS.plugin)
               .spout("sentences", "SentenceSpout", outputs={"default": ["sentence"]})
               .bolt("split", "SplitSentence", outputs={"default": ["word"]})
               .shuffle("sentences", "split", stream="nostream"))
        with self.assertRaises(gc.InvalidTopology) as cm:
            self.nimbus.submit(bad)
        self.assertIn("subscribes to stream 'nostream', which spout 'sentences' does not declare",
                      str(cm.exception))
        # A fields grouping on a field the stream does not have.
        bad = (gc.TopologyBuilder("bad2").plugin(ARGS.plugin)
               .spout("sentences", "SentenceSpout", outputs={"default": ["sentence"]})
               .bolt("split", "SplitSentence", outputs={"default": ["word"]})
               .fields("sentences", "split", ["nope"]))
        with self.assertRaises(gc.InvalidTopology):
            self.nimbus.submit(bad)
        # A className the plugin does not register, and outputs other than it
        # declares: nimbus asks the plugin (in a child process) and refuses.
        bad = (gc.TopologyBuilder("bad3").plugin(ARGS.plugin)
               .spout("sentences", "SentenceSpot", outputs={"default": ["sentence"]})
               .bolt("split", "SplitSentence", outputs={"default": ["word"]})
               .shuffle("sentences", "split"))
        with self.assertRaises(gc.InvalidTopology) as cm:
            self.nimbus.submit(bad)
        self.assertTrue(str(cm.exception).startswith(
            "unknown className 'SentenceSpot' for spout 'sentences' (did you mean "
            "'SentenceSpout'?"), str(cm.exception))
        bad = (gc.TopologyBuilder("bad4").plugin(ARGS.plugin)
               .spout("sentences", "SentenceSpout", outputs={"default": ["line"]})
               .bolt("split", "SplitSentence", outputs={"default": ["word"]})
               .shuffle("sentences", "split"))
        with self.assertRaises(gc.InvalidTopology) as cm:
            self.nimbus.submit(bad)
        self.assertEqual(str(cm.exception),
                         "spout 'sentences' (className SentenceSpout): stream 'default' is [line] "
                         "in the submitted topology, but the plugin declares [sentence]")
        # A plugin nimbus does not store.
        missing = (gc.TopologyBuilder("missing").uploaded_plugin("libnothing.so", "c" * 64)
                   .spout("sentences", "SentenceSpout", outputs={"default": ["sentence"]}))
        with self.assertRaises(gc.PluginNotFound) as cm:
            self.nimbus.submit(missing)
        self.assertIn("needs plugin 'libnothing.so'", str(cm.exception))
        for name in ("bad", "bad2", "bad3", "bad4"):
            self.assertNotIn(name, self.names())

    def test_upload_plugin_returns_its_sha256(self):
        with open(ARGS.plugin, "rb") as f:
            want = hashlib.sha256(f.read()).hexdigest()
        self.assertEqual(self.nimbus.upload_plugin(ARGS.plugin), want)
        self.assertTrue(self.nimbus.has_plugin(want))
        self.assertEqual(self.nimbus.upload_plugin(ARGS.plugin), want)  # stored: no upload
        # A file of its own (several chunks), then a bad hash.
        path = os.path.join(ARGS.tmp, "blob.bin")
        with open(path, "wb") as f:
            f.write(os.urandom(gc.CHUNK_SIZE * 2 + 123))
        sha = self.nimbus.upload_plugin(path)
        self.assertEqual(sha, gc.sha256_file(path))
        self.assertTrue(self.nimbus.has_plugin(sha))
        with self.assertRaises(generated.UploadException) as cm:  # raw: the generated type
            self.nimbus.raw.beginPluginUpload("ABC", 5)
        self.assertIn("is not a SHA-256", cm.exception.msg)
        with self.assertRaises(gc.UploadError) as cm:
            self.nimbus.upload_plugin(path, sha256="ABC")
        self.assertEqual(str(cm.exception),
                         "'ABC' is not a SHA-256 (64 lower-case hex digits)")
        with self.assertRaises(gc.UploadError) as cm:
            self.nimbus.upload_plugin(path, sha256="a" * 64)  # the file does not match
        self.assertIn("not " + "a" * 64, str(cm.exception))

    def test_lifecycle_calls(self):
        self.submit(small_topology("life", ARGS.plugin), inactive=True)
        status = lambda: self.nimbus.info("life").status  # noqa: E731
        self.assertEqual(status(), generated.TopologyStatus.INACTIVE)
        self.nimbus.activate("life")
        self.assertEqual(status(), generated.TopologyStatus.ACTIVE)
        self.nimbus.deactivate("life")
        self.assertEqual(status(), generated.TopologyStatus.INACTIVE)
        with self.assertRaises(gc.InvalidTopology) as cm:
            self.nimbus.rebalance("life", executors={"split": 5}, wait=0)
        self.assertIn("component 'split' has 2 task(s)", str(cm.exception))
        with self.assertRaises(gc.InvalidTopology) as cm:
            self.nimbus.rebalance("life", workers=0)
        self.nimbus.rebalance("life", workers=1, executors={"split": 1}, wait=0)
        self.assertTrue(wait_for(lambda: status() == generated.TopologyStatus.INACTIVE, 20))
        self.nimbus.kill("life", wait=60)  # KILLED until killed again
        with self.assertRaises(gc.IllegalState) as cm:
            self.nimbus.activate("life")
        self.assertEqual(str(cm.exception), "topology 'life' is KILLED and cannot be activated")
        self.assertEqual(self.names()["life"].status, generated.TopologyStatus.KILLED)
        self.nimbus.kill("life", wait=0)
        self.assertTrue(wait_for(lambda: "life" not in self.names(), 20))
        with self.assertRaises(gc.NotFound):
            self.nimbus.info("life")


class TransportTest(unittest.TestCase):
    def test_silent_server_times_out_instead_of_hanging(self):
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        accepted = []
        t = threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True)
        t.start()
        try:
            nimbus = gc.connect("127.0.0.1", server.getsockname()[1], timeout=1)
            start = time.monotonic()
            with self.assertRaises(gc.Timeout) as cm:
                nimbus.list()
            self.assertLess(time.monotonic() - start, 5)
            self.assertIsInstance(cm.exception, gc.Unavailable)
            self.assertIsInstance(cm.exception, gc.GaleError)
            self.assertIn("did not answer getClusterInfo within 1 s", str(cm.exception))
        finally:
            t.join(5)
            for conn, _ in accepted:
                conn.close()
            server.close()

    def test_nothing_listening(self):
        # Bound, never listening, and kept so until the connect: refused, and
        # no other process can be handed the port meanwhile.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            with self.assertRaises(gc.Unavailable) as cm:
                gc.connect("127.0.0.1", port, timeout=2)
        self.assertIn("cannot connect to nimbus at 127.0.0.1:%d" % port, str(cm.exception))


class PackageTest(unittest.TestCase):
    def test_installed_package_holds_its_generated_code(self):
        # Installed into this interpreter's environment, not found in the checkout.
        here = os.path.dirname(os.path.abspath(gc.__file__))
        self.assertTrue(here.startswith(os.path.realpath(sys.prefix)) or
                        here.startswith(sys.prefix), here)
        self.assertTrue(os.path.isfile(os.path.join(here, "gale_thrift", "Nimbus.py")))
        self.assertTrue(os.path.isfile(os.path.join(here, "py.typed")))
        self.assertEqual(generated.__name__, "gale_client.gale_thrift.ttypes")

    def test_exception_hierarchy(self):
        for cls in (gc.NotFound, gc.AlreadyAlive, gc.InvalidTopology, gc.UploadError,
                    gc.IllegalState, gc.ServerError, gc.Unavailable):
            self.assertTrue(issubclass(cls, gc.GaleError), cls)
        self.assertTrue(issubclass(gc.PluginNotFound, gc.NotFound))
        self.assertTrue(issubclass(gc.Timeout, gc.Unavailable))
        self.assertIs(gc.NotAliveException, gc.NotFound)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


class YamlTest(unittest.TestCase):
    """submit_yaml: Gale's loader in nimbus reads the file, its includes, ${...}."""

    def setUp(self):
        host, _, port = ARGS.nimbus.rpartition(":")
        self.nimbus = gc.connect(host, int(port), timeout=10)
        self.submitted = []
        self.dir = os.path.join(ARGS.tmp, self.id().rsplit(".", 1)[-1])
        self.lib = os.path.dirname(os.path.abspath(ARGS.plugin))

    def tearDown(self):
        for name in self.submitted:
            try:
                self.nimbus.kill(name, wait=0)
            except gc.NotFound:
                pass
        self.nimbus.close()

    def test_repository_word_count_with_include_filter_and_plugin_path(self):
        # topologies/wordcount/wordcount-cluster.yaml includes wordcount.yaml, which
        # names libwordcount.so (found in the plugin path); ${...} from the filter file.
        props = os.path.join(self.dir, "wc.properties")
        write(props, "report.file=%s\nsentences.per.second=20\n"
              % os.path.join(self.dir, "report.txt"))
        yaml = os.path.join(ARGS.repo, "topologies", "wordcount", "wordcount-cluster.yaml")
        plan = self.nimbus.validate_yaml(yaml, filter_file=props, plugin_path=[self.lib])
        self.assertEqual(plan.name, "wordcount")
        self.assertEqual([p.name for p in plan.plugins], ["libwordcount.so"])
        self.assertEqual(plan.plugins[0].candidates[-1],
                         os.path.join(self.lib, "libwordcount.so"))
        self.submitted.append("wordcount")
        self.assertEqual(self.nimbus.submit_yaml(yaml, filter_file=props, plugin_path=[self.lib],
                                                 inactive=True), "wordcount")
        components = lambda name: sorted({e.component_id  # noqa: E731
                                          for e in self.nimbus.info(name).executors})
        self.assertEqual(self.nimbus.info("wordcount").status,
                         generated.TopologyStatus.INACTIVE)
        # Assigned once slots are free (other tests' topologies may still hold some).
        want = ["__acker", "count", "report", "sentences", "split"]
        self.assertTrue(wait_for(lambda: components("wordcount") == want, 20),
                        components("wordcount"))
        # topology.workers of the including file (slots of other tests' topologies
        # may still be freed meanwhile).
        self.assertTrue(wait_for(lambda: self.nimbus.info("wordcount").num_workers == 2, 20))
        with self.assertRaises(gc.AlreadyAlive) as cm:
            self.nimbus.submit_yaml(yaml, filter_file=props, plugin_path=[self.lib])
        self.assertEqual(str(cm.exception), "topology 'wordcount' is already running; kill it "
                         "first or choose another name")
        # Without the filter file: the loader's errors, with the client's file:line:column.
        with self.assertRaises(gc.InvalidTopology) as cm:
            self.nimbus.submit_yaml(yaml, plugin_path=[self.lib])
        self.assertEqual(str(cm.exception).splitlines()[0],
                         "%s:16:29: undefined property '${sentences.per.second}' "
                         "(no --filter file given)" % yaml)

    def test_nested_includes_environment_and_plugin_next_to_the_file(self):
        top = os.path.join(self.dir, "app", "top.yaml")
        write(top, "name: ${ENV-GALE_TEST_NAME}\nincludes:\n  - file: ../common/base.yaml\n"
                   "config:\n  topology.workers: 1\n")
        write(os.path.join(self.dir, "common", "base.yaml"),
              "includes:\n  - file: deeper/parts.yaml\nplugins:\n  - lib/libwordcount.so\n")
        write(os.path.join(self.dir, "common", "deeper", "parts.yaml"),
              "spouts:\n  - id: sentences\n    className: SentenceSpout\n"
              "bolts:\n  - id: split\n    className: SplitSentence\n"
              "streams:\n  - from: sentences\n    to: split\n    grouping: {type: SHUFFLE}\n")
        os.makedirs(os.path.join(self.dir, "common", "lib"))
        shutil.copyfile(ARGS.plugin, os.path.join(self.dir, "common", "lib", "libwordcount.so"))
        self.submitted.append("fromenv")
        name = self.nimbus.submit_yaml(top, env={"GALE_TEST_NAME": "fromenv"}, plugin_path=[],
                                       inactive=True)
        self.assertEqual(name, "fromenv")
        components = lambda: sorted({e.component_id  # noqa: E731
                                     for e in self.nimbus.info("fromenv").executors})
        self.assertTrue(wait_for(lambda: components() == ["__acker", "sentences", "split"], 20),
                        components())
        # An unset variable: the loader's error, where it is.
        with self.assertRaises(gc.InvalidTopology) as cm:
            self.nimbus.submit_yaml(top, env={}, plugin_path=[])
        self.assertEqual(str(cm.exception),
                         "%s:1:7: undefined environment variable 'GALE_TEST_NAME' in "
                         "'${ENV-GALE_TEST_NAME}'" % top)

    def test_errors_name_the_clients_files(self):
        top = os.path.join(self.dir, "top.yaml")
        # An include that does not exist.
        write(top, "name: t1\nincludes:\n  - file: nothere.yaml\n")
        with self.assertRaises(gc.InvalidTopology) as cm:
            self.nimbus.submit_yaml(top)
        self.assertEqual(str(cm.exception), "%s:3:5: cannot read included file '%s': No such "
                         "file or directory" % (top, os.path.join(self.dir, "nothere.yaml")))
        # A YAML error in an included file.
        write(top, "name: t2\nincludes:\n  - file: bad.yaml\n")
        write(os.path.join(self.dir, "bad.yaml"), "spouts:\n  - id: [unclosed\n")
        with self.assertRaises(gc.InvalidTopology) as cm:
            self.nimbus.submit_yaml(top)
        self.assertTrue(str(cm.exception).startswith(os.path.join(self.dir, "bad.yaml") + ":"),
                        str(cm.exception))
        self.assertIn("YAML syntax error", str(cm.exception))
        # A plugin that is nowhere: where the loader looked.
        write(top, "name: t3\nplugins:\n  - libnope.so\nspouts:\n"
                   "  - id: s\n    className: SentenceSpout\n")
        with self.assertRaises(gc.InvalidTopology) as cm:
            self.nimbus.submit_yaml(top, plugin_path=[self.lib])
        self.assertEqual(str(cm.exception),
                         "%s:3:5: plugin file not found: 'libnope.so' (looked for %s, %s)"
                         % (top, os.path.join(self.dir, "libnope.so"),
                            os.path.join(self.lib, "libnope.so")))
        # A className the plugin does not register: the plugins are asked.
        write(top, "name: t4\nplugins:\n  - %s\nspouts:\n"
                   "  - id: s\n    className: SentenceSpot\n" % os.path.abspath(ARGS.plugin))
        with self.assertRaises(gc.InvalidTopology) as cm:
            self.nimbus.submit_yaml(top)
        self.assertTrue(str(cm.exception).startswith(
            "%s:6:16: unknown className 'SentenceSpot' for spout 's' (did you mean "
            "'SentenceSpout'?" % top), str(cm.exception))
        names = {t.name for t in self.nimbus.list().topologies}
        self.assertFalse(names & {"t1", "t2", "t3", "t4"})

    def test_raw_calls_refuse_paths_outside_the_scratch_folder(self):
        request = generated.YamlTopologyRequest(
            file="/x/../../etc/top.yaml",
            sources=[generated.YamlSource(path="/x/../../etc/top.yaml", text="name: x\n")])
        with self.assertRaises(generated.InvalidTopologyException) as cm:
            self.nimbus.raw.planYamlTopology(request)
        self.assertEqual(cm.exception.msg, "topology file '/x/../../etc/top.yaml' must be an "
                         "absolute, normalized path (no '.' or '..')")
        # A request that lacks a file is told so, and submit refuses it.
        request = generated.YamlTopologyRequest(file="/a/top.yaml", sources=[])
        plan = self.nimbus.raw.planYamlTopology(request)
        self.assertEqual(plan.missing_files, ["/a/top.yaml"])
        with self.assertRaises(generated.InvalidTopologyException) as cm:
            self.nimbus.raw.submitYamlTopology(request, generated.SubmitOptions())
        self.assertIn("is incomplete (it lacks /a/top.yaml)", cm.exception.msg)


TLS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tls")


class TlsProxy:
    """Terminates TLS with the test certificate (tls/cert.pem) and forwards the
    bytes to nimbus: a stand-in for a nimbus that speaks TLS itself."""

    def __init__(self, target):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(os.path.join(TLS_DIR, "cert.pem"),
                                     os.path.join(TLS_DIR, "key.pem"))
        self.target = target
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.stopping = False
        self.sockets = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping:
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            self.sockets.append(conn)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn):
        conn.settimeout(10)
        try:
            tls = self.context.wrap_socket(conn, server_side=True)
        except (OSError, ssl.SSLError):
            conn.close()
            return
        upstream = socket.create_connection(self.target, timeout=10)
        self.sockets += [tls, upstream]
        for a, b in ((tls, upstream), (upstream, tls)):
            threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        finally:
            try:
                b.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def close(self):
        self.stopping = True
        self.thread.join(5)
        for s in self.sockets:
            try:
                s.close()
            except OSError:
                pass
        self.server.close()


class TlsTest(unittest.TestCase):
    def setUp(self):
        host, _, port = ARGS.nimbus.rpartition(":")
        self.proxy = TlsProxy((host, int(port)))

    def tearDown(self):
        self.proxy.close()

    def test_tls_with_the_servers_ca(self):
        with gc.connect("127.0.0.1", self.proxy.port, timeout=10,
                        ca_file=os.path.join(TLS_DIR, "cert.pem")) as nimbus:
            self.assertIsInstance(nimbus.list(), generated.ClusterSummary)
            with self.assertRaises(gc.NotFound) as cm:
                nimbus.info("zzz")
            self.assertEqual(str(cm.exception), "no topology named 'zzz'")

    def test_a_server_not_trusted_is_refused(self):
        with self.assertRaises(gc.Unavailable):
            nimbus = gc.connect("127.0.0.1", self.proxy.port, timeout=5,
                                ca_file=os.path.join(TLS_DIR, "other.pem"))
            nimbus.list()  # not reached: the handshake fails


class BuilderTest(unittest.TestCase):
    def test_config_values_and_streams(self):
        self.assertEqual(gc.config_value(True), generated.ConfigValue(bool_value=True))
        self.assertEqual(gc.config_value(3), generated.ConfigValue(int_value=3))
        self.assertEqual(gc.config_value(2.5), generated.ConfigValue(double_value=2.5))
        self.assertEqual(gc.config_value("x"), generated.ConfigValue(string_value="x"))
        self.assertEqual(gc.config_value(None), generated.ConfigValue())
        with self.assertRaises(TypeError):
            gc.config_value([1])
        t = (gc.TopologyBuilder("t").uploaded_plugin("libx.so", "d" * 64)
             .spout("s", "S", 2, outputs={"default": ["a"], "d": {"fields": ["b"], "direct": True}},
                    num_tasks=4)
             .bolt("b", "B", config={"k": 1})
             .direct("s", "b", stream="d").all("s", "b").global_("s", "b").none("s", "b")
             .partial_key("s", "b", ["a"]).local_or_shuffle("s", "b").grouping("s", "b", "shuffle")
             .config({"topology.workers": 2})).build()
        self.assertEqual(t.plugins, [generated.PluginRef(name="libx.so", sha256="d" * 64)])
        spout = t.components[0]
        self.assertEqual((spout.kind, spout.parallelism, spout.num_tasks),
                         (generated.ComponentKind.SPOUT, 2, 4))
        self.assertEqual(spout.outputs[1], generated.StreamDecl(id="d", fields=["b"], direct=True))
        G = generated.GroupingType
        self.assertEqual([(s.grouping.type, s.stream) for s in t.streams],
                         [(G.DIRECT, "d"), (G.ALL, "default"), (G.GLOBAL, "default"),
                          (G.NONE, "default"), (G.PARTIAL_KEY, "default"),
                          (G.LOCAL_OR_SHUFFLE, "default"), (G.SHUFFLE, "default")])
        self.assertEqual(t.config, {"topology.workers": generated.ConfigValue(int_value=2)})
        with self.assertRaises(ValueError):
            gc.TopologyBuilder("t").grouping("a", "b", "sideways")
        with self.assertRaises(ValueError):
            gc.TopologyBuilder("t").spout("s", "S", outputs={"default": "word"})


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--nimbus", required=True)
    p.add_argument("--plugin", required=True)
    p.add_argument("--tmp", required=True, help="a scratch folder")
    p.add_argument("--repo", required=True, help="the repository (for its topologies/)")
    ARGS, rest = p.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
