// Shell components in topology files: Gale's keys, Flux's constructorArgs,
// and their errors.
#include "core/multilang/shell_component.h"
#include "core/topology/validator.h"
#include "core/topology/yaml_loader.h"

#include <catch2/catch.hpp>

namespace gale::topology {
namespace {

Result<TopologySpec> Load(const std::string& bolt) {
  const std::string yaml =
      "name: t\n"
      "spouts:\n"
      "  - { id: s, className: S }\n"
      "bolts:\n"
      "  - id: b\n" +
      bolt +
      "streams:\n"
      "  - { from: s, to: b, grouping: { type: SHUFFLE } }\n";
  return LoadTopologyString(yaml, "t.yaml", LoadOptions{});
}

std::string Error(const std::string& bolt) {
  auto spec = Load(bolt);
  if (spec.ok()) return "(loaded)";
  return spec.status().message();
}

TEST_CASE("Gale's form puts command, fields and serializer in the config", "[multilang]") {
  auto spec = Load(
      "    className: gale.ShellBolt\n"
      "    command: [python3, split.py]\n"
      "    outputFields: { default: [word], errors: [msg, at] }\n"
      "    serializer: msgpack\n");
  REQUIRE(spec.ok());
  const ComponentSpec& b = spec->bolts[0];
  CHECK(b.config.GetString(multilang::kCommandKey, "") == R"(["python3","split.py"])");
  CHECK(b.config.GetString(multilang::kOutputFieldsKey, "") ==
        R"({"default":["word"],"errors":["msg","at"]})");
  CHECK(b.config.GetString(multilang::kSerializerKey, "") == "msgpack");
  // The command's position, for validation errors.
  CHECK(b.config_pos.at(std::string(multilang::kCommandKey)).line == 7);
  CHECK(ValidateStructure(*spec).ok());
}

TEST_CASE("Flux's FluxShellBolt constructorArgs are command and fields", "[multilang]") {
  auto spec = Load(
      "    className: org.apache.storm.flux.wrappers.bolts.FluxShellBolt\n"
      "    constructorArgs:\n"
      "      - [python3, split.py]\n"
      "      - [word]\n");
  REQUIRE(spec.ok());
  const ComponentSpec& b = spec->bolts[0];
  CHECK(b.config.GetString(multilang::kCommandKey, "") == R"(["python3","split.py"])");
  CHECK(b.config.GetString(multilang::kOutputFieldsKey, "") == R"({"default":["word"]})");
}

TEST_CASE("Shell component keys have clear errors", "[multilang]") {
  CHECK(Error("    className: gale.ShellBolt\n    outputFields: [word]\n") ==
        "t.yaml:5:5: missing required key 'command' in bolt 'b' (a shell component: give the "
        "program and its arguments, e.g. command: [python3, splitter.py])");
  CHECK(Error("    className: gale.ShellBolt\n    command: []\n") ==
        "t.yaml:7:14: 'command' of bolt 'b' is empty; give the program and its arguments, e.g. "
        "[python3, splitter.py]");
  CHECK(Error("    className: gale.ShellBolt\n    command: python3 x.py\n") ==
        "t.yaml:7:14: 'command' of bolt 'b' must be a list of strings, got string 'python3 x.py'");
  CHECK(Error("    className: gale.ShellBolt\n    command: [python3]\n    serializer: xml\n") ==
        "t.yaml:8:17: 'serializer' of bolt 'b' must be json or msgpack, got 'xml'");
  CHECK(Error("    className: gale.ShellBolt\n    command: [python3]\n"
              "    constructorArgs: [[python3], [w]]\n") ==
        "t.yaml:8:5: bolt 'b' sets its command twice: give 'constructorArgs' or 'command' and "
        "'outputFields', not both");
  CHECK(Error("    className: gale.ShellBolt\n    constructorArgs: python3\n") ==
        "t.yaml:7:22: 'constructorArgs' of bolt 'b' must be [[program, args...], [output "
        "fields...]] as for Flux's FluxShellBolt, got string 'python3'");
  CHECK(Error("    className: gale.ShellBolt\n    command: [python3]\n"
              "    config: { multilang.command: x }\n")
            .find("sets multilang.command in its config too (line 8): set it in one place") !=
        std::string::npos);
  CHECK(Error("    className: gale.ShellBolt\n    command: [python3]\n    outputFields: [w]\n"
              "    directStreams: [other]\n") ==
        "t.yaml:9:20: 'directStreams' of bolt 'b' names stream 'other', which its 'outputFields' "
        "does not declare");
  // Other classes: as before.
  CHECK(Error("    className: Split\n    command: [python3]\n")
            .rfind("t.yaml:7:5: unknown key 'command' in bolt 'b' (", 0) == 0);
  CHECK(Error("    className: Split\n    constructorArgs: [1]\n")
            .rfind("t.yaml:7:5: Flux key 'constructorArgs' in bolt 'b' is not supported by Gale",
                   0) == 0);
}

}  // namespace
}  // namespace gale::topology
