// type = "debian": a root built from a package list by mmdebstrap --mode=unshare (rootless:
// it maps the user's subordinate range itself), as a tar that boxapp-layer unpacks into the
// store like a `docker export`. The image is named by a hash of its whole recipe, so a
// second box of the same recipe starts from the store, and a changed list builds anew.
#pragma once

#include <string>

#include "image/pull.hpp"
#include "image/store.hpp"
#include "profile/profile.hpp"

namespace boxapp {

// The recipe made whole: the machine's suite and mirror where the profile gives none, main
// when it names no component, the package list sorted and without repeats. Throws when the
// machine can't say (no VERSION_CODENAME in os-release, no apt source), naming the key to set.
DebianRecipe whole_recipe(const DebianRecipe& recipe, const std::string& profile_file);

// Its canonical text (one "key: value" a line), which the record keeps.
std::string recipe_text(const DebianRecipe& whole);

// The store's name for it: "debian:SUITE:HASH".
std::string debian_image_name(const DebianRecipe& whole);

// $XDG_STATE_HOME/boxapp/builds/NAME.log: mmdebstrap's whole output for the last build of
// the image, kept (a failed build's is how to find out why).
std::string build_log_path(const std::string& image_name);

// Builds it into the store (progress on stderr unless quiet). Throws one line naming what
// failed and the log; the store is as it was.
ImageRecord build_debian(const ImageStore& store, const DebianRecipe& whole, const PullOptions& o);

}  // namespace boxapp
