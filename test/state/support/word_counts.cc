#include "test/state/support/word_counts.h"

#include "core/state/checkpoint.h"
#include "core/state/key_value_state.h"
#include "core/state/state_store.h"
#include "test/support/process.h"

#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace gale::testing {

std::string Corpus(int lines, Counts* exact) {
  const char* words[] = {"alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta"};
  std::string text;
  for (int i = 0; i < lines; ++i) {
    for (int k : {i % 8, (i * 3 + 1) % 8, (i * 5 + 2) % 8}) {
      text += std::string(words[k]) + " ";
      ++(*exact)[words[k]];
    }
    text.back() = '\n';
  }
  return text;
}

Counts CountsFile(const std::string& path) {
  Counts out;
  std::istringstream in(ReadFile(path));
  std::string word;
  int64_t n;
  while (in >> word >> n) out[word] = n;
  return out;
}

namespace {

void AddCommitted(Result<std::unique_ptr<state::StateStore>> store, Counts& out) {
  if (!store.ok()) return;
  auto kv = state::KeyValueStateImpl::Open(std::move(store).value());
  if (!kv.ok()) return;
  // Words are strings; a persistent window's own entries are not.
  (*kv)->ForEach([&](const Value& k, const Value& v) {
    if (k.type() == ValueType::kString) out[k.AsString()] += v.AsInt();
  });
}

// As a task of `component` in the namespace `ns` names its state.
std::string TaskNamespace(const std::string& ns, const std::string& component, int index) {
  Config config;
  config.Set("topology.state.namespace", Value(ns));
  return state::StateNamespace(config, "", component, index);
}

}  // namespace

Counts CommittedInRedis(int port, const std::string& ns, const std::string& component) {
  Counts out;
  for (int task = 0; task < 16; ++task) {
    AddCommitted(state::OpenRedisStore("127.0.0.1", port, TaskNamespace(ns, component, task)), out);
  }
  return out;
}

Counts CommittedInRocksDb(const std::vector<std::string>& dirs, const std::string& ns,
                          const std::string& component) {
  // Each task's database is <dir>/<ns>/<component>/index-<i> (core/state/README.md):
  // open those there are, creating none.
  Counts out;
  for (const std::string& dir : dirs) {
    const std::filesystem::path tasks = std::filesystem::path(dir) / ns / component;
    if (!std::filesystem::is_directory(tasks)) continue;
    for (const auto& task : std::filesystem::directory_iterator(tasks)) {
      auto store = state::OpenRocksDbStore(
          dir, ns + "/" + component + "/" + task.path().filename().string());
      // A database still open in a worker: say so rather than count nothing.
      if (!store.ok()) throw std::runtime_error(store.status().message());
      AddCommitted(std::move(store), out);
    }
  }
  return out;
}

int64_t Total(const Counts& c) {
  int64_t n = 0;
  for (const auto& [w, k] : c) n += k;
  return n;
}

}  // namespace gale::testing
