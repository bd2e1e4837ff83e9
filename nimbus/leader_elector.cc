#include "nimbus/leader_elector.h"

#include "core/common/logging.h"
#include "nimbus/stored.h"
#include "nimbus/zk.h"
#include "thrift/client.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

namespace gale::nimbus {
namespace {

using std::chrono::seconds;

int64_t UnixSecs() { return UnixMillis() / 1000; }

// The cluster's state in ZooKeeper: record `key` is the node <root>/<key>.
// Every change is fenced by the leader's election node: a nimbus whose
// session ended (and with it its node) writes nothing. A change that fails
// (but for one too big to send) is reported to `failed`: the leader's
// memory may then be ahead of ZooKeeper (Nimbus applies some changes before
// it saves them), so the elector drops that Nimbus and reads the state
// again, rather than each caller undoing its change.
class ZkMetaStore final : public MetaStore {
 public:
  using Share = std::function<void(const std::string&)>;
  // `retired`: the elector dropped the Nimbus this store serves (a call may
  // still hold it, as long as it likes): it writes nothing from then on,
  // even if the election node that fences it is there again.
  ZkMetaStore(std::shared_ptr<ZkSession> zk, std::string root, std::string fence,
              std::function<void(const std::string&)> failed, Share share,
              std::function<bool()> retired)
      : zk_(std::move(zk)),
        root_(std::move(root)),
        fence_(std::move(fence)),
        failed_(std::move(failed)),
        share_(std::move(share)),
        retired_(std::move(retired)) {}
  std::string Describe() const override { return "ZooKeeper " + zk_->servers() + " " + root_; }
  bool shared() const override { return true; }
  Status Put(const std::string& key, const std::string& bytes) override {
    if (retired_()) return Retired();
    return Checked(zk_->Put(root_ + "/" + key, bytes, fence_));
  }
  Status Remove(const std::string& key) override {
    if (retired_()) return Retired();
    return Checked(zk_->Delete(root_ + "/" + key, fence_));
  }
  Result<std::optional<std::string>> Get(const std::string& key) override {
    return zk_->Get(root_ + "/" + key);
  }
  Result<std::vector<std::string>> List(const std::string& folder) override {
    return zk_->Children(root_ + "/" + folder);
  }
  std::string SetAside(const std::string& key) override {
    std::string flat = key;
    std::replace(flat.begin(), flat.end(), '/', '_');
    const std::string aside = root_ + "/corrupt/" + flat;
    auto bytes = zk_->Get(root_ + "/" + key);
    Status s = retired_() ? Retired() : bytes.status();
    if (s.ok()) s = zk_->EnsurePath(root_ + "/corrupt");
    if (s.ok() && bytes->has_value()) s = zk_->Put(aside, **bytes, fence_);
    if (s.ok()) s = zk_->Delete(root_ + "/" + key, fence_);
    return s.ok() ? "moved aside to " + aside : "could not move it aside: " + s.message();
  }
  void ShareStateFile(const std::string& ns) override { share_(ns); }

