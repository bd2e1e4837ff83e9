"""gale_client against a nimbus that requires authentication (run by
test/integration/clients_test.cc, which starts the cluster with keys from
`gale auth init`).

    auth_client_test.py --nimbus HOST:PORT --keys DIR --mode token|tls
                        --yaml FILE --plugin-path DIR

alice (submitter) submits FILE with submit_yaml (its shell components'
resources/ folder packed and uploaded) and prints "submitted NAME" and
"resources SHA"; bob (reader) reads it but may not kill it (Unauthorized, the
connection stays usable); a wrong token, a connection that never
authenticates (tls: one without a certificate) and a nimbus certificate of
another CA are refused with nimbus's message. The topology keeps running
(the caller checks its output and kills it). Exits non-zero at the first
check that fails.
"""

import argparse
import os
import sys

import gale_client as gc


def fail(what):
    print("FAILED: " + what, file=sys.stderr)
    sys.exit(1)


def check(cond, what):
    if not cond:
        fail(what)


def raises(kind, call, contains):
    """Runs call(); it must raise `kind` whose message contains `contains`."""
    try:
        call()
    except kind as e:
        check(contains in str(e), "%s: %r lacks %r" % (kind.__name__, str(e), contains))
        return e
    except gc.GaleError as e:
        fail("expected %s, got %s: %s" % (kind.__name__, type(e).__name__, e))
    fail("expected %s containing %r, got no error" % (kind.__name__, contains))


def yaml_value(path, key):
    with open(path) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k.strip() == key:
                return v.strip()
    fail("%s has no %s" % (path, key))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nimbus", required=True)
    ap.add_argument("--keys", required=True)
    ap.add_argument("--mode", choices=["token", "tls"], required=True)
    ap.add_argument("--yaml", required=True)
    ap.add_argument("--plugin-path", required=True)
    a = ap.parse_args()
    host, port = a.nimbus.rsplit(":", 1)
    ca = os.path.join(a.keys, "ca.pem")

    def login(who, **extra):
        if a.mode == "tls":
            kw = dict(ca_file=ca, cert_file=os.path.join(a.keys, who + ".pem"),
                      key_file=os.path.join(a.keys, who + ".key"))
        else:
            kw = dict(ca_file=ca, user=who,
                      token=yaml_value(os.path.join(a.keys, who + ".yaml"), "gale.auth.token"))
        kw.update(extra)
        return gc.connect(host, int(port), 30, **kw)

    with login("alice") as nimbus:
        nimbus.list()
        name = nimbus.submit_yaml(a.yaml, plugin_path=[a.plugin_path])
        print("submitted %s" % name)
        print("resources %s" % nimbus._upload_resources(a.yaml))
        check(nimbus.info(name).owner == "alice", "the owner is alice")

    with login("bob") as nimbus:
        check(any(t.name == name for t in nimbus.list().topologies), "bob lists " + name)
        e = raises(gc.Unauthorized, lambda: nimbus.kill(name, wait=0),
                   "user 'bob' (role reader) may not kill topology '%s'" % name)
        check(isinstance(e.thrift, gc.ttypes.AuthorizationException), "e.thrift is generated")
        check(isinstance(e, gc.AuthorizationException), "the generated name is an alias")
        raises(gc.Unauthorized, lambda: nimbus.submit_yaml(a.yaml, plugin_path=[a.plugin_path]),
               "user 'bob' (role reader) may not submit topology file '%s'"
               % os.path.abspath(a.yaml))
        nimbus.info(name)  # still usable after a refusal

    if a.mode == "token":
        raises(gc.Unauthorized, lambda: login("alice", token="0" * 32),
               "authentication failed for user 'alice' (wrong user or token)")
        raises(gc.Unauthorized, lambda: login("alice", user="mallory"),
               "authentication failed for user 'mallory' (wrong user or token)")
        with gc.connect(host, int(port), 30, ca_file=ca) as nimbus:  # TLS, no token
            raises(gc.Unauthorized, nimbus.list,
                   "not authenticated: nimbus runs with gale.auth.mode token")
    else:
        # Mutual TLS: nimbus ends the handshake of a client without a
        # certificate. With TLS 1.3 the client learns it at its first read,
        # from nimbus's alert (nimbus reads on until the client has it).
        with gc.connect(host, int(port), 30, ca_file=ca) as nimbus:
            raises(gc.Unavailable, nimbus.list, "certificate required")
    # The client checks nimbus's certificate: another CA's is refused.
    other = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tls", "other.pem")
    raises(gc.Unavailable, lambda: gc.connect(host, int(port), 30, ca_file=other),
           "cannot connect to nimbus at %s" % a.nimbus)
    print("OK")


if __name__ == "__main__":
    main()
