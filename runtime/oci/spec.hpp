// Typed model of the OCI runtime-spec v1.2 container configuration (config.json).
//
// Plain structs; the JSON mapping lives in spec_*.cpp. Every member that the spec marks
// optional is a std::optional, so a document read and written again keeps exactly the
// fields it had. Fields this model does not know (other platforms' sections, newer spec
// fields, engine extensions) are kept in each object's `extra` and written back.
//
// Errors: parsing throws oci::SpecError whose message starts with the JSON path of the
// offending value: "linux.uidMappings[1].size: must be > 0".
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/linux.hpp"

namespace oci {

using json = nlohmann::json;
using StringList = std::vector<std::string>;
using StringMap = std::map<std::string, std::string>;

inline constexpr std::string_view kVersion = "1.2.0";

struct ConsoleSize {
  uint64_t height = 0;
  uint64_t width = 0;
  json extra;
  bool operator==(const ConsoleSize&) const = default;
};

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::optional<std::vector<uint32_t>> additional_gids;
  std::optional<std::string> username;
  json extra;
  bool operator==(const User&) const = default;
};

struct Capabilities {
  std::optional<StringList> bounding, effective, inheritable, permitted, ambient;
  json extra;
  bool operator==(const Capabilities&) const = default;
};

struct Rlimit {
  std::string type;  // RLIMIT_NOFILE, ...
  uint64_t soft = 0;
  uint64_t hard = 0;
  json extra;
  bool operator==(const Rlimit&) const = default;
};

struct IoPriority {
  std::string io_class;  // IOPRIO_CLASS_RT | _BE | _IDLE
  std::optional<int32_t> priority;
  json extra;
  bool operator==(const IoPriority&) const = default;
};

struct Scheduler {
  std::string policy;  // SCHED_OTHER, ...
  std::optional<int32_t> nice, priority;
  std::optional<StringList> flags;
  std::optional<uint64_t> runtime, deadline, period;
  json extra;
  bool operator==(const Scheduler&) const = default;
};

struct Process {
  std::optional<bool> terminal;
  std::optional<ConsoleSize> console_size;
  std::optional<User> user;
  std::optional<StringList> args;
  std::optional<StringList> env;
  std::string cwd;  // required, absolute
  std::optional<Capabilities> capabilities;
  std::optional<std::vector<Rlimit>> rlimits;
  std::optional<bool> no_new_privileges;
  std::optional<std::string> apparmor_profile;
  std::optional<int> oom_score_adj;
  std::optional<std::string> selinux_label;
  std::optional<IoPriority> io_priority;
  std::optional<Scheduler> scheduler;
  json extra;
  bool operator==(const Process&) const = default;
};

struct Root {
  std::string path;
  std::optional<bool> readonly;
  json extra;
  bool operator==(const Root&) const = default;
};

struct Mount {
  std::string destination;
  std::optional<std::string> source;
  std::optional<std::string> type;
  std::optional<StringList> options;
  std::optional<std::vector<IdMapping>> uid_mappings, gid_mappings;
  json extra;
  bool operator==(const Mount&) const = default;
};

struct Hook {
  std::string path;  // absolute
  std::optional<StringList> args;
  std::optional<StringList> env;
  std::optional<int64_t> timeout;  // seconds, >= 1
  json extra;
  bool operator==(const Hook&) const = default;
};

struct Hooks {
  std::optional<std::vector<Hook>> prestart, create_runtime, create_container, start_container,
      poststart, poststop;
  json extra;
  bool operator==(const Hooks&) const = default;
};

struct Spec {
  std::string oci_version;
  std::optional<Process> process;
  std::optional<Root> root;
  std::optional<std::string> hostname;
  std::optional<std::string> domainname;
  std::optional<std::vector<Mount>> mounts;
  std::optional<Hooks> hooks;
  std::optional<StringMap> annotations;
  std::optional<Linux> linux;
  json extra;  // other platforms' sections and anything newer than this model
  bool operator==(const Spec&) const = default;
};

// The elements of an optional list, or an empty list: for loops over optional arrays.
template <class T>
const std::vector<T>& items(const std::optional<std::vector<T>>& v) {
  static const std::vector<T> empty;
  return v ? *v : empty;
}
// Not for temporaries: the result would dangle.
template <class T>
const std::vector<T>& items(const std::optional<std::vector<T>>&&) = delete;

// A list in the `linux` section, or an empty list when there is no such section.
template <class T>
const std::vector<T>& linux_items(const Spec& spec, std::optional<std::vector<T>> Linux::*member) {
  static const std::vector<T> empty;
  return spec.linux ? items((*spec.linux).*member) : empty;
}

// Parses and validates config.json text. `origin` names the document in messages
// ("bundle/config.json"); a JSON syntax error is reported as origin:line:column.
Spec parse_spec(std::string_view text, std::string_view origin = "config.json");
// Reads and parses a file; errors name the file.
Spec load_spec(const std::string& path);

// A process document on its own (runc exec --process FILE).
Process parse_process(std::string_view text, std::string_view origin);
// A linux.resources document on its own (runc update --resources FILE).
Resources parse_resources(std::string_view text, std::string_view origin);

Spec spec_from_json(const json& j);
json spec_to_json(const Spec& spec);
// Serialised form as written to a bundle: two-space indented, trailing newline.
std::string dump_spec(const Spec& spec);

// nlohmann ADL hooks, so that `j.get<oci::Spec>()` and `json j = spec;` work too.
void from_json(const json& j, Spec& spec);
void to_json(json& j, const Spec& spec);

}  // namespace oci
