// Where boxapp keeps a user's boxes, under their runtime directory (util/user_dirs.hpp):
// RUNTIME/boxapp, which is the session's directory too (ns/session.hpp).
#pragma once

#include <string>

namespace boxapp {

std::string boxes_dir(const std::string& runtime_dir);
// A box's bundle: its config.json, Xauthority, sound socket directory.
std::string bundle_dir(const std::string& runtime_dir, const std::string& name);
// Removes a box's bundle once the box is gone (or never came to be); quiet if it isn't there.
void remove_bundle_dir(const std::string& runtime_dir, const std::string& name);
// The runtime's --root for boxes: their state.
std::string containers_dir(const std::string& runtime_dir);
// The host image's root directory, shared by every box that runs the host's /usr.
std::string host_root_dir(const std::string& runtime_dir);

}  // namespace boxapp
