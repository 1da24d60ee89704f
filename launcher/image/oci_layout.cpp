#include "image/oci_layout.hpp"

#include <sys/utsname.h>

#include <nlohmann/json.hpp>

#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;
using nlohmann::json;

constexpr const char* kRefName = "org.opencontainers.image.ref.name";

bool is_index(const std::string& media_type) {
  return media_type == "application/vnd.oci.image.index.v1+json" ||
         media_type == "application/vnd.docker.distribution.manifest.list.v2+json";
}

// Layers libarchive reads (compressed or not); not encrypted or foreign ones.
bool is_tar_layer(const std::string& t) {
  for (const char* ok :
       {"application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.oci.image.layer.v1.tar+zstd",
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"})
    if (t == ok) return true;
  return false;
}

// This machine's architecture as image-spec names it.
std::string own_architecture() {
  struct utsname u;
  ::uname(&u);
  const std::string m = u.machine;
  if (m == "x86_64") return "amd64";
  if (m == "aarch64") return "arm64";
  if (m.rfind("arm", 0) == 0) return "arm";
  if (m == "i686" || m == "i386") return "386";
  return m;
}

json read_json(const std::string& path) {
  auto text = boxrt::try_read_file(path);
  if (!text) boxrt::throw_errno("read " + backquoted(path));
  try {
    return json::parse(*text);
  } catch (const json::exception& e) {
    throw Error(path + ": not JSON (" + e.what() + ")");
  }
}

// The descriptor in `index` for `tag`, or its only one.
json pick_by_tag(const json& index, const std::string& tag, const std::string& origin) {
  const json& ms = index.at("manifests");
  std::string tags;
  for (const auto& m : ms) {
    const std::string name = m.value("annotations", json::object()).value(kRefName, "");
    if (!tag.empty() && name == tag) return m;
    if (!name.empty()) tags += (tags.empty() ? "" : ", ") + name;
  }
  if (tag.empty() && ms.size() == 1) return ms[0];
  if (tag.empty())
    throw Error(origin + ": holds " + std::to_string(ms.size()) + " images; name one by its tag (" +
                tags + ")");
  throw Error(origin + ": no image tagged " + backquoted(tag) +
              (tags.empty() ? std::string(" (it has no tags)") : " (its tags: " + tags + ")"));
}

// The manifest in a platform index for this machine (linux, our architecture).
json pick_platform(const json& index, const std::string& origin) {
  const std::string arch = own_architecture();
  for (const auto& m : index.at("manifests")) {
    const json p = m.value("platform", json::object());
    if (p.value("os", "") == "linux" && p.value("architecture", "") == arch) return m;
  }
  throw Error(origin + ": has no image for linux/" + arch);
}

ImageConfig config_of(const json& c) {
  ImageConfig out;
  const json cfg = c.value("config", json::object());
  auto strings = [&](const char* key) {
    std::vector<std::string> v;
    if (cfg.contains(key) && cfg[key].is_array())
      for (const auto& s : cfg[key])
        v.push_back(s.get<std::string>());
    return v;
  };
  out.env = strings("Env");
  out.entrypoint = strings("Entrypoint");
  out.cmd = strings("Cmd");
  out.working_dir = cfg.value("WorkingDir", "");
  out.user = cfg.value("User", "");
  if (cfg.contains("ExposedPorts") && cfg["ExposedPorts"].is_object())
    for (const auto& [port, _] : cfg["ExposedPorts"].items())
      out.exposed_ports.push_back(port);
  return out;
}

}  // namespace

std::string blob_path(const std::string& dir, const std::string& digest) {
  if (digest.rfind("sha256:", 0) != 0 || digest.find('/') != std::string::npos)
    throw Error(dir + ": a blob digest that isn't sha256:HEX: " + backquoted(digest));
  return dir + "/blobs/sha256/" + digest.substr(7);
}

LayoutImage read_layout(const std::string& dir, const std::string& tag) {
  const std::string index_path = dir + "/index.json";
  if (!boxrt::path_exists(dir + "/oci-layout"))
    throw Error(backquoted(dir) + " is not an OCI image layout (it has no oci-layout file)");
  try {
    json desc = pick_by_tag(read_json(index_path), tag, index_path);
    // An index of platforms (a multi-arch image): this machine's manifest in it.
    for (int depth = 0; is_index(desc.value("mediaType", "")); ++depth) {
      if (depth > 4) throw Error(index_path + ": indexes nested too deep");
      const std::string path = blob_path(dir, desc.at("digest"));
      desc = pick_platform(read_json(path), path);
    }
    LayoutImage img;
    img.manifest_digest = desc.at("digest");
    const std::string mpath = blob_path(dir, img.manifest_digest);
    const json manifest = read_json(mpath);
    const std::string cpath = blob_path(dir, manifest.at("config").at("digest"));
    const json config = read_json(cpath);
    img.config = config_of(config);
    const json& diffs = config.at("rootfs").at("diff_ids");
    if (diffs.size() != manifest.at("layers").size())
      throw Error(cpath + ": names " + std::to_string(diffs.size()) + " layers, its manifest " +
                  std::to_string(manifest.at("layers").size()));
    size_t i = 0;
    for (const auto& l : manifest.at("layers")) {
      LayoutLayer layer{l.at("digest"), l.value("mediaType", ""), diffs.at(i++),
                        l.value("size", uint64_t{0})};
      if (!is_tar_layer(layer.media_type))
        throw Error(mpath + ": layer " + layer.digest + " is " + backquoted(layer.media_type) +
                    ", not a tar layer boxapp can unpack");
      img.layers.push_back(layer);
    }
    return img;
  } catch (const json::exception& e) {
    throw Error(dir + ": not a valid image (" + e.what() + ")");
  }
}

}  // namespace boxapp
