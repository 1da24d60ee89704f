// Files and folders named in the app's arguments, shared into its box (shared_files.cpp).
#pragma once

#include <string>
#include <vector>

#include "oci/spec.hpp"

namespace boxapp {

// The host path an argument names: itself when absolute, a file:// URL's path; else empty.
std::string named_host_path(const std::string& arg);

// Whether a box with these mounts sees the host's `path` (canonical) at the same place.
bool shows_host_path(const std::vector<oci::Mount>& mounts, const std::string& path);

// An argument that names a host file or folder the box doesn't see: its index in the
// arguments, its canonical path, and whether that differs from what the argument said.
struct SharedPath {
  size_t index;
  std::string path;
  bool moved;
};
// Never the root, a folder at or above one of the box's own mounts, /proc, /sys, /dev or
// /run/user.
std::vector<SharedPath> paths_to_share(const std::vector<std::string>& args,
                                       const std::vector<oci::Mount>& mounts);
// How one is bound: read-only, at its own path.
oci::Mount shared_path_mount(const std::string& path);

// For each of process.args after the command that names an existing host file or folder the
// box doesn't see: a read-only bind of it at its own (canonical) path, the argument made that
// path. Never the root, a folder above one of the box's own mounts, /proc, /sys, /dev or
// /run/user.
void compile_shared_files(oci::Spec& spec);

}  // namespace boxapp
