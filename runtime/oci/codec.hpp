// Internal: the table-driven JSON mapping behind the OCI model.
//
// Each model struct T gets a Schema<T> specialisation (all in schemas.hpp) listing its
// JSON members as req()/opt() fields, and optionally a check() for rules JSON types can't
// express. read_value/write_value then handle every struct the same way: required members,
// type and range errors with a JSON path, unknown members kept in `extra`.
#pragma once

#include <array>
#include <concepts>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "oci/spec.hpp"
#include "oci/spec_error.hpp"

namespace oci {

// ---- paths and messages ----------------------------------------------------------------

// `parent.key`, or `parent["key"]` when key is not a plain identifier.
std::string member_path(const std::string& parent, std::string_view key);
std::string index_path(const std::string& parent, size_t index);
[[noreturn]] void fail(const std::string& path, std::string reason);
// A value shortened for an error message.
std::string describe(const json& value);
// Fails unless value is one of `allowed`.
void check_one_of(const std::string& value, const std::string& path,
                  std::initializer_list<std::string_view> allowed);
void check_absolute(const std::string& value, const std::string& path);

// ---- field tables -------------------------------------------------------------------------

template <class T, class M>
struct Field {
  const char* name;
  M T::*member;
  bool required;
};
template <class T, class M>
constexpr Field<T, M> req(const char* name, M T::*member) {
  return {name, member, true};
}
template <class T, class M>
constexpr Field<T, M> opt(const char* name, M T::*member) {
  return {name, member, false};
}

template <class T>
struct Schema;  // specialised per model struct

template <class T>
concept Modelled = requires {
  Schema<T>::fields();
};

// ---- reading ------------------------------------------------------------------------------

void read_value(const json& j, const std::string& path, std::string& out);
void read_value(const json& j, const std::string& path, bool& out);
void read_value(const json& j, const std::string& path, json& out);

template <std::integral I>
requires(!std::same_as<I, bool>) void read_value(const json& j, const std::string& path, I& out) {
  using L = std::numeric_limits<I>;
  bool ok = false;
  if (j.is_number_unsigned()) {
    auto v = j.get<uint64_t>();
    ok = v <= static_cast<uint64_t>(L::max());
    if (ok) out = static_cast<I>(v);
  } else if (j.is_number_integer()) {
    auto v = j.get<int64_t>();
    ok = v >= static_cast<int64_t>(L::min()) &&
         (v < 0 || static_cast<uint64_t>(v) <= static_cast<uint64_t>(L::max()));
    if (ok) out = static_cast<I>(v);
  }
  if (!ok)
    fail(path, "must be an integer from " + std::to_string(L::min()) + " to " +
                   std::to_string(L::max()) + ", not " + describe(j));
}

// Declared before any is defined: each may call the others for its elements, and the
// standard containers' elements aren't found by argument-dependent lookup.
template <class T>
void read_value(const json& j, const std::string& path, std::optional<T>& out);
template <class T>
void read_value(const json& j, const std::string& path, std::vector<T>& out);
template <class T>
void read_value(const json& j, const std::string& path, std::map<std::string, T>& out);
template <Modelled T>
void read_value(const json& j, const std::string& path, T& out);

template <class T>
void read_value(const json& j, const std::string& path, std::optional<T>& out) {
  out.emplace();
  read_value(j, path, *out);
}

template <class T>
void read_value(const json& j, const std::string& path, std::vector<T>& out) {
  if (!j.is_array()) fail(path, "must be an array, not " + describe(j));
  out.clear();
  out.resize(j.size());
  for (size_t i = 0; i < j.size(); ++i)
    read_value(j[i], index_path(path, i), out[i]);
}

template <class T>
void read_value(const json& j, const std::string& path, std::map<std::string, T>& out) {
  if (!j.is_object()) fail(path, "must be an object, not " + describe(j));
  out.clear();
  for (const auto& [key, value] : j.items()) {
    if (key.empty()) fail(path, "keys must not be empty");
    read_value(value, member_path(path, key), out[key]);
  }
}

template <class T, class M>
void read_field(const json& obj, const std::string& path, T& out, const Field<T, M>& f) {
  auto it = obj.find(f.name);
  // null counts as absent, as in the Go runtimes.
  if (it == obj.end() || (it->is_null() && !f.required)) {
    if (f.required) fail(member_path(path, f.name), "is required");
    return;
  }
  read_value(*it, member_path(path, f.name), out.*(f.member));
}

template <class T>
bool is_known_member(std::string_view key) {
  return std::apply([&](const auto&... f) { return ((key == f.name) || ...); },
                    Schema<T>::fields());
}

template <Modelled T>
void read_value(const json& j, const std::string& path, T& out) {
  if (!j.is_object()) fail(path, "must be an object, not " + describe(j));
  out = T{};
  std::apply([&](const auto&... f) { (read_field(j, path, out, f), ...); }, Schema<T>::fields());
  for (const auto& [key, value] : j.items())
    if (!is_known_member<T>(key)) out.extra[key] = value;
  if constexpr (requires { Schema<T>::check(out, path); }) Schema<T>::check(out, path);
}

// ---- writing ------------------------------------------------------------------------------

template <class T>
requires(!Modelled<T>) json write_value(const T& v) {
  return json(v);
}
template <class T>
json write_value(const std::vector<T>& v);
template <class T>
json write_value(const std::map<std::string, T>& v);
template <Modelled T>
json write_value(const T& v);

template <class T>
json write_value(const std::vector<T>& v) {
  json out = json::array();
  for (const auto& e : v)
    out.push_back(write_value(e));
  return out;
}

template <class T>
json write_value(const std::map<std::string, T>& v) {
  json out = json::object();
  for (const auto& [key, e] : v)
    out[key] = write_value(e);
  return out;
}

template <class T, class M>
void write_field(json& obj, const T& v, const Field<T, M>& f) {
  const M& member = v.*(f.member);
  if constexpr (requires { member.has_value(); }) {
    if (member) obj[f.name] = write_value(*member);
  } else {
    obj[f.name] = write_value(member);
  }
}

template <Modelled T>
json write_value(const T& v) {
  json out = json::object();
  std::apply([&](const auto&... f) { (write_field(out, v, f), ...); }, Schema<T>::fields());
  if (v.extra.is_object())
    for (const auto& [key, value] : v.extra.items())
      out[key] = value;
  return out;
}

}  // namespace oci
