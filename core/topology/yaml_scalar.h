// core/topology/yaml_scalar.h
//
// How Gale types a YAML scalar, in topology files and cluster config files
// alike (they used to disagree: the cluster config read `0x1A0B` as the
// float 6667 and `Null` as a string). Includes yaml-cpp: for the two loaders'
// .cc files only, never a widely included header.
#pragma once

#include <gale/values.h>

#include <yaml-cpp/yaml.h>

namespace gale::topology {

// A plain (unquoted, untagged) scalar's value: YAML 1.2 core-schema booleans
// and nulls, decimal integers, decimal floats; anything else, and any quoted
// or block scalar, is a string. `out_of_range` is set for an integer that
// does not fit in 64 bits (the value is then the text).
Value YamlScalarValue(const YAML::Node& node, bool* out_of_range = nullptr);

}  // namespace gale::topology
