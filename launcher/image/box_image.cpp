#include "image/box_image.hpp"

#include <cstdio>

#include "compile/spec_parts.hpp"
#include "image/debian_build.hpp"
#include "image/image_config.hpp"
#include "image/pull.hpp"
#include "image/store.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxapp {

ImageSource image_source(const Profile& p) {
  return parse_image_name(p.image_name);
}

ImageRecord built_image(const ImageStore& store, const Profile& p, const PullOptions& o,
                        bool rebuild) {
  const DebianRecipe whole = whole_recipe(p.debian, p.file);
  const std::optional<ImageRecord> rec = store.find(debian_image_name(whole));
  // The name is a hash of the recipe; the record's own text settles it.
  if (rec && rec->recipe == recipe_text(whole) && !rebuild) return *rec;
  return build_debian(store, whole, o);
}

std::optional<ImageRoot> image_for(Profile& p, HostFacts& h, const std::string& box_name,
                                   bool quiet) {
  if (p.image == "host") return std::nullopt;
  with_id_layouts(h);
  ImageRoot root;
  if (p.image == "dir") {
    // A root file system as it is: files owned by the user are the user's in the box.
    if (!boxrt::path_exists(p.image_name + "/."))
      throw boxrt::Error(p.file + ": image.path: " + boxrt::backquoted(p.image_name) +
                         " is not a directory");
    root.layers = {p.image_name};
  } else {
    const ImageStore store;
    const PullOptions o{quiet, h.uid_layout, h.gid_layout};
    std::optional<ImageRecord> rec =
        p.image == "debian" ? built_image(store, p, o, false) : store.find(image_source(p).name);
    if (!rec) rec = pull_image(store, image_source(p), o);
    for (const auto& l : rec->layers)
      root.layers.push_back(store.layer_dir(l));
    apply_image_config(p, *rec, store);
  }
  root.writable =
      p.image_persist ? app_data_dir(p, h) + "/root" : ImageStore().box_dir(box_id(box_name));
  // What a box of this name that is gone left behind is not this one's to see.
  if (!p.image_persist) discard_box_layer(box_name);
  return root;
}

void make_writable_layer(const ImageRoot& root) {
  boxrt::make_dirs(root.writable + "/upper", 0755);
  boxrt::make_dirs(root.writable + "/work", 0700);
}

void discard_box_layer(const std::string& box_name) {
  const ImageStore store;
  const std::string dir = store.box_dir(box_id(box_name));
  if (!boxrt::path_exists(dir)) return;
  // Out of the box's name at once, by a rename; its files (some the box's ids own, which
  // only boxapp-layer may remove) go in the background, not on the start's or the end's
  // time. What a remover killed meanwhile leaves in tmp/ the next pull or prune takes.
  const std::string gone = store.make_temp("gone") + "/layer";
  if (::rename(dir.c_str(), gone.c_str()) != 0)
    boxrt::throw_errno("move " + boxrt::backquoted(dir) + " aside");
  remove_store_paths_later({boxrt::dir_name(gone)});
}

}  // namespace boxapp
