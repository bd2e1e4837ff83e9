// nimbus/cli/cluster_commands.h
//
// The `gale` verbs that talk to nimbus: submit, list, info, kill, activate,
// deactivate, rebalance. Each returns the process exit code (0 done, 1
// nimbus refused or could not be reached, 2 bad input) and writes one clear
// line to `err` when it fails.
#pragma once

#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gale::rpc {
class NimbusConnection;
}

namespace gale::cli {

struct ClusterArgs {
  std::string nimbus;  // --nimbus host:port[,host:port...]
  std::string config;  // --config FILE
  std::string auth;    // --auth FILE (gale.auth.* keys; thrift/auth.h)
};

// --nimbus, then $GALE_NIMBUS, then the cluster config (--config FILE, else
// $GALE_CONFIG, else ~/.gale/cluster.yaml if it exists: nimbus.seeds, or
// nimbus.host and nimbus.thrift.port), then 127.0.0.1:6627. Several
// addresses (HA): the leader among them is used. Sets `source` to where it came from.
std::string ResolveNimbus(const ClusterArgs& args, std::string* source, std::ostream& err,
                          bool* ok);

// Connects to the nimbus ResolveNimbus names, or writes why not to `err`
// and returns null.
std::unique_ptr<rpc::NimbusConnection> ConnectNimbus(const ClusterArgs& args, std::ostream& err);

int Submit(const ClusterArgs& c, const std::string& file, const std::string& filter, bool inactive,
           std::ostream& out, std::ostream& err);
// `json`: one JSON document instead of the tables (nimbus/cli/README.md).
int List(const ClusterArgs& c, bool json, std::ostream& out, std::ostream& err);
int Info(const ClusterArgs& c, const std::string& name, bool json, std::ostream& out,
         std::ostream& err);
int Kill(const ClusterArgs& c, const std::string& name, std::optional<int> wait, std::ostream& out,
         std::ostream& err);
int Activate(const ClusterArgs& c, const std::string& name, bool active, std::ostream& out,
             std::ostream& err);
int Rebalance(const ClusterArgs& c, const std::string& name, std::optional<int> workers,
              const std::map<std::string, int>& executors, std::optional<int> wait,
              std::ostream& out, std::ostream& err);

}  // namespace gale::cli
