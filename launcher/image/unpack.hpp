// Unpacking one image layer (a tar, compressed or not) into a directory of the image store,
// as root in the session's user namespace: owners shifted into the box's id layout
// (host/identity.hpp), whiteouts made overlayfs's own, nothing written outside the target.
// Only boxapp-layer links this (libarchive and nettle stay out of every boxapp start).
#pragma once

#include <string>

#include "host/identity.hpp"

namespace boxapp {

struct UnpackRequest {
  std::string blob;    // the layer's file
  std::string target;  // a directory that must not exist yet; made here
  // "sha256:HEX" the blob must have; empty: computed only, for the caller to name the layer.
  std::string digest;
  std::string diff_id;  // "sha256:HEX" of the tar inside: what the image's config says
  IdLayout uids, gids;  // sub_start is not used: ids are the session's
};

struct UnpackResult {
  std::string digest;   // "sha256:HEX" of the blob as read
  std::string diff_id;  // and of the tar in it: the layer's name in the store
  uint64_t bytes = 0;   // of files written
  uint64_t entries = 0;
};

// Throws boxrt::Error naming the layer and the entry on a refused entry (an absolute name,
// `..`, a way out through a symlink, an owner beyond the layout), a damaged archive, a
// digest that doesn't match, or a write that failed (a full disk). What was made of
// `target` is left for the caller to remove.
UnpackResult unpack_layer(const UnpackRequest& request);

// Removes a tree whose files belong to ids of the session (a layer, a box's upper layer).
void remove_tree(const std::string& path);

}  // namespace boxapp
