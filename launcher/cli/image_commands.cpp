// boxapp image pull|build|ls|inspect|rm|prune: argument parsing and output only; the work is in
// image/ of libboxapp.
#include <stdlib.h>
#include <time.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cli/boxapp_commands.hpp"
#include "host/host_facts.hpp"
#include "image/box_image.hpp"
#include "image/import_inspect.hpp"
#include "image/pull.hpp"
#include "image/store.hpp"
#include "profile/profile.hpp"
#include "run/box_runtime.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace boxapp_cli {
namespace {

using nlohmann::json;

std::string store_name(const std::string& text) {
  return boxapp::parse_image_name(text).name;
}

int image_pull(const Args& a) {
  const boxapp::ImageStore store;
  boxapp::HostFacts h = boxapp::gather_host_facts();
  boxapp::with_id_layouts(h);
  for (const auto& n : a.names) {
    const auto rec = boxapp::pull_image(store, boxapp::parse_image_name(n),
                                        {a.quiet, h.uid_layout, h.gid_layout});
    std::printf("%s %s\n", rec.name.c_str(), rec.digest.c_str());
  }
  return 0;
}

// The image each profile names, brought in: a Debian recipe built (anew with --rebuild),
// any other pulled when the store lacks it.
int image_build(const Args& a) {
  const boxapp::ImageStore store;
  boxapp::HostFacts h = boxapp::gather_host_facts();
  boxapp::with_id_layouts(h);
  const boxapp::PullOptions o{a.quiet, h.uid_layout, h.gid_layout};
  for (const auto& app : a.names) {
    const boxapp::Profile p = boxapp::load_profile(boxapp::find_profile(app));
    if (p.image == "host" || p.image == "dir")
      throw boxrt::Error(p.file + ": [image] type = \"" + p.image +
                         "\": nothing to build (it runs the files as they are)");
    std::optional<boxapp::ImageRecord> rec;
    if (p.image == "debian") {
      rec = boxapp::built_image(store, p, o, a.force);
    } else {
      const auto source = boxapp::image_source(p);
      rec = a.force ? std::nullopt : store.find(source.name);
      if (!rec) rec = boxapp::pull_image(store, source, o);
    }
    std::printf("%s %s\n", rec->name.c_str(), rec->digest.c_str());
  }
  return 0;
}

std::string age(int64_t created) {
  const int64_t s = static_cast<int64_t>(::time(nullptr)) - created;
  char text[32];
  if (s < 120)
    std::snprintf(text, sizeof text, "%llds ago", static_cast<long long>(s));
  else if (s < 7200)
    std::snprintf(text, sizeof text, "%lldm ago", static_cast<long long>(s / 60));
  else if (s < 172800)
    std::snprintf(text, sizeof text, "%lldh ago", static_cast<long long>(s / 3600));
  else
    std::snprintf(text, sizeof text, "%lldd ago", static_cast<long long>(s / 86400));
  return text;
}

int image_ls(bool as_json) {
  const auto images = boxapp::ImageStore().list();
  if (as_json) {
    json out = json::array();
    for (const auto& r : images)
      out.push_back(json::parse(boxapp::record_json(r)));
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("%-48s %-19s %6s %10s  %s\n", "NAME", "DIGEST", "LAYERS", "SIZE", "PULLED");
  for (const auto& r : images)
    std::printf("%-48s %-19s %6zu %8.1fMB  %s\n", r.name.c_str(), r.digest.substr(0, 19).c_str(),
                r.layers.size(), static_cast<double>(r.size) / 1e6, age(r.created).c_str());
  return 0;
}

int image_inspect(const Args& a) {
  const boxapp::ImageStore store;
  json out = json::array();
  for (const auto& n : a.names) {
    const auto rec = store.find(store_name(n));
    if (!rec)
      throw boxrt::Error("image " + boxrt::backquoted(n) +
                         ": not in the store (boxapp image ls lists it)");
    out.push_back(json::parse(boxapp::record_json(*rec)));
  }
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

int image_rm(const Args& a) {
  const boxapp::ImageStore store;
  auto lock = store.lock();
  for (const auto& n : a.names) {
    if (!store.remove(store_name(n)))
      throw boxrt::Error("image " + boxrt::backquoted(n) +
                         ": not in the store (boxapp image ls lists it)");
    std::printf("%s\n", store_name(n).c_str());
  }
  return 0;
}

// Layers no image names, and what pulls and boxes that are gone left behind.
int image_prune() {
  const boxapp::ImageStore store;
  auto lock = store.lock();
  std::vector<std::string> live;
  for (const auto& c : boxapp::box_runtime().list())
    live.push_back(c.state.id);
  const auto paths = store.unused(live);
  boxapp::remove_store_paths(paths);
  std::printf("removed %zu\n", paths.size());
  return 0;
}

}  // namespace

void define_image_commands(CLI::App& app, Args& a, Commands& c) {
  c.image = app.add_subcommand("image", "the images boxes run: pull, build, list, inspect, remove");
  c.image->require_subcommand(1);
  c.image_pull = c.image->add_subcommand("pull",
                                         "bring images into the store (HOST/REPO[:TAG], "
                                         "oci:DIR[:TAG], docker-archive:FILE, tar:FILE)");
  c.image_pull->add_option("names", a.names, "the images")->required()->type_name("IMAGE");
  c.image_pull->add_flag("-q,--quiet", a.quiet, "say nothing but errors");
  c.image_build = c.image->add_subcommand(
      "build", "bring in the images of profiles: a Debian recipe built, any other pulled");
  c.image_build->add_option("apps", a.names, "the profiles")->required()->type_name("APP");
  c.image_build->add_flag("--rebuild", a.force, "build (or pull) again, even when in the store");
  c.image_build->add_flag("-q,--quiet", a.quiet, "say nothing but errors");
  c.image_ls = c.image->add_subcommand("ls", "the images in the store");
  c.image_ls->add_flag("--json", a.as_json);
  c.image_inspect = c.image->add_subcommand("inspect", "an image's record, as JSON");
  c.image_inspect->add_option("names", a.names, "the images")->required()->type_name("IMAGE");
  c.image_rm = c.image->add_subcommand("rm", "forget images (prune then frees their layers)");
  c.image_rm->add_option("names", a.names, "the images")->required()->type_name("IMAGE");
  c.image_prune = c.image->add_subcommand("prune", "remove layers no image uses");
  c.import = app.add_subcommand("import", "make a profile of another tool's container");
  c.import->require_subcommand(1);
  c.import_inspect = c.import->add_subcommand(
      "docker-inspect", "from `docker inspect` or `podman inspect` output (FILE, or - for stdin)");
  c.import_inspect->add_option("file", a.target, "the inspect output")
      ->required()
      ->type_name("FILE");
  c.import_inspect->add_option("--name", a.name, "the profile's name (default: the container's)");
  c.import_inspect->add_option("-o,--output", a.output,
                               "where to write it (default: your profiles folder; - for stdout)");
  c.import_inspect->add_flag("-f,--force", a.force, "over a profile of that name");
}

namespace {

// A directory of our own under /tmp for the length of a scope.
struct ScratchDir {
  std::string path;
  ScratchDir() {
    char templ[] = "/tmp/boxapp-import.XXXXXX";
    if (!::mkdtemp(templ)) boxrt::throw_errno("create a directory in /tmp");
    path = templ;
  }
  ~ScratchDir() { boxrt::run_program({"rm", "-rf", path}, true); }
};

// The profile written where boxapp finds it (or to stdout), after parsing it back: what we
// wrote must be a profile.
int import_inspect(const Args& a) {
  const std::string origin = a.target == "-" ? "stdin" : a.target;
  std::string text;
  if (a.target == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    auto t = boxrt::try_read_file(a.target);
    if (!t) boxrt::throw_errno("read " + boxrt::backquoted(a.target));
    text = *t;
  }
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    throw boxrt::Error(origin + ": not JSON (" + e.what() + ")");
  }
  const auto imported = boxapp::import_docker_inspect(doc, origin, a.name);
  // Loaded back as boxapp will load it, its fragments merged in: what we write is a profile.
  {
    ScratchDir tmp;
    const std::string check = tmp.path + "/" + imported.name + ".toml";
    boxrt::write_file_atomic(check, imported.toml, 0644);
    boxapp::load_profile(check);
  }
  if (a.output == "-") return std::fputs(imported.toml.c_str(), stdout), 0;
  const std::string file =
      a.output.empty() ? boxapp::user_profiles_dir() + "/" + imported.name + ".toml" : a.output;
  if (!a.force && boxrt::path_exists(file))
    throw boxrt::Error(file + ": there already (--force writes over it, -o elsewhere)");
  boxrt::make_dirs(boxrt::dir_name(file), 0755);
  boxrt::write_file_atomic(file, imported.toml, 0644);
  std::printf("%s\n", file.c_str());
  return 0;
}

}  // namespace

int run_image_command(const Commands& c, const Args& a) {
  if (*c.import_inspect) return import_inspect(a);
  if (*c.image_pull) return image_pull(a);
  if (*c.image_build) return image_build(a);
  if (*c.image_ls) return image_ls(a.as_json);
  if (*c.image_inspect) return image_inspect(a);
  if (*c.image_rm) return image_rm(a);
  if (*c.image_prune) return image_prune();
  return -1;
}

}  // namespace boxapp_cli
