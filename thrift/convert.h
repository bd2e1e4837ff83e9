// thrift/convert.h
//
// Translates between Gale's types and the Thrift types generated from
// gale.thrift: the only place that does, so generated names stay here and in
// the daemons' handler files. Includes the generated headers: include it
// only from files that talk Thrift.
#pragma once

#include "core/common/result.h"
#include "core/topology/topology_spec.h"
#include "thrift/gen-cpp/gale_types.h"

#include <gale/config.h>

#include <string>
#include <vector>

namespace gale::convert {

thrift::ConfigValue ToThrift(const Value& v);
Value FromThrift(const thrift::ConfigValue& v);
std::map<std::string, thrift::ConfigValue> ToThrift(const Config& c);
Config FromThrift(const std::map<std::string, thrift::ConfigValue>& c);

thrift::GroupingType::type ToThrift(topology::GroupingType t);

// The topology with its declared outputs; `plugin_sha256[i]` is the hash of
// spec.plugins[i].
thrift::Topology ToThrift(const topology::TopologySpec& spec,
                          const std::vector<std::string>& plugin_sha256);

// A spec with outputs known, ready for validation and TopologyPlan::Build.
// Plugin refs carry the hash as their name and no path. Errors for enum
// values out of range and negative counts.
Result<topology::TopologySpec> FromThrift(const thrift::Topology& t);

const char* StatusName(thrift::TopologyStatus::type s);

// The version at which worker `w` of `a` last had its executors changed
// (WorkerSlot.layout_version; an assignment written before it existed: the
// assignment's version).
int64_t LayoutVersion(const thrift::Assignment& a, size_t w);

}  // namespace gale::convert
