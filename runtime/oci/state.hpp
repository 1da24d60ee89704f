// The OCI runtime state document (`state` command output, hooks' stdin).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace oci {

using json = nlohmann::json;

// The spec's four, and runc's `paused` for a frozen container (never given to hooks).
enum class Status { creating, created, running, stopped, paused };

std::string_view to_string(Status s);
std::optional<Status> status_from_string(std::string_view s);

struct State {
  std::string oci_version;
  std::string id;
  Status status = Status::creating;
  std::optional<int> pid;  // required when created or running
  std::string bundle;      // absolute path
  std::optional<std::map<std::string, std::string>> annotations;
  json extra;  // runtime extensions such as runc's rootfs, created, owner
  bool operator==(const State&) const = default;
};

State state_from_json(const json& j);
json state_to_json(const State& state);

void from_json(const json& j, State& state);
void to_json(json& j, const State& state);

}  // namespace oci
