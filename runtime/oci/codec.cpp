#include "oci/codec.hpp"

#include <cctype>

namespace oci {
namespace {

bool is_identifier(std::string_view key) {
  if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0]))) return false;
  for (char c : key)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

}  // namespace

std::string member_path(const std::string& parent, std::string_view key) {
  if (is_identifier(key))
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
  return parent + "[" + json(std::string(key)).dump() + "]";
}

std::string index_path(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

void fail(const std::string& path, std::string reason) {
  throw SpecError(path, std::move(reason));
}

std::string describe(const json& value) {
  std::string text = value.dump();
  constexpr size_t kMax = 40;
  if (text.size() > kMax) text = text.substr(0, kMax) + "...";
  return text;
}

void check_one_of(const std::string& value, const std::string& path,
                  std::initializer_list<std::string_view> allowed) {
  for (auto a : allowed)
    if (value == a) return;
  std::string list;
  for (auto a : allowed) {
    if (!list.empty()) list += ", ";
    list += a;
  }
  fail(path, "must be one of " + list + ", not " + describe(value));
}

void check_absolute(const std::string& value, const std::string& path) {
  if (value.empty() || value[0] != '/')
    fail(path, "must be an absolute path, not " + describe(value));
}

void read_value(const json& j, const std::string& path, std::string& out) {
  if (!j.is_string()) fail(path, "must be a string, not " + describe(j));
  out = j.get<std::string>();
}

void read_value(const json& j, const std::string& path, bool& out) {
  if (!j.is_boolean()) fail(path, "must be true or false, not " + describe(j));
  out = j.get<bool>();
}

void read_value(const json& j, const std::string& /*path*/, json& out) {
  out = j;
}

}  // namespace oci
