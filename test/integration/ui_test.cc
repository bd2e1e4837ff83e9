// gale-ui against a real cluster on loopback: TestCluster's nimbus and
// supervisors, gale-ui as a process on a free port, requests made with curl
// (as a user's script would), answers parsed with the UI's own JSON parser.
// The last case scrapes /metrics with a real Prometheus server and queries
// it over its HTTP API. Everything started is stopped by pid, also when a
// check fails.
#include "core/common/json.h"
#include "test/support/cluster.h"

#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <set>

namespace gale::testing {
namespace {

using gale::JsonValue;
using std::chrono::seconds;

struct Http {
  int status = 0;
  std::string body;
};

// curl -s -o BODY -w '%{http_code}' [-X METHOD] [-H ...] URL
Http Curl(const std::string& url, const std::string& method = "GET",
          const std::vector<std::string>& headers = {}, const std::string& body = "") {
  TempDir dir;
  std::vector<std::string> argv{"curl", "-s",           "-m", "20",  "-o", dir.path() + "/body",
                                "-w",   "%{http_code}", "-X", method};
  for (const auto& h : headers) {
    argv.push_back("-H");
    argv.push_back(h);
  }
  if (!body.empty()) {
    argv.push_back("--data-binary");
    argv.push_back("@" + dir.Write("request", body));
  }
  argv.push_back(url);
  auto r = RunProcess(argv, seconds(30));
  Http h;
  h.status = r.out.empty() ? 0 : std::atoi(r.out.c_str());
  std::ifstream in(dir.path() + "/body");
  h.body.assign(std::istreambuf_iterator<char>(in), {});
  return h;
}

JsonValue Json(const Http& h) {
  auto v = ParseJson(h.body);
  INFO(h.body);
  REQUIRE(v.ok());
  return *v;
}

// A member's number, or -1.
double Num(const JsonValue& v, const std::string& key) {
  const JsonValue* m = v.Find(key);
  return m && m->kind == JsonValue::Kind::kNumber ? m->number : -1;
}

std::string Str(const JsonValue& v, const std::string& key) {
  const JsonValue* m = v.Find(key);
  return m && m->kind == JsonValue::Kind::kString ? m->string : "";
}

// The element of `list` whose `key` is `value`, or nullptr.
const JsonValue* Element(const JsonValue& obj, const std::string& list, const std::string& key,
                         const std::string& value) {
  const JsonValue* l = obj.Find(list);
  if (!l) return nullptr;
  for (const auto& e : l->array) {
    if (Str(e, key) == value) return &e;
  }
  return nullptr;
}

std::string WordCountYaml(const TempDir& dir) {
  return dir.Write("wordcount.yaml",
                   "name: wordcount\n"
                   "includes: [ { file: " +
                       SourceDir() +
                       "/topologies/wordcount/wordcount.yaml } ]\n"
                       "config: { topology.workers: 2 }\n"
                       "spouts:\n"
                       "  - { id: sentences, className: SentenceSpout, config: { sentences.loop: "
                       "true, sentences.per.second: 200 } }\n"
                       "bolts:\n"
                       "  - { id: report, className: ReportBolt, config: { report.file: " +
                       dir.path() + "/counts.txt } }\n");
}

class UiFixture {
 public:
  UiFixture() : port_(FreePort()) {
    ui_ = std::make_unique<Daemon>(
        std::vector<std::string>{BinDir() + "/gale-ui", "--nimbus", cluster_.nimbus(), "--port",
                                 std::to_string(port_)},
        cluster_.dir().path() + "/ui.log");
    REQUIRE(
        WaitFor([&] { return Curl(Url("/api/v1/cluster/summary")).status == 200; }, seconds(20)));
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::string Host() const { return "127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  TestCluster& cluster() { return cluster_; }
  std::string Logs() const { return cluster_.Logs() + "\n--- ui ---\n" + ui_->Log(); }

  // Submits word count and waits until its spout has emitted.
  std::string SubmitWordCount() {
    auto r = cluster_.Gale({"submit", WordCountYaml(cluster_.dir())});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    std::string id;
    REQUIRE(WaitFor(
        [&] {
          auto t = Json(Curl(Url("/api/v1/topology/wordcount")));
          id = Str(t, "id");
          const JsonValue* spout = Element(t, "spouts", "spoutId", "sentences");
          return spout && Num(*spout, "emitted") > 0;
        },
        seconds(60)));
    return id;
  }

 private:
  TestCluster cluster_{2, 2};
  int port_;
  std::unique_ptr<Daemon> ui_;
};

TEST_CASE("gale-ui answers Storm's REST API for a running topology", "[integration][ui]") {
  UiFixture ui;
  INFO(ui.Logs());
  const std::string id = ui.SubmitWordCount();
  REQUIRE(id.rfind("wordcount-", 0) == 0);

  auto cluster = Json(Curl(ui.Url("/api/v1/cluster/summary")));
  CHECK(Num(cluster, "supervisors") == 2);
  CHECK(Num(cluster, "slotsTotal") == 4);
  CHECK(Num(cluster, "slotsUsed") == 2);
  CHECK(Num(cluster, "topologies") == 1);
  CHECK(Num(cluster, "executorsTotal") == 8);  // 1 + 2 + 2 + 1, and 2 ackers
  CHECK(!Str(cluster, "stormVersion").empty());

  auto sups = Json(Curl(ui.Url("/api/v1/supervisor/summary")));
  REQUIRE(sups.Find("supervisors"));
  CHECK(sups.Find("supervisors")->array.size() == 2);
  for (const auto& s : sups.Find("supervisors")->array) {
    CHECK(Num(s, "slotsTotal") == 2);
    CHECK(!Str(s, "host").empty());
    CHECK(Num(s, "uptimeSeconds") >= 0);
  }

  auto list = Json(Curl(ui.Url("/api/v1/topology/summary")));
  const JsonValue* t = Element(list, "topologies", "name", "wordcount");
  REQUIRE(t);
  CHECK(Str(*t, "id") == id);
  CHECK(Str(*t, "status") == "ACTIVE");
  CHECK(Num(*t, "workersTotal") == 2);
  CHECK(Num(*t, "executorsTotal") == 8);
  CHECK(Num(*t, "tasksTotal") == 8);
  CHECK(!Str(*t, "uptime").empty());

  // The topology page, by id, for each window; counts rise between looks.
  for (const char* window : {"600", "10800", "86400", ":all-time"}) {
    auto page = Json(Curl(ui.Url("/api/v1/topology/" + id + "?window=" + window)));
    CHECK(Str(page, "window") == window);
    CHECK(page.Find("topologyStats")->array.size() == 4);
    const JsonValue* spout = Element(page, "spouts", "spoutId", "sentences");
    REQUIRE(spout);
    CHECK(Num(*spout, "emitted") > 0);
    CHECK(!Str(*spout, "completeLatency").empty());
    std::set<std::string> bolts;
    for (const auto& b : page.Find("bolts")->array) bolts.insert(Str(b, "boltId"));
    CHECK(bolts == std::set<std::string>{"split", "count", "report"});  // ackers only with sys=1
    CHECK(page.Find("workers")->array.size() == 2);
    CHECK(Num(page, "msgTimeout") == 30);
  }
  auto sys = Json(Curl(ui.Url("/api/v1/topology/" + id + "?sys=1")));
  CHECK(Element(sys, "bolts", "boltId", "__acker"));
  const double before =
      Num(*Element(Json(Curl(ui.Url("/api/v1/topology/" + id))), "spouts", "spoutId", "sentences"),
          "emitted");
  CHECK(WaitFor(
      [&] {
        auto page = Json(Curl(ui.Url("/api/v1/topology/" + id)));
        const JsonValue* split = Element(page, "bolts", "boltId", "split");
        return Num(*Element(page, "spouts", "spoutId", "sentences"), "emitted") > before && split &&
               Num(*split, "executed") > 0 && !Str(*split, "executeLatency").empty() &&
               !Str(*split, "capacity").empty();
      },
      seconds(30)));

  // The component page: executors, per-window summaries.
  auto split = Json(Curl(ui.Url("/api/v1/topology/" + id + "/component/split?window=600")));
  CHECK(Str(split, "componentType") == "bolt");
  CHECK(Num(split, "executors") == 2);
  CHECK(split.Find("executorStats")->array.size() == 2);
  CHECK(split.Find("boltStats")->array.size() == 4);
  for (const auto& e : split.Find("executorStats")->array) {
    CHECK(Str(e, "id").front() == '[');
    CHECK(Num(e, "port") > 0);
  }
  auto spout = Json(Curl(ui.Url("/api/v1/topology/wordcount/component/sentences")));
  CHECK(Str(spout, "componentType") == "spout");
  CHECK(spout.Find("spoutSummary")->array.size() == 4);

  // The visualization: a node per component, edges as inputs.
  auto viz = Json(Curl(ui.Url("/api/v1/topology/" + id + "/visualization")));
  REQUIRE(viz.is_object());
  CHECK(viz.object.size() == 4);
  REQUIRE(viz.Find("count"));
  const auto& inputs = viz.Find("count")->Find(":inputs")->array;
  REQUIRE(inputs.size() == 1);
  CHECK(Str(inputs[0], ":component") == "split");
  CHECK(Str(inputs[0], ":grouping") == "fields");

  auto workers = Json(Curl(ui.Url("/api/v1/topology-workers/" + id)));
  CHECK(workers.Find("hostPortList")->array.size() == 2);

  // Each worker's log, through its supervisor's log server; the plugins'
  // logger lines carry component and task.
  std::string logs;
  for (const auto& hp : workers.Find("hostPortList")->array) {
    const std::string worker = Str(hp, "host") + ":" + std::to_string(int(Num(hp, "port")));
    auto log = Curl(ui.Url("/api/v1/topology/" + id + "/logs?worker=" + worker));
    INFO(log.body);
    REQUIRE(log.status == 200);
    auto v = Json(log);
    CHECK(Str(v, "worker") == worker);
    CHECK(Num(v, "size") >= Num(v, "start"));
    logs += Str(v, "data");
  }
  CHECK(logs.find("] report:") != std::string::npos);
  CHECK(logs.find("] sentences:") != std::string::npos);
  auto page = Json(Curl(ui.Url("/api/v1/topology/" + id)));
  for (const auto& w : page.Find("workers")->array) {
    CHECK(Str(w, "workerLogLink").rfind("/log.html?topology=" + id + "&worker=", 0) == 0);
  }
}

TEST_CASE("gale-ui refuses bad requests with a JSON error and never crashes", "[integration][ui]") {
  UiFixture ui;
  INFO(ui.Logs());
  const std::string id = ui.SubmitWordCount();
  auto error = [&](const Http& h) {
    INFO(h.body);
    auto v = Json(h);
    CHECK(!Str(v, "errorMessage").empty());
    return h.status;
  };
  CHECK(error(Curl(ui.Url("/api/v1/topology/nosuch"))) == 404);
  CHECK(error(Curl(ui.Url("/api/v1/topology/bad%20id%2F.."))) == 400);
  CHECK(error(Curl(ui.Url("/api/v1/topology/" + id + "?window=601"))) == 400);
  CHECK(error(Curl(ui.Url("/api/v1/topology/" + id + "/component/nosuch"))) == 404);
  CHECK(error(Curl(ui.Url("/api/v1/topology/%zz"))) == 400);
  CHECK(error(Curl(ui.Url("/api/v1/topology/" + id + "/logs?worker=10.1.1.1:1"))) == 404);
  CHECK(error(Curl(ui.Url("/api/v1/topology/" + id + "/logs?worker=x&start=-5"))) == 400);
  CHECK(error(Curl(ui.Url("/api/v1/nosuch"))) == 404);
  CHECK(error(Curl(ui.Url("/../../etc/passwd"))) == 404);
  CHECK(error(Curl(ui.Url("/api/v1/topology/" + id + "/kill/0"))) == 405);  // GET
  CHECK(error(Curl(ui.Url("/api/v1/topology/" + id + "/kill/soon"), "POST")) == 400);
  CHECK(error(Curl(ui.Url("/api/v1/topology/" + id + "/rebalance/0"), "POST", {},
                   "{\"rebalanceOptions\": {\"numWorkers\": \"many\"}}")) == 400);
  CHECK(error(Curl(ui.Url("/api/v1/topology/" + id + "/rebalance/0"), "POST", {}, "{not json")) ==
        400);
  CHECK(error(Curl(ui.Url("/api/v1/topology/" + id + "/activate"), "POST", {},
                   std::string(100 * 1024, 'x'))) == 413);

  // Cross-site POSTs are refused and change nothing.
  CHECK(error(Curl(ui.Url("/api/v1/topology/" + id + "/deactivate"), "POST",
                   {"Origin: http://evil.example"})) == 403);
  CHECK(error(Curl(ui.Url("/api/v1/topology/" + id + "/kill/0"), "POST",
                   {"Origin: http://evil.example:" + std::to_string(ui.port()),
                    "Host: evil.example:" + std::to_string(ui.port())})) == 403);
  CHECK(error(Curl(ui.Url("/api/v1/topology/" + id + "/deactivate"), "POST",
                   {"Sec-Fetch-Site: cross-site"})) == 403);
  CHECK(Str(Json(Curl(ui.Url("/api/v1/topology/" + id))), "status") == "ACTIVE");

  // From the UI's own origin (and from scripts, which send none) they work.
  auto r = Curl(ui.Url("/api/v1/topology/" + id + "/deactivate"), "POST",
                {"Origin: http://" + ui.Host()});
  CHECK(r.status == 200);
  CHECK(Str(Json(r), "status") == "success");
  CHECK(Str(Json(Curl(ui.Url("/api/v1/topology/" + id))), "status") == "INACTIVE");
  CHECK(Curl(ui.Url("/api/v1/topology/" + id + "/activate"), "POST").status == 200);
  CHECK(Str(Json(Curl(ui.Url("/api/v1/topology/" + id))), "status") == "ACTIVE");

  // Storm's rebalance body, then kill with a wait.
  r = Curl(ui.Url("/api/v1/topology/" + id + "/rebalance/0"), "POST", {},
           "{\"rebalanceOptions\": {\"numWorkers\": 1, \"executors\": {\"split\": 1}}}");
  INFO(r.body);
  CHECK(r.status == 200);
  CHECK(WaitFor(
      [&] {
        auto page = Json(Curl(ui.Url("/api/v1/topology/" + id)));
        const JsonValue* split = Element(page, "bolts", "boltId", "split");
        return Str(page, "status") == "ACTIVE" && Num(page, "workersTotal") == 1 && split &&
               Num(*split, "executors") == 1;
      },
      seconds(60)));
  r = Curl(ui.Url("/api/v1/topology/" + id + "/kill/0"), "POST");
  CHECK(r.status == 200);
  CHECK(WaitFor([&] { return Curl(ui.Url("/api/v1/topology/" + id)).status == 404; }, seconds(30)));
}

TEST_CASE("Statistics survive a worker restart and a nimbus restart, and mean what Storm's mean",
          "[integration][ui]") {
  UiFixture ui;
  INFO(ui.Logs());
  const std::string id = ui.SubmitWordCount();
  auto emitted = [&](const std::string& window = ":all-time") {
    auto page = Json(Curl(ui.Url("/api/v1/topology/" + id + "?window=" + window)));
    const JsonValue* spout = Element(page, "spouts", "spoutId", "sentences");
    return spout ? Num(*spout, "emitted") : -1;
  };
  // The bolts' Storm statistics fill in: capacity, latencies, a queue gauge.
  REQUIRE(WaitFor(
      [&] {
        auto page = Json(Curl(ui.Url("/api/v1/topology/" + id + "?window=600")));
        const JsonValue* count = Element(page, "bolts", "boltId", "count");
        return count && std::atof(Str(*count, "processLatency").c_str()) > 0 &&
               std::atof(Str(*count, "executeLatency").c_str()) > 0 &&
               std::atof(Str(*count, "capacity").c_str()) > 0 && Num(*count, "queueDepth") >= 0;
      },
      seconds(60)));

  // SIGKILL one worker: its supervisor restarts it, and the all-time count
  // never goes down while it does.
  const double before = emitted();
  REQUIRE(before > 0);
  // The worker that runs the spout, whose counters restart from zero.
  int spout_port = 0;
  auto page = Json(Curl(ui.Url("/api/v1/topology/" + id)));
  for (const auto& w : page.Find("workers")->array) {
    if (w.Find("componentNumTasks")->Find("sentences")) spout_port = int(Num(w, "port"));
  }
  pid_t spout_worker = -1;
  for (const auto& w : ui.cluster().Workers()) {
    if (w.port == spout_port) spout_worker = w.pid;
  }
  REQUIRE(spout_worker > 0);
  ::kill(spout_worker, SIGKILL);
  double last = before;
  bool never_lower = true;
  CHECK(WaitFor(
      [&] {
        const double now = emitted();
        never_lower = never_lower && now >= last;
        last = std::max(last, now);
        return now > before + 200 && ui.cluster().Workers().size() == 2;
      },
      seconds(60)));
  CHECK(never_lower);

  // Stop nimbus and start it again on its state: the windows come back.
  const double at_stop = emitted();
  ui.cluster().nimbus_daemon().Stop();
  // Without nimbus: a 503 with a JSON error, and nimbus/summary says Dead.
  auto away = Curl(ui.Url("/api/v1/topology/" + id));
  CHECK(away.status == 503);
  CHECK(!Str(Json(away), "errorMessage").empty());
  auto nimbuses = Json(Curl(ui.Url("/api/v1/nimbus/summary")));
  CHECK(Str(nimbuses.Find("nimbuses")->array.at(0), "status") == "Dead");
  CHECK(Curl(ui.Url("/metrics")).status == 503);
  ui.cluster().RestartNimbus();
  double after = -1;
  CHECK(WaitFor(
      [&] {
        after = emitted();
        return after >= at_stop;
      },
      seconds(30)));
  INFO("before the restart " << at_stop << ", after " << after);
  CHECK(after >= at_stop);
  // The 10-minute window holds what the last minutes saw, all time at least as much.
  CHECK(emitted("600") > 0);
  CHECK(emitted("600") <= emitted(":all-time"));
}

TEST_CASE("User metrics a bolt registers show in the REST API and /metrics", "[integration][ui]") {
  UiFixture ui;
  INFO(ui.Logs());
  const std::string yaml = ui.cluster().dir().Write(
      "chatty.yaml",
      "name: chatty\nplugins: [ " + LibDir() +
          "/libchatty.so ]\nconfig: { topology.workers: 1 }\n"
          "spouts: [ { id: counter, className: CountSpout, config: { "
          "chatty.per.second: 100 } } ]\n"
          "bolts: [ { id: chatty, className: ChattyBolt, parallelism: 2 } ]\n"
          "streams: [ { from: counter, to: chatty, grouping: { type: SHUFFLE } } ]\n");
  auto r = ui.cluster().Gale({"submit", yaml});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  // The counter, gauge and histogram of each executor, and the component's sum.
  JsonValue component;
  REQUIRE(WaitFor(
      [&] {
        component = Json(Curl(ui.Url("/api/v1/topology/chatty/component/chatty")));
        const JsonValue* tuples = Element(component, "metrics", "name", "tuples");
        return tuples && Num(*tuples, "value") >= 100;
      },
      seconds(60)));
  const JsonValue* tuples = Element(component, "metrics", "name", "tuples");
  CHECK(Str(*tuples, "type") == "counter");
  const JsonValue* hist = Element(component, "metrics", "name", "n_mod_100");
  REQUIRE(hist);
  CHECK(Str(*hist, "type") == "histogram");
  CHECK(hist->Find("counts")->array.size() == 4);
  double in_buckets = 0;
  for (const auto& c : hist->Find("counts")->array) in_buckets += c.number;
  CHECK(in_buckets == Num(*hist, "value"));
  for (const auto& e : component.Find("executorStats")->array) {
    const JsonValue* gauge = Element(e, "metrics", "name", "last_n");
    REQUIRE(gauge);
    CHECK(Str(*gauge, "type") == "gauge");
    CHECK(Num(*gauge, "value") > 0);
  }
  auto metrics = Curl(ui.Url("/metrics"));
  CHECK(metrics.body.find("gale_user_counter_total{topology=\"chatty\",component=\"chatty\"") !=
        std::string::npos);
  CHECK(metrics.body.find("gale_user_histogram_bucket{topology=\"chatty\"") != std::string::npos);
  CHECK(metrics.body.find(",metric=\"last_n\"}") != std::string::npos);
}

TEST_CASE("gale-ui's /metrics is scraped by a real Prometheus server", "[integration][ui]") {
  UiFixture ui;
  INFO(ui.Logs());
  ui.SubmitWordCount();

  // The exposition format passes Prometheus's own linter.
  auto metrics = Curl(ui.Url("/metrics"));
  REQUIRE(metrics.status == 200);
  CHECK(metrics.body.find("gale_emitted_total{topology=\"wordcount\",component=\"sentences\"") !=
        std::string::npos);
  TempDir dir;
  auto lint = RunProcess(
      {"sh", "-c", "promtool check metrics < " + dir.Write("m.txt", metrics.body)}, seconds(30));
  INFO(lint.out << lint.err);
  CHECK(lint.exit_code == 0);

  const int prom_port = FreePort();
  const std::string config = dir.Write("prometheus.yml",
                                       "global: { scrape_interval: 1s, evaluation_interval: 1s }\n"
                                       "scrape_configs:\n"
                                       "  - job_name: gale\n"
                                       "    static_configs: [ { targets: [ '" +
                                           ui.Host() + "' ] } ]\n");
  Daemon prometheus({"/usr/bin/prometheus", "--config.file=" + config,
                     "--storage.tsdb.path=" + dir.path() + "/data",
                     "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
                    dir.path() + "/prometheus.log");
  const std::string api = "http://127.0.0.1:" + std::to_string(prom_port) + "/api/v1/query?query=";
  // The spout's emitted count as Prometheus stored it, once it is above 0.
  double emitted = 0;
  const bool scraped = WaitFor(
      [&] {
        auto q = Curl(api +
                      "sum(gale_emitted_total%7Btopology%3D%22wordcount%22%2Ccomponent%3D%"
                      "22sentences%22%7D)");
        auto v = ParseJson(q.body);
        if (!v.ok() || Str(*v, "status") != "success") return false;
        const auto& result = v->Find("data")->Find("result")->array;
        if (result.empty()) return false;
        emitted = std::atof(result[0].Find("value")->array[1].string.c_str());
        return emitted > 0;
      },
      seconds(60));
  INFO(prometheus.Log());
  CHECK(scraped);
  // The scrape target is healthy and other families arrived too.
  auto up = Json(Curl(api + "up%7Bjob%3D%22gale%22%7D"));
  CHECK(up.Find("data")->Find("result")->array.size() == 1);
  CHECK(up.Find("data")->Find("result")->array[0].Find("value")->array[1].string == "1");
  auto cap = Json(Curl(api + "gale_capacity%7Bcomponent%3D%22split%22%7D"));
  CHECK(cap.Find("data")->Find("result")->array.size() == 2);  // one per executor
  prometheus.Stop();
}

}  // namespace
}  // namespace gale::testing
