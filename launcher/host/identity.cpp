#include "host/identity.hpp"

#include <unistd.h>

#include <algorithm>

#include "ns/idmap.hpp"

namespace boxapp {
std::pair<IdLayout, IdLayout> id_layouts(uint32_t uid, uint32_t gid, const std::string& user) {
  std::pair<IdLayout, IdLayout> l{{uid, 0, 0}, {gid, 0, 0}};
  auto subuid = boxrt::subordinate_range("/etc/subuid", user, uid);
  auto subgid = boxrt::subordinate_range("/etc/subgid", user, uid);
  if (!subuid || !subgid || ::access("/usr/bin/newuidmap", X_OK) != 0 ||
      ::access("/usr/bin/newgidmap", X_OK) != 0)
    return l;
  l.first = {uid, subuid->outside, subuid->count};
  l.second = {gid, subgid->outside, subgid->count};
  return l;
}

std::vector<oci::IdMapping> keep_id_mappings(const IdLayout& l) {
  std::vector<oci::IdMapping> m;
  const uint32_t below = std::min(l.own, l.sub_count);
  if (below > 0) m.push_back({0, l.sub_start, below, {}});
  m.push_back({l.own, l.own, 1, {}});
  if (l.sub_count > l.own) m.push_back({l.own + 1, l.sub_start + l.own, l.sub_count - l.own, {}});
  return m;
}

std::optional<uint32_t> session_id_of(const IdLayout& l, uint32_t id) {
  if (id == l.own) return 0;
  // Session id 1 + k is the range's k-th host id.
  if (id < l.own) return id < l.sub_count ? std::optional<uint32_t>(1 + id) : std::nullopt;
  return id - 1 < l.sub_count ? std::optional<uint32_t>(id) : std::nullopt;
}

uint32_t highest_box_id(const IdLayout& l) {
  return l.sub_count > l.own ? l.sub_count : l.own;
}

}  // namespace boxapp
