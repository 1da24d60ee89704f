// Helpers shared by the unit tests: scratch directories, running host tools, and checking
// documents against the runtime-spec JSON schemas.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace testing {

// A fresh directory under $TMPDIR, removed with everything in it when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct CommandResult {
  int status = -1;     // exit status, or -1 if it did not exit normally
  std::string output;  // stdout and stderr together
};

// Runs `sh -c command`, capturing its output.
CommandResult run_shell(const std::string& command);
bool has_program(const std::string& name);

// Directory of the runtime-spec schemas, or nullopt when it isn't there: meson's
// oci_schema_dir, by default where Debian's golang-github-opencontainers-specs-dev puts
// them (runtime-spec 1.0.2+: without features-schema.json, the time namespace, or the
// example documents a runtime-spec checkout has); BOXAPP_OCI_SCHEMA_DIR overrides it.
std::optional<std::string> oci_schema_dir();
// Whether those schemas have `file` ("features-schema.json", "test/config/good").
bool oci_schema_has(const std::string& file);
// The WARN for a check skipped because the schemas lack `file`.
std::string oci_schema_lacks(const std::string& file);
// Validates a config.json document against config-schema.json with python3-jsonschema.
// Returns nullopt when valid, otherwise the validator's complaint.
std::optional<std::string> schema_errors(const nlohmann::json& doc,
                                         const std::string& schema = "config-schema.json");

std::string test_data(const std::string& relative);

}  // namespace testing
