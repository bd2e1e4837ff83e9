#include "thrift/convert.h"

namespace gale::convert {

thrift::ConfigValue ToThrift(const Value& v) {
  thrift::ConfigValue out;
  switch (v.type()) {
    case ValueType::kNull: break;
    case ValueType::kBool: out.__set_bool_value(v.AsBool()); break;
    case ValueType::kInt: out.__set_int_value(v.AsInt()); break;
    case ValueType::kDouble: out.__set_double_value(v.AsDouble()); break;
    case ValueType::kString: out.__set_string_value(v.AsString()); break;
    case ValueType::kBytes: out.__set_string_value(v.AsBytes().data); break;
  }
  return out;
}

Value FromThrift(const thrift::ConfigValue& v) {
  if (v.__isset.bool_value) return Value(v.bool_value);
  if (v.__isset.int_value) return Value(v.int_value);
  if (v.__isset.double_value) return Value(v.double_value);
  if (v.__isset.string_value) return Value(v.string_value);
  return Value();
}

std::map<std::string, thrift::ConfigValue> ToThrift(const Config& c) {
  std::map<std::string, thrift::ConfigValue> out;
  for (const auto& [k, v] : c.entries()) out[k] = ToThrift(v);
  return out;
}

Config FromThrift(const std::map<std::string, thrift::ConfigValue>& c) {
  Config out;
  for (const auto& [k, v] : c) out.Set(k, FromThrift(v));
  return out;
}

thrift::GroupingType::type ToThrift(topology::GroupingType t) {
  using G = topology::GroupingType;
  switch (t) {
    case G::kShuffle: return thrift::GroupingType::SHUFFLE;
    case G::kFields: return thrift::GroupingType::FIELDS;
    case G::kAll: return thrift::GroupingType::ALL;
    case G::kGlobal: return thrift::GroupingType::GLOBAL;
    case G::kNone: return thrift::GroupingType::NONE;
    case G::kDirect: return thrift::GroupingType::DIRECT;
    case G::kLocalOrShuffle: return thrift::GroupingType::LOCAL_OR_SHUFFLE;
    case G::kPartialKey: return thrift::GroupingType::PARTIAL_KEY;
  }
  return thrift::GroupingType::SHUFFLE;
}

namespace {

Result<topology::GroupingType> GroupingFromThrift(thrift::GroupingType::type t) {
  using G = topology::GroupingType;
  switch (t) {
    case thrift::GroupingType::SHUFFLE: return G::kShuffle;
    case thrift::GroupingType::FIELDS: return G::kFields;
    case thrift::GroupingType::ALL: return G::kAll;
    case thrift::GroupingType::GLOBAL: return G::kGlobal;
    case thrift::GroupingType::NONE: return G::kNone;
    case thrift::GroupingType::DIRECT: return G::kDirect;
    case thrift::GroupingType::LOCAL_OR_SHUFFLE: return G::kLocalOrShuffle;
    case thrift::GroupingType::PARTIAL_KEY: return G::kPartialKey;
  }
  return Status::InvalidArgument("unknown grouping type " + std::to_string(static_cast<int>(t)));
}

thrift::Component ComponentToThrift(const topology::ComponentSpec& c) {
  thrift::Component out;
  out.id = c.id;
  out.kind =
      c.kind == ComponentKind::kSpout ? thrift::ComponentKind::SPOUT : thrift::ComponentKind::BOLT;
  out.class_name = c.class_name;
  out.parallelism = c.parallelism;
  out.__set_num_tasks(c.num_tasks);
  out.__set_config(ToThrift(c.config));
  for (const auto& s : c.outputs) {
    thrift::StreamDecl d;
    d.id = s.id;
    d.fields = s.fields.names();
    d.__set_direct(s.direct == Direct::kYes);
    out.outputs.push_back(std::move(d));
  }
  return out;
}

}  // namespace

thrift::Topology ToThrift(const topology::TopologySpec& spec,
                          const std::vector<std::string>& plugin_sha256) {
  thrift::Topology t;
  t.name = spec.name;
  for (const auto* list : {&spec.spouts, &spec.bolts}) {
    for (const auto& c : *list) t.components.push_back(ComponentToThrift(c));
  }
  for (const auto& s : spec.streams) {
    thrift::Subscription sub;
    sub.from_component = s.from;
    sub.__set_stream(s.stream);
    sub.to_component = s.to;
    sub.grouping.type = ToThrift(s.grouping.type);
    sub.grouping.__set_fields(s.grouping.fields);
    if (s.chain) sub.__set_chain(*s.chain);
    t.streams.push_back(std::move(sub));
  }
  t.__set_config(ToThrift(spec.config));
  for (size_t i = 0; i < spec.plugins.size() && i < plugin_sha256.size(); ++i) {
    thrift::PluginRef p;
    const std::string& path = spec.plugins[i].path;
    p.name = path.substr(path.find_last_of('/') + 1);
    p.sha256 = plugin_sha256[i];
    t.plugins.push_back(std::move(p));
  }
  return t;
}

Result<topology::TopologySpec> FromThrift(const thrift::Topology& t) {
  topology::TopologySpec spec;
  spec.name = t.name;
  spec.config = FromThrift(t.config);
  for (const auto& c : t.components) {
    topology::ComponentSpec out;
    out.id = c.id;
    if (c.kind != thrift::ComponentKind::SPOUT && c.kind != thrift::ComponentKind::BOLT) {
      return Status::InvalidArgument("component '" + c.id + "' has an unknown kind " +
                                     std::to_string(static_cast<int>(c.kind)));
    }
    out.kind =
        c.kind == thrift::ComponentKind::SPOUT ? ComponentKind::kSpout : ComponentKind::kBolt;
    out.class_name = c.class_name;
    out.parallelism = c.parallelism;
    if (c.num_tasks < 0) {
      return Status::InvalidArgument("component '" + c.id + "' has num_tasks " +
                                     std::to_string(c.num_tasks) + "; it must be >= 0");
    }
    out.num_tasks = c.num_tasks;
    out.config = FromThrift(c.config);
    for (const auto& d : c.outputs) {
      out.outputs.push_back(
          StreamDeclaration{d.id, Fields(d.fields), d.direct ? Direct::kYes : Direct::kNo});
    }
    out.outputs_known = true;
    (out.kind == ComponentKind::kSpout ? spec.spouts : spec.bolts).push_back(std::move(out));
  }
  for (const auto& s : t.streams) {
    topology::StreamSpec out;
    out.from = s.from_component;
    out.to = s.to_component;
    out.stream = s.stream;
    GALE_ASSIGN_OR_RETURN(out.grouping.type, GroupingFromThrift(s.grouping.type));
    out.grouping.fields = s.grouping.fields;
    if (s.__isset.chain) out.chain = s.chain;
    spec.streams.push_back(std::move(out));
  }
  for (const auto& p : t.plugins) {
    topology::PluginRef ref;
    ref.name = p.sha256;
    spec.plugins.push_back(std::move(ref));
  }
  return spec;
}

int64_t LayoutVersion(const thrift::Assignment& a, size_t w) {
  if (w >= a.workers.size() || !a.workers[w].__isset.layout_version) return a.version;
  return a.workers[w].layout_version;
}

const char* StatusName(thrift::TopologyStatus::type s) {
  switch (s) {
    case thrift::TopologyStatus::ACTIVE: return "ACTIVE";
    case thrift::TopologyStatus::INACTIVE: return "INACTIVE";
    case thrift::TopologyStatus::REBALANCING: return "REBALANCING";
    case thrift::TopologyStatus::KILLED: return "KILLED";
  }
  return "?";
}

}  // namespace gale::convert
