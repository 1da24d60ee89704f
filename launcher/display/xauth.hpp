// Xauthority files (the format of libXau): reading the user's to find the cookie of one
// display, and writing the box's own with only that cookie.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace boxapp {

struct XauthEntry {
  uint16_t family = 0;  // 256: FamilyLocal (address = host name), 65535: FamilyWild
  std::string address, number, name, data;
};

inline constexpr uint16_t kFamilyLocal = 256;
inline constexpr uint16_t kFamilyWild = 65535;

// The entry for local display `number` in an Xauthority file's bytes: the one for
// `hostname` first, then a wildcard one, then any other local one. nullopt when none.
std::optional<XauthEntry> find_display_cookie(const std::string& file, const std::string& number,
                                              const std::string& hostname);

// One entry in the file format. A box's entry has FamilyWild and no address, so it matches
// whatever host name the box has.
std::string encode_xauth(const XauthEntry& e);

// A file of that one entry (0600), replaced atomically.
void write_xauthority(const std::string& path, const XauthEntry& e);

}  // namespace boxapp
