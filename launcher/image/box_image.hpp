// A box's image: brought into the store the first time a box needs it, its config applied
// to the profile, and the box's writable layer over it (thrown away with the box, or kept
// with the app's data for `persist = true`).
#pragma once

#include <optional>
#include <string>

#include "compile/compile.hpp"
#include "host/host_facts.hpp"
#include "image/pull.hpp"
#include "profile/profile.hpp"

namespace boxapp {

// nullopt for the host image. Pulls what isn't in the store (progress on stderr unless
// `quiet`), then sets the profile's defaults from the image's config; `host` gets the id
// layouts the box maps.
std::optional<ImageRoot> image_for(Profile& profile, HostFacts& host, const std::string& box_name,
                                   bool quiet = false);

// The image a profile of type = "debian" builds: from the store when it holds that recipe
// (unless `rebuild`), else built now.
ImageRecord built_image(const ImageStore& store, const Profile& profile, const PullOptions& o,
                        bool rebuild);

// What a profile of an image other than the host's, a directory's or Debian's pulls.
ImageSource image_source(const Profile& profile);

// Makes the writable layer's upper/ and work/ (for an image box about to start).
void make_writable_layer(const ImageRoot& root);

// The writable layer a box that is gone leaves in the store (not a persistent one).
void discard_box_layer(const std::string& box_name);

}  // namespace boxapp
