// User-namespace id maps: reading /etc/subuid, translating ranges between namespaces, and
// writing /proc/PID/{uid,gid}_map.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "oci/spec.hpp"

namespace boxrt {

// One line of a uid_map: ids [inside, inside+count) map to [outside, outside+count).
struct IdRange {
  uint32_t inside = 0;
  uint32_t outside = 0;
  uint32_t count = 0;
  bool operator==(const IdRange&) const = default;
};

// The subordinate range /etc/subuid (or /etc/subgid) grants `user` (name or numeric id);
// the first one when there are several.
std::optional<IdRange> subordinate_range(const std::string& file, const std::string& user,
                                         uint32_t id);
// All of them, in file order (`inside` unset).
std::vector<IdRange> subordinate_ranges(const std::string& file, const std::string& user,
                                        uint32_t id);

// Parses the text of a /proc/PID/uid_map.
std::vector<IdRange> parse_id_map(const std::string& text);

// Rewrites `mappings`, whose host ids are in terms of the outside of `ns` (e.g. the host),
// into ids of `ns` itself. Fails naming the spec member when a host id isn't mapped in ns.
std::vector<IdRange> translate_to_namespace(const std::vector<oci::IdMapping>& mappings,
                                            const std::vector<IdRange>& ns,
                                            const std::string& member, const char* kind);

std::vector<IdRange> as_ranges(const std::vector<oci::IdMapping>& mappings);

// The text written to a uid_map/gid_map file ("inside outside count\n" lines).
std::string format_id_map(const std::vector<IdRange>& ranges);
// The same on one line, for messages: "0 1000 1, 1 100000 65536".
std::string describe_id_map(const std::vector<IdRange>& ranges);

// Writes /proc/PID/uid_map and gid_map. With deny_setgroups, writes "deny" to
// /proc/PID/setgroups first (required for an unprivileged gid map of one's own gid).
void write_id_maps(pid_t pid, const std::vector<IdRange>& uids, const std::vector<IdRange>& gids,
                   bool deny_setgroups);

}  // namespace boxrt
