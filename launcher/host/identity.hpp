// The ids an image box maps (docs/design.md, "Identity, groups and devices"): container root
// and the other ids from the user's subordinate range, and the user as themselves (keep-id),
// so that an image's files keep their owners and files in shared folders stay the user's.
// The layer unpacker shifts owners with the same layout, so both are defined here only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "oci/spec.hpp"

namespace boxapp {

// One kind of id (uids or gids): the user's own, and how many subordinate ids the session
// maps after it (0: none, a single mapping). The session maps the user as its id 0 and the
// range as 1..count (ns/session.cpp).
struct IdLayout {
  uint32_t own = 0;
  uint32_t sub_start = 0;  // the range's first host id
  uint32_t sub_count = 0;
};

// The user's layouts (uids, gids) from their first ranges in /etc/subuid and /etc/subgid,
// when the session maps them as ns/session.cpp does: both ranges there, and newuidmap and
// newgidmap to map them; else the user's own ids only.
std::pair<IdLayout, IdLayout> id_layouts(uint32_t uid, uint32_t gid, const std::string& user);

// The box's map in host ids: [0, own) from the range, own as itself, the rest of the range
// after it.
std::vector<oci::IdMapping> keep_id_mappings(const IdLayout& l);

// The session's id for the box's id `id` (what the unpacker chowns to, being root in the
// session), or nullopt when the box can't map it.
std::optional<uint32_t> session_id_of(const IdLayout& l, uint32_t id);

// The highest id a box can map: an image file owned by more needs a bigger range.
uint32_t highest_box_id(const IdLayout& l);

}  // namespace boxapp
