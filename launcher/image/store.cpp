#include "image/store.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"
#include "util/user_dirs.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;
using nlohmann::json;

std::vector<std::string> entries_of(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') out.emplace_back(e->d_name);
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A record's file name: the image's name with anything but [A-Za-z0-9._-] as %XX, so that
// "a/b:1" and "a_b:1" stay two.
std::string file_name_of(const std::string& name) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : name) {
    if (std::isalnum(c) || c == '.' || c == '_' || c == '-') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

bool valid_digest(const std::string& d) {
  if (d.rfind("sha256:", 0) != 0 || d.size() != 7 + 64) return false;
  return std::all_of(d.begin() + 7, d.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

ImageStore::ImageStore() : ImageStore(boxrt::user_data_dir() + "/boxapp/images") {}

ImageStore::ImageStore(std::string dir) : dir_(std::move(dir)) {}

std::string ImageStore::layer_dir(const std::string& digest) const {
  // The digest becomes a path: nothing but sha256:HEX may.
  if (!valid_digest(digest)) throw Error("not a sha256 digest: " + backquoted(digest));
  return dir_ + "/layers/sha256/" + digest.substr(7);
}

bool ImageStore::has_layer(const std::string& digest) const {
  return boxrt::path_exists(layer_dir(digest));
}

std::string ImageStore::box_dir(const std::string& box_id) const {
  return dir_ + "/boxes/" + box_id;
}

std::string ImageStore::make_temp(const std::string& what) const {
  boxrt::make_dirs(dir_ + "/tmp", 0700);
  std::string templ = dir_ + "/tmp/" + what + ".XXXXXX";
  if (!::mkdtemp(templ.data())) boxrt::throw_errno("create a directory in " + dir_ + "/tmp");
  return templ;
}

std::vector<std::string> ImageStore::leftovers() const {
  std::vector<std::string> out;
  for (const auto& t : entries_of(dir_ + "/tmp"))
    out.push_back(dir_ + "/tmp/" + t);
  return out;
}

boxrt::FileLock ImageStore::lock() const {
  boxrt::make_dirs(dir_, 0700);
  return boxrt::FileLock::acquire(dir_ + "/lock");
}

std::string ImageStore::record_path(const std::string& name) const {
  return dir_ + "/records/" + file_name_of(name) + ".json";
}

std::optional<ImageRecord> ImageStore::find(const std::string& name) const {
  const std::string path = record_path(name);
  auto text = boxrt::try_read_file(path);
  if (!text) return std::nullopt;
  return parse_record(*text, path);
}

std::vector<ImageRecord> ImageStore::list() const {
  std::vector<ImageRecord> out;
  for (const auto& f : entries_of(dir_ + "/records")) {
    const std::string path = dir_ + "/records/" + f;
    if (auto text = boxrt::try_read_file(path)) out.push_back(parse_record(*text, path));
  }
  return out;
}

void ImageStore::put(const ImageRecord& r) const {
  boxrt::make_dirs(dir_ + "/records", 0700);
  boxrt::write_file_atomic(record_path(r.name), record_json(r, 2) + "\n", 0600);
}

bool ImageStore::remove(const std::string& name) const {
  const std::string path = record_path(name);
  if (::unlink(path.c_str()) == 0) return true;
  if (errno != ENOENT) boxrt::throw_errno("remove " + backquoted(path));
  return false;
}

std::vector<std::string> ImageStore::unused(const std::vector<std::string>& live_boxes) const {
  std::set<std::string> used;
  for (const auto& r : list())
    for (const auto& l : r.layers)
      used.insert(l.substr(7));
  std::vector<std::string> out;
  for (const auto& hex : entries_of(dir_ + "/layers/sha256"))
    if (!used.count(hex)) out.push_back(dir_ + "/layers/sha256/" + hex);
  for (const auto& t : leftovers())
    out.push_back(t);
  for (const auto& b : entries_of(dir_ + "/boxes"))
    if (std::find(live_boxes.begin(), live_boxes.end(), b) == live_boxes.end())
      out.push_back(dir_ + "/boxes/" + b);
  return out;
}

std::string record_json(const ImageRecord& r, int indent) {
  const ImageConfig& c = r.config;
  json j = {{"name", r.name},
            {"digest", r.digest},
            {"layers", r.layers},
            {"size", r.size},
            {"created", r.created},
            {"config",
             {{"Env", c.env},
              {"Entrypoint", c.entrypoint},
              {"Cmd", c.cmd},
              {"WorkingDir", c.working_dir},
              {"User", c.user},
              {"ExposedPorts", c.exposed_ports}}}};
  if (!r.recipe.empty()) j["recipe"] = r.recipe;
  return j.dump(indent);
}

ImageRecord parse_record(const std::string& text, const std::string& origin) {
  try {
    const json j = json::parse(text);
    ImageRecord r;
    r.name = j.at("name").get<std::string>();
    r.digest = j.at("digest").get<std::string>();
    r.layers = j.at("layers").get<std::vector<std::string>>();
    r.size = j.value("size", uint64_t{0});
    r.created = j.value("created", int64_t{0});
    r.recipe = j.value("recipe", std::string());
    const json& c = j.at("config");
    r.config.env = c.value("Env", std::vector<std::string>{});
    r.config.entrypoint = c.value("Entrypoint", std::vector<std::string>{});
    r.config.cmd = c.value("Cmd", std::vector<std::string>{});
    r.config.working_dir = c.value("WorkingDir", std::string());
    r.config.user = c.value("User", std::string());
    r.config.exposed_ports = c.value("ExposedPorts", std::vector<std::string>{});
    for (const auto& l : r.layers)
      if (!valid_digest(l)) throw Error("layers: not a sha256 digest: " + backquoted(l));
    return r;
  } catch (const json::exception& e) {
    throw Error(origin + ": not an image record (" + e.what() + ")");
  } catch (Error& e) {
    throw e.add_context(origin);
  }
}

}  // namespace boxapp
