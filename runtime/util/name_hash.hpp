// A short name for a long key: FNV-1a, 64 bits, as 16 hex digits. For file and record names
// whose owner keeps the whole key beside them (a cached seccomp filter, a Debian image's
// recipe), so that a collision is caught there, never trusted: not a digest of anything.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace boxrt {

inline std::string name_hash(std::string_view key) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : key)
    h = (h ^ c) * 1099511628211ULL;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

}  // namespace boxrt
