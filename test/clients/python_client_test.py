#!/usr/bin/python3
"""Tests of clients/python/gale_client.py against a real nimbus.

    /usr/bin/python3 test/clients/python_client_test.py --nimbus HOST:PORT --plugin libwordcount.so

test/integration/clients_test.cc starts the nimbus (on a free port) and runs
this. Every call is bounded by the client's socket timeout and every wait by a
deadline; the topologies it submits are killed with wait 0.
"""

import argparse
import hashlib
import os
import socket
import sys
import threading
import time
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "clients", "python"))

import gale_client as gc  # noqa: E402
from gale_thrift import ttypes as generated  # noqa: E402

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
            except gc.NotAliveException:
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
                with self.assertRaises(generated.NotAliveException) as cm:
                    call()
                self.assertIs(type(cm.exception), generated.NotAliveException)
                self.assertEqual(cm.exception.msg, "no topology named 'zzz'")
                self.assertLess(time.monotonic() - start, 5)
        # The connection is still usable after declared exceptions.
        self.assertIsInstance(self.nimbus.list(), generated.ClusterSummary)

    def test_duplicate_submit_gets_already_alive_exception(self):
        self.assertEqual(self.submit(small_topology("dup", ARGS.plugin), inactive=True), "dup")
        with self.assertRaises(generated.AlreadyAliveException) as cm:
            self.nimbus.submit(small_topology("dup", ARGS.plugin))
        self.assertEqual(cm.exception.msg,
                         "topology 'dup' is already running; kill it first or choose another name")
        self.assertEqual(self.names()["dup"].status, generated.TopologyStatus.INACTIVE)

    def test_invalid_topologies_get_their_declared_exceptions(self):
        # A subscription to a stream the spout does not declare.
        bad = (gc.TopologyBuilder("bad").plugin(ARGS.plugin)
               .spout("sentences", "SentenceSpout", outputs={"default": ["sentence"]})
               .bolt("split", "SplitSentence", outputs={"default": ["word"]})
               .shuffle("sentences", "split", stream="nostream"))
        with self.assertRaises(generated.InvalidTopologyException) as cm:
            self.nimbus.submit(bad)
        self.assertIn("subscribes to stream 'nostream', which spout 'sentences' does not declare",
                      cm.exception.msg)
        # A fields grouping on a field the stream does not have.
        bad = (gc.TopologyBuilder("bad2").plugin(ARGS.plugin)
               .spout("sentences", "SentenceSpout", outputs={"default": ["sentence"]})
               .bolt("split", "SplitSentence", outputs={"default": ["word"]})
               .fields("sentences", "split", ["nope"]))
        with self.assertRaises(generated.InvalidTopologyException):
            self.nimbus.submit(bad)
        # A className the plugin does not register, and outputs other than it
        # declares: nimbus asks the plugin (in a child process) and refuses.
        bad = (gc.TopologyBuilder("bad3").plugin(ARGS.plugin)
               .spout("sentences", "SentenceSpot", outputs={"default": ["sentence"]})
               .bolt("split", "SplitSentence", outputs={"default": ["word"]})
               .shuffle("sentences", "split"))
        with self.assertRaises(generated.InvalidTopologyException) as cm:
            self.nimbus.submit(bad)
        self.assertTrue(cm.exception.msg.startswith(
            "unknown className 'SentenceSpot' for spout 'sentences' (did you mean "
            "'SentenceSpout'?"), cm.exception.msg)
        bad = (gc.TopologyBuilder("bad4").plugin(ARGS.plugin)
               .spout("sentences", "SentenceSpout", outputs={"default": ["line"]})
               .bolt("split", "SplitSentence", outputs={"default": ["word"]})
               .shuffle("sentences", "split"))
        with self.assertRaises(generated.InvalidTopologyException) as cm:
            self.nimbus.submit(bad)
        self.assertEqual(cm.exception.msg,
                         "spout 'sentences' (className SentenceSpout): stream 'default' is [line] "
                         "in the submitted topology, but the plugin declares [sentence]")
        # A plugin nimbus does not store.
        missing = (gc.TopologyBuilder("missing").uploaded_plugin("libnothing.so", "c" * 64)
                   .spout("sentences", "SentenceSpout", outputs={"default": ["sentence"]}))
        with self.assertRaises(generated.PluginNotFoundException) as cm:
            self.nimbus.submit(missing)
        self.assertIn("needs plugin 'libnothing.so'", cm.exception.msg)
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
        with self.assertRaises(generated.UploadException) as cm:
            self.nimbus.raw.beginPluginUpload("ABC", 5)
        self.assertIn("is not a SHA-256", cm.exception.msg)
        with self.assertRaises(generated.UploadException) as cm:
            self.nimbus.upload_plugin(path, sha256="a" * 64)  # the file does not match
        self.assertIn("not " + "a" * 64, cm.exception.msg)

    def test_lifecycle_calls(self):
        self.submit(small_topology("life", ARGS.plugin), inactive=True)
        status = lambda: self.nimbus.info("life").status  # noqa: E731
        self.assertEqual(status(), generated.TopologyStatus.INACTIVE)
        self.nimbus.activate("life")
        self.assertEqual(status(), generated.TopologyStatus.ACTIVE)
        self.nimbus.deactivate("life")
        self.assertEqual(status(), generated.TopologyStatus.INACTIVE)
        with self.assertRaises(generated.InvalidTopologyException) as cm:
            self.nimbus.rebalance("life", executors={"split": 5}, wait=0)
        self.assertIn("component 'split' has 2 task(s)", cm.exception.msg)
        with self.assertRaises(generated.InvalidTopologyException) as cm:
            self.nimbus.rebalance("life", workers=0)
        self.nimbus.rebalance("life", workers=1, executors={"split": 1}, wait=0)
        self.assertTrue(wait_for(lambda: status() == generated.TopologyStatus.INACTIVE, 20))
        self.nimbus.kill("life", wait=60)  # KILLED until killed again
        with self.assertRaises(generated.IllegalStateException) as cm:
            self.nimbus.activate("life")
        self.assertEqual(cm.exception.msg, "topology 'life' is KILLED and cannot be activated")
        self.assertEqual(self.names()["life"].status, generated.TopologyStatus.KILLED)
        self.nimbus.kill("life", wait=0)
        self.assertTrue(wait_for(lambda: "life" not in self.names(), 20))
        with self.assertRaises(generated.NotAliveException):
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
            with self.assertRaises(gc.TTransportException) as cm:
                nimbus.list()
            self.assertLess(time.monotonic() - start, 5)
            self.assertEqual(cm.exception.type, gc.TTransportException.TIMED_OUT)
            self.assertIn("did not answer getClusterInfo within 1 s", cm.exception.message)
        finally:
            t.join(5)
            for conn, _ in accepted:
                conn.close()
            server.close()

    def test_nothing_listening(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # bound, never listened: refused
        with self.assertRaises(gc.TTransportException) as cm:
            gc.connect("127.0.0.1", port, timeout=2)
        self.assertIn("cannot connect to nimbus at 127.0.0.1:%d" % port, cm.exception.message)


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
    ARGS, rest = p.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
