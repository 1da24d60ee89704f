// An image's config as the profile's defaults (the profile wins where it says otherwise):
// Entrypoint and Cmd for app.command and app.args, Env, WorkingDir, and User.
#pragma once

#include "image/store.hpp"
#include "profile/profile.hpp"

namespace boxapp {

// `store` is where the image's /etc/passwd and /etc/group are read when User is a name.
void apply_image_config(Profile& profile, const ImageRecord& image, const ImageStore& store);

}  // namespace boxapp
