// core/include/gale/output_declarer.h
//
// Components declare their output streams through an OutputDeclarer in
// DeclareOutputFields(). Declarations travel with the topology so that the
// validator and nimbus check subscriptions without running user code.
#pragma once

#include <gale/config.h>
#include <gale/fields.h>

#include <string>
#include <string_view>
#include <vector>

namespace gale {

enum class Direct : bool { kNo = false, kYes = true };

struct StreamDeclaration {
  std::string id;
  Fields fields;
  Direct direct = Direct::kNo;
};

class OutputDeclarer {
 public:
  // `config` is the component's effective config (topology config with the
  // component's own entries over it), so declarations may depend on it.
  explicit OutputDeclarer(const Config& config) : config_(config) {}

  // Declares the `default` stream.
  void Declare(Fields fields, Direct direct = Direct::kNo) {
    DeclareStream("default", std::move(fields), direct);
  }
  // Declaring the same stream twice is an error that `gale validate` and
  // local mode report.
  void DeclareStream(std::string_view id, Fields fields, Direct direct = Direct::kNo) {
    for (auto& s : streams_) {
      if (s.id == id) {
        duplicates_.push_back(std::string(id));
        s = {std::string(id), std::move(fields), direct};
        return;
      }
    }
    streams_.push_back({std::string(id), std::move(fields), direct});
  }

  const Config& config() const { return config_; }
  const std::vector<StreamDeclaration>& streams() const { return streams_; }
  const std::vector<std::string>& duplicates() const { return duplicates_; }

 private:
  const Config& config_;
  std::vector<StreamDeclaration> streams_;
  std::vector<std::string> duplicates_;
};

}  // namespace gale
