// Entry points of the OCI model: text and files in, typed documents out, and back.
#include <nlohmann/json.hpp>

#include "oci/schemas.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"

namespace oci {
namespace {

// "line L, column C" of a byte offset, for JSON syntax errors.
std::pair<size_t, size_t> line_column(std::string_view text, size_t offset) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

}  // namespace

std::string_view to_string(Status s) {
  switch (s) {
    case Status::creating:
      return "creating";
    case Status::created:
      return "created";
    case Status::running:
      return "running";
    case Status::stopped:
      return "stopped";
    case Status::paused:
      return "paused";
  }
  return "unknown";
}

std::optional<Status> status_from_string(std::string_view s) {
  for (auto st :
       {Status::creating, Status::created, Status::running, Status::stopped, Status::paused})
    if (to_string(st) == s) return st;
  return std::nullopt;
}

void read_value(const json& j, const std::string& path, Status& out) {
  std::string s;
  read_value(j, path, s);
  auto st = status_from_string(s);
  if (!st)
    fail(path, "must be one of creating, created, running, stopped, paused, not " + describe(j));
  out = *st;
}

json write_value(const Status& v) {
  return std::string(to_string(v));
}

Spec spec_from_json(const json& j) {
  Spec spec;
  read_value(j, "", spec);
  return spec;
}

json spec_to_json(const Spec& spec) {
  return write_value(spec);
}

std::string dump_spec(const Spec& spec) {
  return spec_to_json(spec).dump(2) + "\n";
}

namespace {

json parse_json_text(std::string_view text, std::string_view origin) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    // nlohmann's byte offset points one past the offending character.
    auto [line, column] = line_column(text, e.byte > 0 ? e.byte - 1 : 0);
    std::string reason = e.what();
    // Keep only the reason after nlohmann's "[json.exception.parse_error.101] parse error at
    // line 1, column 2: " prefix: we print our own position.
    if (auto p = reason.find(": "); p != std::string::npos) reason = reason.substr(p + 2);
    throw boxrt::Error(std::string(origin) + ":" + std::to_string(line) + ":" +
                       std::to_string(column) + ": invalid JSON: " + reason);
  }
}

}  // namespace

Process parse_process(std::string_view text, std::string_view origin) {
  json j = parse_json_text(text, origin);
  try {
    Process p;
    read_value(j, "", p);
    return p;
  } catch (SpecError& e) {
    e.add_context(std::string(origin));
    throw;
  }
}

Resources parse_resources(std::string_view text, std::string_view origin) {
  json j = parse_json_text(text, origin);
  try {
    Resources r;
    read_value(j, "", r);
    return r;
  } catch (SpecError& e) {
    e.add_context(std::string(origin));
    throw;
  }
}

Spec parse_spec(std::string_view text, std::string_view origin) {
  json j = parse_json_text(text, origin);
  try {
    return spec_from_json(j);
  } catch (SpecError& e) {
    e.add_context(std::string(origin));
    throw;
  }
}

Spec load_spec(const std::string& path) {
  return parse_spec(boxrt::read_file(path), path);
}

void from_json(const json& j, Spec& spec) {
  spec = spec_from_json(j);
}
void to_json(json& j, const Spec& spec) {
  j = spec_to_json(spec);
}

State state_from_json(const json& j) {
  State state;
  read_value(j, "", state);
  return state;
}

json state_to_json(const State& state) {
  return write_value(state);
}

void from_json(const json& j, State& state) {
  state = state_from_json(j);
}
void to_json(json& j, const State& state) {
  j = state_to_json(state);
}

}  // namespace oci
