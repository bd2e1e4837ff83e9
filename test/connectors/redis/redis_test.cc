// RedisStreamSpout and RedisSink in `gale local` against a real
// redis-server on a free loopback port.
#include "connectors/redis/redis_client.h"
#include "test/connectors/support/servers.h"
#include "test/support/cluster.h"
#include "test/support/process.h"

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

namespace gale::testing {
namespace {

using connectors::redis::Command;
using connectors::redis::RedisClient;
using connectors::redis::Reply;
using std::chrono::seconds;

std::string Gale() { return BinDir() + "/gale"; }

// A connected client; REQUIREs success.
std::unique_ptr<RedisClient> Connect(int port) {
  auto c = std::make_unique<RedisClient>("127.0.0.1", port);
  std::string error;
  const bool connected = c->Connect(&error);
  INFO(error);  // after the call: INFO takes its text when declared
  REQUIRE(connected);
  return c;
}

Reply Run(RedisClient& c, const Command& cmd) {
  Reply r;
  std::string error;
  const bool ran = c.Run(cmd, &r, &error);
  INFO(error);
  REQUIRE(ran);
  return r;
}

// XADDs entries value=<prefix>-<i> for i in [first, first + n).
void Feed(RedisClient& c, const std::string& stream, const std::string& prefix, int first, int n) {
  std::vector<Command> cmds;
  for (int i = first; i < first + n; ++i) {
    cmds.push_back({"XADD", stream, "*", "value", prefix + "-" + std::to_string(i)});
  }
  std::vector<Reply> replies;
  std::string error;
  const bool ran = c.Pipeline(cmds, &replies, &error);
  INFO(error);
  REQUIRE(ran);
}

// The "value" of every entry of `stream`, with how often it occurs.
std::map<std::string, int> StreamValues(RedisClient& c, const std::string& stream) {
  std::map<std::string, int> out;
  const Reply r = Run(c, {"XRANGE", stream, "-", "+"});
  for (const auto& e : r.elements) {
    const auto& kv = e.elements[1].elements;
    for (size_t i = 0; i + 1 < kv.size(); i += 2) {
      if (kv[i].str == "value") ++out[kv[i + 1].str];
    }
  }
  return out;
}

int64_t Pending(RedisClient& c, const std::string& stream, const std::string& group) {
  const Reply r = Run(c, {"XPENDING", stream, group});
  return r.elements.empty() ? -1 : r.elements[0].integer;
}

int64_t Len(RedisClient& c, const std::string& stream) { return Run(c, {"XLEN", stream}).integer; }

// The sinks tick every `sink_ticks` s. At 0.1 (above redis.batch.ms, 50)
// each batch is answered before the sink goes on; at 0.05 or less a full
// batch is answered while the next one fills (RedisSink, "overlap").
std::string Topology(const TempDir& tmp, int port, const std::string& spout_config,
                     const std::string& timeout = "10", const std::string& sink_ticks = "0.1") {
  return tmp.Write("redis.yaml",
                   "name: redis-test\n"
                   "config:\n"
                   "  topology.max.spout.pending: 500\n"
                   "  topology.message.timeout.secs: " +
                       timeout +
                       "\n"
                       "  redis.port: " +
                       std::to_string(port) +
                       "\n"
                       "plugins: [ libgale_redis.so ]\n"
                       "spouts:\n"
                       "  - id: in\n"
                       "    className: RedisStreamSpout\n"
                       "    config: { redis.stream: in, redis.fields: value" +
                       spout_config +
                       " }\n"
                       "bolts:\n"
                       "  - id: out\n"
                       "    className: RedisSink\n"
                       "    parallelism: 2\n"
                       "    config: { redis.command: XADD, redis.stream: out, redis.fields: value, "
                       "redis.batch.size: 50, topology.tick.tuple.freq.secs: " +
                       sink_ticks +
                       " }\n"
                       "  - id: last\n"
                       "    className: RedisSink\n"
                       "    config: { redis.command: SET, redis.key.prefix: 'last:', "
                       "redis.key.field: value, redis.value.field: id, "
                       "topology.tick.tuple.freq.secs: " +
                       sink_ticks +
                       " }\n"
                       "  - id: count\n"
                       "    className: RedisSink\n"
                       "    config: { redis.command: HINCRBY, redis.key: counts, "
                       "redis.hash.field: value, topology.tick.tuple.freq.secs: " +
                       sink_ticks +
                       " }\n"
                       "streams:\n"
                       "  - { from: in, to: out, grouping: { type: SHUFFLE } }\n"
                       "  - { from: in, to: last, grouping: { type: SHUFFLE } }\n"
                       "  - { from: in, to: count, grouping: { type: SHUFFLE } }\n");
}

TEST_CASE(
    "RedisClient reads every kind of reply, in pipelines of any size, and reports a lost server",
    "[integration][connectors]") {
  RedisServer server;
  auto c = Connect(server.port());
  // Status, bulk string (with a NUL and CRLF inside), integer, nil, error.
  const std::string binary("a\0b\r\nc", 7);
  Reply r = Run(*c, {"SET", "k", binary});
  CHECK(r.type == Reply::Type::kStatus);
  CHECK(r.str == "OK");
  r = Run(*c, {"GET", "k"});
  CHECK(r.type == Reply::Type::kString);
  CHECK(r.str == binary);
  r = Run(*c, {"INCRBY", "n", "-5"});
  CHECK(r.type == Reply::Type::kInteger);
  CHECK(r.integer == -5);
  CHECK(Run(*c, {"GET", "missing"}).is_nil());
  r = Run(*c, {"INCR", "k"});
  CHECK(r.is_error());
  CHECK(r.str == "ERR value is not an integer or out of range");
  // Arrays: empty, nested three deep, with a nil inside (MGET of a missing key).
  r = Run(*c, {"LRANGE", "none", "0", "-1"});
  CHECK(r.type == Reply::Type::kArray);
  CHECK(r.elements.empty());
  r = Run(*c, {"MGET", "k", "missing", "n"});
  REQUIRE(r.elements.size() == 3);
  CHECK(r.elements[0].str == binary);
  CHECK(r.elements[1].is_nil());
  CHECK(r.elements[2].str == "-5");
  Feed(*c, "s", "v", 0, 3);
  REQUIRE(Run(*c, {"XGROUP", "CREATE", "s", "g", "0"}).str == "OK");
  r = Run(*c, {"XREADGROUP", "GROUP", "g", "me", "COUNT", "2", "STREAMS", "s", ">"});
  REQUIRE(r.elements.size() == 1);              // one stream
  CHECK(r.elements[0].elements[0].str == "s");  // its name, then its entries
  const auto& entries = r.elements[0].elements[1].elements;
  REQUIRE(entries.size() == 2);
  CHECK(entries[1].elements[1].elements[0].str == "value");
  CHECK(entries[1].elements[1].elements[1].str == "v-1");
  // A pipeline of 20 000 commands with an error in the middle: every reply,
  // in order, the error in its place.
  std::vector<Command> cmds;
  for (int i = 0; i < 20000; ++i) {
    cmds.push_back(i == 777 ? Command{"HSET", "k", "f", "v"}  // k is a string
                            : Command{"RPUSH", "list", std::string(i % 50, 'x')});
  }
  std::vector<Reply> replies;
  std::string error;
  REQUIRE(c->Pipeline(cmds, &replies, &error));
  REQUIRE(replies.size() == cmds.size());
  CHECK(replies[776].integer == 777);
  CHECK(replies[777].is_error());
  CHECK(replies[777].str.rfind("WRONGTYPE", 0) == 0);
  CHECK(replies[778].integer == 778);
  CHECK(replies.back().integer == 19999);
  // The server goes away: an error naming it, then a reconnect works.
  server.Stop();
  CHECK(!c->Run({"PING"}, &r, &error));
  CHECK(error.rfind("redis 127.0.0.1:" + std::to_string(server.port()) + ": ", 0) == 0);
  CHECK(!c->connected());
  server.Start();
  REQUIRE(c->Connect(&error));
  CHECK(Run(*c, {"PING"}).str == "PONG");
}

TEST_CASE("RedisClient reports a reply that breaks Redis's protocol midway, naming the server",
          "[integration][connectors]") {
  // A fake server: it answers the first command with an array whose third
  // element has no valid type byte, then hangs up. The call fails with
  // hiredis's reason; the half-built reply goes to FreeReply (under
  // valgrind --leak-check=full this test shows no leak).
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  REQUIRE(::listen(listener, 1) == 0);
  const int port = ntohs(addr.sin_port);
  std::thread server([listener] {
    pollfd p{listener, POLLIN, 0};
    if (::poll(&p, 1, 10000) != 1) return;  // bounded: the client never came
    const int fd = ::accept(listener, nullptr, nullptr);
    char request[256];
    if (::recv(fd, request, sizeof request, 0) > 0) {
      const std::string reply = "*3\r\n$1\r\na\r\n*1\r\n:5\r\n!bad\r\n";
      (void)!::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
    }
    ::close(fd);
  });
  RedisClient c("127.0.0.1", port, "", std::chrono::milliseconds(5000));
  std::string error;
  REQUIRE(c.Connect(&error));
  Reply r;
  CHECK(!c.Run({"PING"}, &r, &error));
  CHECK(error.rfind("redis 127.0.0.1:" + std::to_string(port) + ": Protocol error", 0) == 0);
  CHECK(!c.connected());
  server.join();
  ::close(listener);
}

TEST_CASE("RedisClient sends now and reads the replies later, in order, into the same storage",
          "[integration][connectors]") {
  RedisServer server;
  auto c = Connect(server.port());
  Feed(*c, "s", "v", 0, 5);
  REQUIRE(Run(*c, {"XGROUP", "CREATE", "s", "g", "0"}).str == "OK");
  using connectors::redis::Commands;
  Commands out;
  out.Add({"INCRBY", "n", "7"});
  // A command whose arguments fail midway is taken back whole.
  const Commands::Mark mark = out.mark();
  out.Begin(3);
  out.Arg("SET");
  CHECK(!out.complete());
  out.Rewind(mark);
  CHECK(out.complete());
  CHECK(out.size() == 1);
  out.Begin(8);
  for (const char* a : {"XREADGROUP", "GROUP", "g", "me", "COUNT"}) out.Arg(a);
  out.Arg(int64_t{2});
  out.Arg("STREAMS");
  out.Arg("s");
  CHECK_THROWS_AS(out.Arg(">"), std::logic_error);  // one more than Begin said
  out.Rewind(mark);
  CHECK_THROWS_AS(out.Begin(0), std::logic_error);  // Redis would answer nothing
  out.Begin(2);
  out.Arg("GET");
  std::string error;
  CHECK_THROWS_AS(c->Send(out, &error), std::logic_error);  // a command lacks an argument
  CHECK(c->outstanding() == 0);
  out.Rewind(mark);
  out.Add({"XREADGROUP", "GROUP", "g", "me", "COUNT", "2", "STREAMS", "s", ">"});
  const bool sent = c->Send(out, &error);
  INFO(error);
  REQUIRE(sent);
  CHECK(c->outstanding() == 2);
  // While replies are outstanding, a call that would read the wrong ones is refused.
  Reply r;
  CHECK_THROWS_AS(c->Run({"PING"}, &r, &error), std::logic_error);
  std::vector<Reply> replies;
  REQUIRE(c->Receive(1, &replies, &error));
  CHECK(replies[0].integer == 7);
  std::vector<Reply> read;
  REQUIRE(c->Receive(1, &read, &error));
  CHECK(c->outstanding() == 0);
  REQUIRE(read[0].elements.size() == 1);
  const auto* entries = &read[0].elements[0].elements[1].elements;
  REQUIRE(entries->size() == 2);
  CHECK((*entries)[1].elements[1].elements[1].str == "v-1");
  const Reply* storage = entries->data();
  // The next read of the same shape is parsed into the same elements.
  out.clear();
  out.Add({"XREADGROUP", "GROUP", "g", "me", "COUNT", "2", "STREAMS", "s", ">"});
  REQUIRE(c->Pipeline(out, &read, &error));
  entries = &read[0].elements[0].elements[1].elements;
  REQUIRE(entries->size() == 2);
  CHECK(entries->data() == storage);
  CHECK((*entries)[0].elements[1].elements[1].str == "v-2");
  CHECK((*entries)[1].elements[1].elements[1].str == "v-3");
  // Replies of other shapes into the same vector leave nothing of the old one.
  out.clear();
  out.Add({"INCR", "n"});
  REQUIRE(c->Pipeline(out, &read, &error));
  CHECK(read[0].type == Reply::Type::kInteger);
  CHECK(read[0].integer == 8);
  CHECK(read[0].elements.empty());
  out.clear();
  out.Add({"GET", "missing"});
  out.Add({"XREADGROUP", "GROUP", "g", "me", "COUNT", "2", "STREAMS", "s", ">"});
  REQUIRE(c->Pipeline(out, &read, &error));
  CHECK(read[0].is_nil());
  REQUIRE(read[1].elements.size() == 1);
  REQUIRE(read[1].elements[0].elements[1].elements.size() == 1);  // the fifth entry
  CHECK(read[1].elements[0].elements[1].elements[0].elements[1].elements[1].str == "v-4");
  // A lost server fails a send (EPIPE, not SIGPIPE: this test would die of
  // it). The first send after the server closed is taken by the kernel and
  // answered with a reset; the second, sent without reading, fails.
  server.Stop();
  out.clear();
  out.Add({"PING"});
  const bool first = c->Send(out, &error);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const bool second = first && c->Send(out, &error);
  INFO(error);
  CHECK(!second);
  CHECK(error.rfind("redis 127.0.0.1:" + std::to_string(server.port()) + ": ", 0) == 0);
  CHECK(c->outstanding() == 0);
  CHECK(!c->connected());
}

TEST_CASE("Redis stream to Redis: every entry is written, XACKed, also across a SIGKILL",
          "[integration][connectors]") {
  RedisServer server;
  auto c = Connect(server.port());
  Feed(*c, "in", "v", 0, 6000);
  TempDir tmp;
  const std::string yaml = Topology(tmp, server.port(), ", redis.per.second: 3000");
  {
    Daemon run({Gale(), "local", yaml}, tmp.path() + "/run1.log");
    REQUIRE(OrShowLog(WaitFor([&] { return Len(*c, "out") >= 1000; }, seconds(30)),
                      tmp.path() + "/run1.log"));
    run.Kill(SIGKILL);
    run.Wait(seconds(10));
  }
  // Entries read but not acked stay pending for the same consumer.
  CHECK(Pending(*c, "in", "gale") > 0);
  CHECK(Len(*c, "out") < 6000);
  Feed(*c, "in", "v", 6000, 1000);

  Daemon run({Gale(), "local", yaml}, tmp.path() + "/run2.log");
  const bool complete = WaitFor(
      [&] { return StreamValues(*c, "out").size() == 7000 && Pending(*c, "in", "gale") == 0; },
      seconds(60));
  run.Stop();
  CHECK(OrShowLog(complete, tmp.path() + "/run2.log"));
  const auto values = StreamValues(*c, "out");
  CHECK(values.size() == 7000);
  CHECK(Pending(*c, "in", "gale") == 0);
  // SET: the last id written for a value is an id of that value's entry.
  const Reply last = Run(*c, {"GET", "last:v-6999"});
  CHECK(last.type == Reply::Type::kString);
  // HINCRBY counted every value at least once (replays count again).
  const Reply count = Run(*c, {"HGET", "counts", "v-0"});
  CHECK(std::stoi(count.str) >= 1);
  CHECK(Run(*c, {"HLEN", "counts"}).integer == 7000);
}

TEST_CASE("Redis restarted under a running stream topology: no entry lost, none left pending",
          "[integration][connectors]") {
  // The spout reads ahead and sends its XACKs without waiting: when Redis
  // goes away with reads and acks in flight, the entries read come back as
  // the consumer's own pending ones and the acks are sent again.
  RedisServer server(0, /*persist=*/true);
  auto c = Connect(server.port());
  Feed(*c, "in", "v", 0, 12000);
  TempDir tmp;
  // No claims within the test: only the acks sent again and the history
  // read can empty the group's pending list. The sinks tick every 25 ms, so
  // they have a batch in flight when Redis goes: it fails and is replayed.
  Daemon run({Gale(), "local",
              Topology(tmp, server.port(),
                       ", redis.batch.size: 200, redis.per.second: 3000, "
                       "redis.claim.idle.ms: 600000",
                       "10", "0.025")},
             tmp.path() + "/run.log");
  REQUIRE(OrShowLog(WaitFor([&] { return Len(*c, "out") >= 3000; }, seconds(30)),
                    tmp.path() + "/run.log"));
  c.reset();
  server.Stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  server.Start();
  c = Connect(server.port());
  const bool complete = WaitFor(
      [&] { return StreamValues(*c, "out").size() == 12000 && Pending(*c, "in", "gale") == 0; },
      seconds(60));
  run.Stop();
  CHECK(OrShowLog(complete, tmp.path() + "/run.log"));
  CHECK(StreamValues(*c, "out").size() == 12000);
  CHECK(Pending(*c, "in", "gale") == 0);
  CHECK(Run(*c, {"HLEN", "counts"}).integer == 12000);
  // The restart was seen, and reported naming the server.
  CHECK(ReadFile(tmp.path() + "/run.log")
            .find("RedisStreamSpout redis 127.0.0.1:" + std::to_string(server.port())) !=
        std::string::npos);
}

TEST_CASE("RedisStreamSpout claims entries a dead consumer left pending longer than the timeout",
          "[integration][connectors]") {
  RedisServer server;
  auto c = Connect(server.port());
  Feed(*c, "in", "v", 0, 300);
  REQUIRE(Run(*c, {"XGROUP", "CREATE", "in", "gale", "0"}).str == "OK");
  // A consumer reads 100 entries and dies without acking them.
  const Reply taken =
      Run(*c, {"XREADGROUP", "GROUP", "gale", "dead", "COUNT", "100", "STREAMS", "in", ">"});
  REQUIRE(taken.elements.size() == 1);
  REQUIRE(Pending(*c, "in", "gale") == 100);

  TempDir tmp;
  Daemon run({Gale(), "local", Topology(tmp, server.port(), ", redis.claim.idle.ms: 1000")},
             tmp.path() + "/run.log");
  const bool complete = WaitFor(
      [&] { return StreamValues(*c, "out").size() == 300 && Pending(*c, "in", "gale") == 0; },
      seconds(30));
  run.Stop();
  CHECK(OrShowLog(complete, tmp.path() + "/run.log"));
  const Reply consumers = Run(*c, {"XINFO", "CONSUMERS", "in", "gale"});
  for (const auto& consumer : consumers.elements) {
    for (size_t i = 0; i + 1 < consumer.elements.size(); i += 2) {
      if (consumer.elements[i].str == "pending") CHECK(consumer.elements[i + 1].integer == 0);
    }
  }
}

TEST_CASE("An unreachable Redis is reported with its address and retried until it comes up",
          "[integration][connectors]") {
  const int port = FreePort();
  TempDir tmp;
  Daemon run({Gale(), "local", Topology(tmp, port, "")}, tmp.path() + "/run.log");
  const std::string expected = "redis 127.0.0.1:" + std::to_string(port) + ": Connection refused";
  REQUIRE(
      WaitFor([&] { return ReadFile(tmp.path() + "/run.log").find(expected) != std::string::npos; },
              seconds(30)));
  CHECK(run.Running());
  RedisServer server(port);
  auto c = Connect(port);
  Feed(*c, "in", "v", 0, 100);
  CHECK(OrShowLog(WaitFor([&] { return StreamValues(*c, "out").size() == 100; }, seconds(30)),
                  tmp.path() + "/run.log"));
  run.Stop();
}

TEST_CASE("RedisSink fails an input Redis refuses, with Redis's message, and writes the others",
          "[integration][connectors]") {
  RedisServer server;
  auto c = Connect(server.port());
  // HINCRBY on a string key: Redis answers WRONGTYPE to each of those commands.
  REQUIRE(Run(*c, {"SET", "counts", "not a hash"}).str == "OK");
  Feed(*c, "in", "v", 0, 20);
  TempDir tmp;
  Daemon run({Gale(), "local", Topology(tmp, server.port(), "")}, tmp.path() + "/run.log");
  CHECK(OrShowLog(WaitFor([&] { return StreamValues(*c, "out").size() == 20; }, seconds(30)),
                  tmp.path() + "/run.log"));
  CHECK(WaitFor(
      [&] {
        return ReadFile(tmp.path() + "/run.log").find("HINCRBY counts: WRONGTYPE") !=
               std::string::npos;
      },
      seconds(30)));
  run.Stop();
  // The failed inputs' entries are replayed, so they stay pending until acked.
  CHECK(Pending(*c, "in", "gale") > 0);
}

}  // namespace
}  // namespace gale::testing
