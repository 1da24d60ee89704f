// Reading an OCI image layout on disk (image-spec's image-layout.md): index.json, the
// manifest a tag names (through an index of platforms to this machine's), its config and
// its layers' blobs. Pulls and docker archives become one (skopeo writes it) before the
// store takes them in.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "image/store.hpp"

namespace boxapp {

struct LayoutLayer {
  std::string digest, media_type;
  std::string diff_id;  // the config's rootfs.diff_ids entry: the tar's own digest
  uint64_t size = 0;
};

struct LayoutImage {
  std::string manifest_digest;
  std::vector<LayoutLayer> layers;  // bottom first
  ImageConfig config;
};

// The image `tag` names in the layout at `dir` (empty: the layout's only image). Throws
// naming the file and what is wrong, or the tags there are when `tag` isn't one.
LayoutImage read_layout(const std::string& dir, const std::string& tag);

// DIR/blobs/sha256/HEX.
std::string blob_path(const std::string& dir, const std::string& digest);

}  // namespace boxapp
