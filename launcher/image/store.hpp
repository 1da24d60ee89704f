// The image store, $XDG_DATA_HOME/boxapp/images: layers unpacked once each, named by the
// digest of their tar so that images sharing a layer share its directory, and one record per image
// naming its layers and carrying its config. Everything lands by rename from the store's
// tmp/, under the store's lock, so a killed pull or build leaves nothing half-made.
//
//   layers/sha256/HEX/    a layer's files, owned by the box's ids (host/identity.hpp), named
//                         by its diff id (the tar's digest, however the blob was compressed)
//   records/NAME.json     an image: its layers, bottom first, and config
//   boxes/BOX/            a running box's writable layer (upper/, work/), thrown away after
//   tmp/                  pulls, builds and unpacks under way
//   lock                  flock(2): one writer at a time
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/lock_file.hpp"

namespace boxapp {

// What an image's config (the OCI image config's `config`) gives a box as defaults.
struct ImageConfig {
  std::vector<std::string> env, entrypoint, cmd, exposed_ports;
  std::string working_dir, user;
};

struct ImageRecord {
  std::string name;    // as the user names it: "localhost:5000/app:1", "oci:DIR:TAG", ...
  std::string digest;  // the manifest's (or the tar's) digest
  std::vector<std::string> layers;  // diff ids, "sha256:HEX", bottom first
  ImageConfig config;
  uint64_t size = 0;    // bytes of the layers' blobs, as pulled
  int64_t created = 0;  // when it came into the store (seconds since the epoch)
  // A built image's recipe as text (image/debian_build.hpp): a build whose recipe differs
  // isn't this one, whatever the name's hash says.
  std::string recipe;
};

class ImageStore {
 public:
  // The user's store ($XDG_DATA_HOME/boxapp/images), or one at `dir`.
  ImageStore();
  explicit ImageStore(std::string dir);

  const std::string& dir() const { return dir_; }
  std::string layer_dir(const std::string& digest) const;  // "sha256:HEX" → layers/sha256/HEX
  bool has_layer(const std::string& digest) const;
  std::string box_dir(const std::string& box_id) const;
  // A new private directory under tmp/, for one pull.
  std::string make_temp(const std::string& what) const;
  // What tmp/ holds: with the lock held, pulls that were killed.
  std::vector<std::string> leftovers() const;

  // The store's lock, held by whoever adds or removes (blocks until it is free).
  boxrt::FileLock lock() const;

  std::optional<ImageRecord> find(const std::string& name) const;
  std::vector<ImageRecord> list() const;
  void put(const ImageRecord& record) const;
  // Removes the record (its layers stay until prune). False when there was none.
  bool remove(const std::string& name) const;
  // Layers no record names, and leftovers in tmp/ and boxes/ of boxes that are gone
  // (`live_boxes` are kept): the paths to remove.
  std::vector<std::string> unused(const std::vector<std::string>& live_boxes) const;

 private:
  std::string record_path(const std::string& name) const;
  std::string dir_;
};

// The record as JSON (image inspect) and back.
std::string record_json(const ImageRecord& record, int indent = -1);
ImageRecord parse_record(const std::string& text, const std::string& origin);

}  // namespace boxapp