 private:
  static Status Retired() {
    return Status::FailedPrecondition(
        "not written: this nimbus's leadership that made the change is over");
  }
  Status Checked(Status s) {
    if (!s.ok() && s.code() != StatusCode::kInvalidArgument) failed_(s.message());
    return s;
  }
  std::shared_ptr<ZkSession> zk_;
  std::string root_, fence_;
  std::function<void(const std::string&)> failed_;
  Share share_;
  std::function<bool()> retired_;
};

// A leading Nimbus with the store it writes to (the store must outlive it).
struct Leading {
  Leading(std::unique_ptr<ZkMetaStore> s, const NimbusOptions& options, const Clock& clock,
          PluginStore& plugins)
      : store(std::move(s)), nimbus(options, clock, *store, plugins) {}
  std::unique_ptr<ZkMetaStore> store;
  Nimbus nimbus;
};

// An election node's data: "host:port started-unix-secs".
std::string MemberData(const HaOptions& ha, int64_t started) {
  return rpc::HostPort{ha.host, ha.port}.ToString() + " " + std::to_string(started);
}

}  // namespace

LeaderElector::LeaderElector(HaOptions ha, NimbusOptions options, const Clock& clock,
                             PluginStore& plugins)
    : ha_(std::move(ha)),
      options_(std::move(options)),
      clock_(clock),
      plugins_(plugins),
      state_copies_(options_.state_dir),
      started_unix_(UnixSecs()) {
  thread_ = std::thread([this] { Run(); });
  sync_thread_ = std::thread([this] { RunSync(); });
}

LeaderElector::~LeaderElector() {
  std::shared_ptr<Nimbus> was;
  {
    std::lock_guard lock(mu_);
    if (leader_) GALE_LOG(kInfo) << "no longer leading: stopping";
    was = std::move(leader_);
    if (leader_health_) leader_health_->retired = true;
    leader_health_.reset();
  }
  {
    std::lock_guard lock(wakeup_->mu);
    wakeup_->stop = true;
    wakeup_->cv.notify_all();
  }
  {
    std::lock_guard lock(sync_mu_);
    sync_stop_ = true;
    sync_cv_.notify_all();
  }
  thread_.join();
  std::shared_ptr<ZkSession> zk;
  {
    std::lock_guard lock(mu_);
    zk = std::move(zk_);
  }
  was.reset();
  zk.reset();  // closes the session (if no call holds the Nimbus): our node goes now
  // It holds no session while it fetches, and stops between fetches (each
  // at most 3 s).
  sync_thread_.join();
  // A call that still holds a Nimbus copies no state through us (one that
  // is copying now finishes first).
  std::unique_lock lock(self_->mu);
  self_->elector = nullptr;
}

void LeaderElector::Run() {
  for (bool event = true;;) {
    Step(event || std::chrono::steady_clock::now() >= next_refresh_);
    std::unique_lock lock(wakeup_->mu);
    wakeup_->cv.wait_for(lock, std::chrono::milliseconds(500),
                         [&] { return wakeup_->stop || wakeup_->event; });
    event = std::exchange(wakeup_->event, false);
    if (wakeup_->stop) return;
  }
}

void LeaderElector::Step(bool refresh) {
  std::shared_ptr<ZkSession> zk;
  std::string node;
  {
    std::lock_guard lock(mu_);
    zk = zk_;
    node = node_;
  }
  std::shared_ptr<WriteHealth> health;
  {
    std::lock_guard lock(mu_);
    health = leader_health_;
  }
  if (health && health->failed) {
    std::string why;
    {
      std::lock_guard lock(health->mu);
      why = health->why;
    }
    // Leads again below, from what ZooKeeper holds, if it still may.
    StepDown("a write to ZooKeeper failed (" + why + "): the cluster's state is read again");
    refresh = true;
  }
  if (!zk || zk->Expired()) {
    if (zk) StepDown("its ZooKeeper session expired");
    auto opened = ZkSession::Open(ha_.zookeeper_servers, ha_.session_timeout,
                                  [wakeup = wakeup_] { wakeup->Signal(); });
    if (!opened.ok()) {
      Say(opened.status().message(), LogLevel::kError);
      return;
    }
    std::shared_ptr<ZkSession> old;  // closed below, with no lock held
    {
      std::lock_guard lock(mu_);
      old = std::move(zk_);
      zk_ = std::move(opened).value();
      node_.clear();
      members_.clear();
      zk = zk_;
    }
    node.clear();
    old.reset();
  }
  if (!zk->Connected()) {
    StepDown("it lost its connection to ZooKeeper " + ha_.zookeeper_servers);
    {
      std::lock_guard lock(mu_);
      members_.clear();  // who leads is not known now
    }
    Say("waiting for ZooKeeper " + ha_.zookeeper_servers, LogLevel::kWarn);
    return;
  }
  if (node.empty()) {
    const std::string election = ha_.root + "/leader";
    for (const std::string& path : {election, ha_.root + "/topologies", ha_.root + "/plugins"}) {
      if (Status s = zk->EnsurePath(path); !s.ok()) {
        Say(s.message(), LogLevel::kWarn);
        return;
      }
    }
    auto created = zk->CreateEphemeralSequential(election + "/n_", MemberData(ha_, started_unix_));
    if (!created.ok()) {
      Say(created.status().message(), LogLevel::kWarn);
      return;
    }
    std::lock_guard lock(mu_);
    node_ = node = *created;
    refresh = true;
  }
  if (refresh) {
    // The watch set here fires on any change: between changes the members
    // read last stand (read again every kRefresh all the same).
    next_refresh_ = std::chrono::steady_clock::now() + kRefresh;
    if (!ReadMembers(*zk, node)) {
      if (std::lock_guard lock(mu_); !node_.empty()) return;  // could not read: next round
      StepDown("its election node " + node + " is gone");
      return;
    }
  }
  Member first;
  {
    std::lock_guard lock(mu_);
    if (members_.empty()) return;
    first = members_.front();
  }
  const rpc::HostPort first_at{first.host, first.port};
  if (node.substr(node.rfind('/') + 1) == first.node) {
    Lead(zk);
  } else {
    StepDown("nimbus " + first_at.ToString() + " leads");
    Say("following nimbus " + first_at.ToString() + " (the leader)", LogLevel::kInfo);
  }
}

void LeaderElector::RequestSync() {
  std::lock_guard lock(sync_mu_);
  sync_requested_ = true;
  sync_cv_.notify_all();
}

void LeaderElector::RunSync() {
  // At once when this nimbus has joined, then every 10 s.
  for (auto wait = seconds(1);;) {
    {
      std::unique_lock lock(sync_mu_);
      sync_cv_.wait_for(lock, wait, [&] { return sync_stop_ || sync_requested_; });
      if (sync_stop_) return;
      sync_requested_ = false;
    }
    std::shared_ptr<ZkSession> zk;
    bool joined = false;
    {
      std::lock_guard lock(mu_);
      zk = zk_;
      joined = !members_.empty();
    }
    if (!zk || !zk->Connected() || !joined) {
      wait = seconds(1);
      continue;
    }
    wait = seconds(10);
    if (!Leader()) PruneStateCopies(*zk);
    auto index = zk->Children(ha_.root + "/plugins");
    zk.reset();  // not held through the fetches: a stop closes the session at once
    if (index.ok()) SyncPlugins(*index, Others());
  }
}

bool LeaderElector::SyncStopping() {
  std::lock_guard lock(sync_mu_);
  return sync_stop_;
}

bool LeaderElector::ReadMembers(ZkSession& zk, const std::string& node) {
  const std::string election = ha_.root + "/leader";
  auto children = zk.Children(election, /*watch=*/true);
  if (!children.ok()) {
    Say(children.status().message(), LogLevel::kWarn);
    return false;
  }
  std::sort(children->begin(), children->end());
  const std::string mine = node.substr(node.rfind('/') + 1);
  std::vector<Member> members;
  bool have_mine = false;
  for (const std::string& child : *children) {
    const std::string path = election + "/" + child;
    auto bytes = zk.Get(path);
    if (!bytes.ok() || !bytes->has_value()) continue;  // gone meanwhile
    if (child != mine) {
      const auto owned = zk.OwnedByThisSession(path);
      if (owned.ok() && *owned) {
        // Ours from a create whose answer was lost: it would stand in line
        // for us, so it goes.
        (void)zk.Delete(path);
        continue;
      }
    }
    std::istringstream in(**bytes);
    std::string address;
    Member m;
    m.node = child;
    in >> address >> m.started_unix;
    auto hp = rpc::ParseHostPort(address);
    if (!hp.ok()) {
      GALE_LOG(kWarn) << "election node " << path << " holds no address: '" << address << "'";
      continue;
    }
    have_mine = have_mine || child == mine;
    m.host = hp->host;
    m.port = hp->port;
    members.push_back(std::move(m));
  }
  std::lock_guard lock(mu_);
  if (have_mine) {
    members_ = std::move(members);
    return true;
  }
  // Deleted under us (an operator, or a session ZooKeeper ended while we
  // were away): the caller steps down, and we stand again.
  node_.clear();
  members_.clear();
  return false;
}

void LeaderElector::Say(const std::string& state, LogLevel level) {
  std::lock_guard lock(mu_);
  if (state == last_state_) return;
  last_state_ = state;
  if (level >= GetLogLevel()) internal::LogLine(level, __FILE__, __LINE__).stream() << state;
}

void LeaderElector::Lead(const std::shared_ptr<ZkSession>& zk) {
  std::string node;
  {
    std::lock_guard lock(mu_);
    if (leader_) return;
    node = node_;
  }
  const auto began = std::chrono::steady_clock::now();
  auto health = std::make_shared<WriteHealth>();
  auto leading = std::make_shared<Leading>(std::make_unique<ZkMetaStore>(
                                               zk, ha_.root, node,
                                               [health, wakeup = wakeup_](const std::string& why) {
                                                 {
                                                   std::lock_guard lock(health->mu);
                                                   if (health->why.empty()) health->why = why;
                                                 }
                                                 health->failed = true;
                                                 wakeup->Signal();
                                               },
                                               [self = self_](const std::string& ns) {
                                                 std::shared_lock lock(self->mu);
                                                 if (self->elector) self->elector->CopyState(ns);
                                               },
                                               [health] { return health->retired.load(); }),
                                           options_, clock_, plugins_);
  if (Status s = leading->nimbus.Recover(); !s.ok()) {
    GALE_LOG(kError) << "elected, but cannot read the cluster's state (trying again): "
                     << s.message();
    return;
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - began);
  {
    std::lock_guard lock(mu_);
    if (node_ != node) return;
    leader_ = std::shared_ptr<Nimbus>(leading, &leading->nimbus);
    leader_health_ = health;
    last_state_ = "leading";
  }
  GALE_LOG(kInfo) << "leading (election node " << node << "): the cluster's state read from "
                  << leading->store->Describe() << " in " << took.count() << " ms";
  // Workers fetch plugins from the leader: have them all now.
  RequestSync();
}

void LeaderElector::StepDown(const std::string& why) {
  std::shared_ptr<Nimbus> was;  // released with no lock held
  std::lock_guard lock(mu_);
  if (!leader_) return;
  was = std::move(leader_);
  leader_health_->retired = true;
  leader_health_.reset();
  last_state_.clear();
  GALE_LOG(kWarn) << "no longer leading: " << why;
}

std::vector<LeaderElector::Member> LeaderElector::Others() {
  std::lock_guard lock(mu_);
  const std::string mine = node_.substr(node_.rfind('/') + 1);
  std::vector<Member> out;
  for (const Member& m : members_) {
    if (m.node != mine) out.push_back(m);
  }
  return out;
}

std::shared_ptr<Nimbus> LeaderElector::Leader() {
  std::lock_guard lock(mu_);
  // Not while cut off from ZooKeeper, nor after a failed write, even
  // before the election thread steps down: another nimbus may lead by now,
  // or this one's memory be ahead of ZooKeeper.
  if (!leader_ || !zk_ || !zk_->Connected() || leader_health_->failed) return nullptr;
  return leader_;
}

std::string LeaderElector::NotLeader() {
  std::lock_guard lock(mu_);
  const std::string mine = node_.substr(node_.rfind('/') + 1);
  if (members_.empty()) return "not the leader nimbus: no leader elected yet";
  const Member& first = members_.front();
  if (first.node == mine) {
    return "not the leader nimbus: this nimbus is taking over (reading the cluster's state)";
  }
  return "not the leader nimbus: the leader is " + rpc::HostPort{first.host, first.port}.ToString();
}

thrift::NimbusSummary LeaderElector::LeaderSummary() {
  auto all = Nimbuses();
  if (all.empty() || !all.front().is_leader) return {};
  all.front().__set_answering(Leader() != nullptr);
  return all.front();
}

std::vector<thrift::NimbusSummary> LeaderElector::Nimbuses() {
  std::lock_guard lock(mu_);
  const std::string mine = node_.substr(node_.rfind('/') + 1);
  std::vector<thrift::NimbusSummary> out;
  const int64_t now = UnixSecs();
  for (size_t i = 0; i < members_.size(); ++i) {
    const Member& m = members_[i];
    thrift::NimbusSummary s;
    s.host = m.host;
    s.port = m.port;
    s.uptime_secs = static_cast<int32_t>(std::max<int64_t>(0, now - m.started_unix));
    // The first leads once it has read the cluster's state: ourselves, we
    // know; another, we take its word.
    s.is_leader = i == 0 && (m.node != mine || leader_ != nullptr);
    out.push_back(std::move(s));
  }
  return out;
}

void LeaderElector::PluginStored(const std::string& sha256) {
  std::shared_ptr<ZkSession> zk;
  {
    std::lock_guard lock(mu_);
    if (!leader_) return;  // a copy from the leader, which indexes it itself
    zk = zk_;
  }
  if (Status s = zk->Put(ha_.root + "/plugins/" + sha256, ""); !s.ok()) {
    GALE_LOG(kWarn) << "plugin " << sha256 << " not indexed (nimbuses away now will not fetch it "
                    << "later): " << s.message();
  }
}

Status LeaderElector::ToEachOther(const std::string& what, const std::string& skipped,
                                  bool required,
                                  const std::function<Status(rpc::NimbusConnection&)>& copy) {
  for (const Member& m : Others()) {
    const rpc::HostPort at{m.host, m.port};
    auto conn = rpc::NimbusConnection::Connect(at, seconds(10));
    if (!conn.ok()) {
      GALE_LOG(kWarn) << what << " not copied to nimbus " << at.ToString() << " (" << skipped
                      << "): " << conn.status().message();
      continue;
    }
    if (Status s = copy(**conn); !s.ok()) {
      const std::string failed =
          "cannot copy " + what + " to nimbus " + at.ToString() + ": " + s.message();
      if (required) return Status::Unavailable(failed);
      GALE_LOG(kWarn) << failed << " (" << skipped << ")";
    }
  }
  return Status::Ok();
}

Status LeaderElector::Replicate(const std::vector<std::string>& sha256s) {
  if (sha256s.empty()) return Status::Ok();
  return ToEachOther(
      "plugins", "it fetches them when it answers again", /*required=*/true,
      [&](rpc::NimbusConnection& conn) {
        for (const std::string& sha : sha256s) {
          bool has = false;
          Status s = conn.Call([&](thrift::NimbusClient& c) { has = c.hasPlugin(sha); });
          std::string upload;
          if (s.ok() && !has) {
            const auto size = plugins_.Size(sha);
            s = size.status();
            if (s.ok()) {
              s = conn.Call(
                  [&](thrift::NimbusClient& c) { c.beginPluginUpload(upload, sha, *size); });
            }
            for (int64_t offset = 0; s.ok() && !upload.empty() && offset < *size;) {
              auto chunk =
                  plugins_.Read(sha, offset, static_cast<int32_t>(PluginStore::kMaxChunkBytes));
              s = chunk.status();
              if (!s.ok()) break;
              s = conn.Call([&](thrift::NimbusClient& c) { c.uploadPluginChunk(upload, *chunk); });
              offset += static_cast<int64_t>(chunk->size());
            }
            if (s.ok() && !upload.empty()) {
              s = conn.Call([&](thrift::NimbusClient& c) { c.finishPluginUpload(upload); });
            }
          }
          if (!s.ok()) return Status(s.code(), "plugin " + sha + ": " + s.message());
          if (!upload.empty()) {
            GALE_LOG(kInfo) << "plugin " << sha << " copied to nimbus "
                            << conn.address().ToString();
          }
        }
        return Status::Ok();
      });
}

void LeaderElector::CopyState(const std::string& ns) {
  // Not required: a nimbus without the copy would serve nothing (the
  // record's SHA-256), and one that cannot take copies (an older version in
  // a rolling upgrade, a full disk) must not stop every move.
  (void)ToEachOther(
      "state " + ns, "were it to lead, the task's worker would wait for the state",
      /*required=*/false, [&](rpc::NimbusConnection& conn) {
        int64_t offset = 0;
        for (;;) {
          GALE_ASSIGN_OR_RETURN(
              const std::string chunk,
              state_copies_.Read(ns, offset, static_cast<int32_t>(PluginStore::kMaxChunkBytes)));
          // Offset 0 goes even when empty: it starts the copy.
          if (chunk.empty() && offset > 0) break;
          GALE_RETURN_IF_ERROR(
              conn.Call([&](thrift::NimbusClient& c) { c.copyState(ns, offset, chunk); }));
          offset += static_cast<int64_t>(chunk.size());
          if (chunk.empty()) break;
        }
        GALE_RETURN_IF_ERROR(
            conn.Call([&](thrift::NimbusClient& c) { c.finishStateCopy(ns, offset); }));
        GALE_LOG(kInfo) << "state " << ns << " (" << offset << " bytes) copied to nimbus "
                        << conn.address().ToString();
        return Status::Ok();
      });
}

void LeaderElector::PruneStateCopies(ZkSession& zk) {
  auto bytes = zk.Get(ha_.root + "/state-holders");
  if (!bytes.ok()) return;
  std::set<std::string> held;
  if (bytes->has_value()) {
    auto stored = Deserialize<thrift::StoredStateHolders>(**bytes);
    if (!stored.ok()) return;
    for (const auto& [ns, holder] : stored->holders) {
      if (holder.empty()) held.insert(ns);
    }
  }
  state_copies_.Prune(held, std::chrono::minutes(10));
}

void LeaderElector::SyncPlugins(const std::vector<std::string>& index,
                                const std::vector<Member>& from) {
  for (const std::string& sha : index) {
    if (plugins_.Has(sha)) continue;
    for (const Member& m : from) {
      if (SyncStopping()) return;
      const rpc::HostPort at{m.host, m.port};
      auto conn = rpc::NimbusConnection::Connect(at, seconds(3));
      if (!conn.ok()) continue;
      std::string bytes;
      Status s;
      for (;;) {
        std::string chunk;
        s = (*conn)->Call([&](thrift::NimbusClient& c) {
          c.downloadPluginChunk(chunk, sha, static_cast<int64_t>(bytes.size()),
                                static_cast<int32_t>(PluginStore::kMaxChunkBytes));
        });
        if (!s.ok() || chunk.empty()) break;
        bytes += chunk;
      }
      if (s.ok()) s = plugins_.Store(sha, bytes, clock_.Now());
      if (s.ok()) {
        GALE_LOG(kInfo) << "plugin " << sha << " fetched from nimbus " << at.ToString();
        break;
      }
      GALE_LOG(kWarn) << "cannot fetch plugin " << sha << " from nimbus " << at.ToString() << ": "
                      << s.message();
    }
  }
}

}  // namespace gale::nimbus
