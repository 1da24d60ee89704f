// Bringing an image into the store: from a registry (skopeo copies it to an OCI layout
// first, reaching whatever registry the user's machine reaches), a layout on disk, a
// `docker save` archive, or a `docker export` tar. The layers the store lacks are
// unpacked by boxapp-layer in the session's user namespace; the record is written last.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "host/identity.hpp"
#include "image/oci_layout.hpp"
#include "image/store.hpp"

namespace boxapp {

enum class SourceKind { registry, layout, docker_archive, tar };

// An image as the user names it, skopeo's way: "docker://HOST/REPO:TAG" or just
// "HOST/REPO[:TAG]", "oci:DIR[:TAG]", "docker-archive:FILE", "tar:FILE".
struct ImageSource {
  SourceKind kind = SourceKind::registry;
  std::string name;      // the store's name for it: the text made whole (":latest", DIR absolute)
  std::string location;  // REF without docker://, DIR, or FILE
  std::string tag;       // a layout's tag
};

// Throws on a name that is none of these.
ImageSource parse_image_name(const std::string& text);

struct PullOptions {
  bool quiet = false;  // no progress, only errors
  IdLayout uids, gids;
};

// Pulls (again, when it is there already) and records the image; returns its record.
// Throws one line naming the image and what went wrong; the store is as it was.
ImageRecord pull_image(const ImageStore& store, const ImageSource& source, const PullOptions& o);

// Under the store's lock, with a temporary directory of its own under tmp/ that goes
// afterwards (and what killed pulls and builds left there gone first): `make` brings the
// image's layers in and returns its record, which is written last.
ImageRecord add_to_store(const ImageStore& store, const std::string& what,
                         const std::function<ImageRecord(const std::string& tmp)>& make);

// Unpacks one blob (checked against `expect`'s digests where it has them) into `staging`, a
// path under a pull's temporary directory, with boxapp-layer, and moves it into the store
// unless the store has it meanwhile. Returns its diff id and the bytes of its files.
std::pair<std::string, uint64_t> unpack_into_store(const ImageStore& store, const std::string& blob,
                                                   const LayoutLayer& expect,
                                                   const std::string& staging,
                                                   const PullOptions& o);

// Removes trees of the store whose files the box's ids own (through boxapp-layer).
void remove_store_paths(const std::vector<std::string>& paths);
// The same in a process of its own that nobody waits for.
void remove_store_paths_later(const std::vector<std::string>& paths);

// boxapp-layer: beside boxapp (the build tree, an install), else on PATH.
std::string layer_tool();

}  // namespace boxapp
