#include "image/pull.hpp"

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "image/progress.hpp"
#include "util/error.hpp"
#include "util/proc.hpp"
#include "util/scope_exit.hpp"
#include "util/sys.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;

// The registry part of a reference: before the first `/`, when it looks like a host.
std::string registry_host(const std::string& ref) {
  const size_t slash = ref.find('/');
  if (slash == std::string::npos) return "";
  const std::string first = ref.substr(0, slash);
  const bool host = first.find('.') != std::string::npos || first.find(':') != std::string::npos ||
                    first == "localhost";
  return host ? first : "";
}

// A registry on this machine's loopback is spoken to over plain HTTP, as docker does;
// any other goes through the user's registries.conf and policy, as skopeo would.
bool is_loopback_registry(const std::string& ref) {
  std::string host = registry_host(ref);
  if (host.empty()) return false;
  if (host[0] == '[') return host.rfind("[::1]", 0) == 0;
  host = host.substr(0, host.find(':'));
  return host == "localhost" || host.rfind("127.", 0) == 0;
}

// skopeo's last complaint, without its log decoration: `time=... level=fatal msg="X"`.
std::string tool_complaint(const std::string& err) {
  std::string line;
  size_t end = err.find_last_not_of("\n ");
  if (end == std::string::npos) return "(it said nothing)";
  size_t start = err.rfind('\n', end);
  line = err.substr(start == std::string::npos ? 0 : start + 1,
                    end - (start == std::string::npos ? 0 : start + 1) + 1);
  const size_t msg = line.find("msg=\"");
  if (msg != std::string::npos) {
    line = line.substr(msg + 5);
    if (!line.empty() && line.back() == '"') line.pop_back();
  }
  return line;
}

std::string layout_of(const std::string& text) {
  return text.substr(0, text.find_last_not_of('/') + 1);
}

std::string short_digest(const std::string& d) {
  return d.substr(0, 7 + 12);
}

ImageRecord import_layout(const ImageStore& store, const std::string& dir, const std::string& tag,
                          const std::string& tmp, const std::string& name, const PullOptions& o,
                          Progress& progress) {
  const LayoutImage img = read_layout(dir, tag);
  ImageRecord rec;
  rec.name = name;
  rec.digest = img.manifest_digest;
  rec.config = img.config;
  uint64_t total = 0;
  for (const auto& l : img.layers)
    total += l.size;
  size_t n = 0;
  for (const auto& l : img.layers) {
    const std::string counter = std::to_string(n + 1) + "/" + std::to_string(img.layers.size());
    progress.layers(n, img.layers.size(), rec.size, total, "unpacking " + short_digest(l.digest));
    ++n;
    rec.layers.push_back(l.diff_id);
    rec.size += l.size;
    if (store.has_layer(l.diff_id)) {
      progress.note("  layer " + counter + " " + short_digest(l.digest) + ": in the store already");
      continue;
    }
    try {
      auto [digest, bytes] = unpack_into_store(store, blob_path(dir, l.digest), l,
                                               tmp + "/layer-" + std::to_string(n), o);
      progress.note("  layer " + counter + " " + short_digest(digest) + ": " + megabytes(bytes));
    } catch (Error& e) {
      throw e.add_context("layer " + counter + " " + short_digest(l.digest));
    }
  }
  progress.layers(n, n, rec.size, total, "");
  return rec;
}

// A `docker export`-style tar: one layer, named by its digest.
ImageRecord import_tar(const ImageStore& store, const ImageSource& src, const std::string& tmp,
                       const PullOptions& o, Progress& progress) {
  progress.layers(0, 1, 0, 0, "unpacking");
  auto [digest, bytes] = unpack_into_store(store, src.location, {}, tmp + "/layer", o);
  ImageRecord rec;
  rec.name = src.name;
  rec.digest = digest;
  rec.layers = {digest};
  struct stat st;
  rec.size = ::stat(src.location.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  progress.note("  layer 1/1 " + short_digest(digest) + ": " + megabytes(bytes));
  return rec;
}

}  // namespace

std::pair<std::string, uint64_t> unpack_into_store(const ImageStore& store, const std::string& blob,
                                                   const LayoutLayer& layer,
                                                   const std::string& staging,
                                                   const PullOptions& o) {
  auto ids = [](const IdLayout& l) {
    return std::to_string(l.own) + ":" + std::to_string(l.sub_count);
  };
  std::vector<std::string> argv = {layer_tool(), "unpack", "--uids",
                                   ids(o.uids),  "--gids", ids(o.gids)};
  if (!layer.digest.empty()) argv.insert(argv.end(), {"--digest", layer.digest});
  if (!layer.diff_id.empty()) argv.insert(argv.end(), {"--diff-id", layer.diff_id});
  argv.insert(argv.end(), {blob, staging});
  const boxrt::ProgramOutput r = boxrt::run_program_output(argv);
  if (r.status != 0) {
    std::string why = tool_complaint(r.err);
    if (why.rfind("boxapp-layer: ", 0) == 0) why = why.substr(14);
    if (r.status < 0) why = "can't run " + argv[0] + " (is boxapp installed whole?)";
    throw Error(why);
  }
  char blob_digest[80] = {}, got[80] = {};
  unsigned long long bytes = 0, entries = 0;
  if (std::sscanf(r.out.c_str(), "%79s %79s %llu %llu", blob_digest, got, &bytes, &entries) != 4)
    throw Error(argv[0] + " said " + backquoted(r.out));
  const std::string dest = store.layer_dir(got);
  boxrt::make_dirs(boxrt::dir_name(dest), 0700);
  // Another image brought the same layer in since we looked: ours goes with the rest of tmp.
  if (::rename(staging.c_str(), dest.c_str()) != 0 && errno != EEXIST && errno != ENOTEMPTY)
    boxrt::throw_errno("move the layer into " + backquoted(dest));
  return {got, bytes};
}

ImageSource parse_image_name(const std::string& text) {
  ImageSource s;
  auto rest_after = [&](const char* prefix) { return text.substr(std::strlen(prefix)); };
  if (text.rfind("oci:", 0) == 0) {
    s.kind = SourceKind::layout;
    std::string rest = rest_after("oci:");
    const size_t colon = rest.rfind(':');
    if (colon != std::string::npos && rest.find('/', colon) == std::string::npos) {
      s.tag = rest.substr(colon + 1);
      rest = rest.substr(0, colon);
    }
    if (rest.empty()) throw Error(backquoted(text) + ": oci:DIR[:TAG] names no directory");
    s.location = boxrt::absolute_path(layout_of(rest));
    s.name = "oci:" + s.location + (s.tag.empty() ? "" : ":" + s.tag);
  } else if (text.rfind("docker-archive:", 0) == 0 || text.rfind("tar:", 0) == 0) {
    const bool archive = text[0] == 'd';
    s.kind = archive ? SourceKind::docker_archive : SourceKind::tar;
    const std::string file = rest_after(archive ? "docker-archive:" : "tar:");
    if (file.empty()) throw Error(backquoted(text) + ": names no file");
    s.location = boxrt::absolute_path(file);
    s.name = (archive ? "docker-archive:" : "tar:") + s.location;
  } else {
    std::string ref = text.rfind("docker://", 0) == 0 ? rest_after("docker://") : text;
    if (ref.empty() || ref.find_first_of(" \t\n") != std::string::npos || ref[0] == '/' ||
        ref.find("://") != std::string::npos)
      throw Error(backquoted(text) +
                  ": not an image name (HOST/REPO[:TAG], docker://..., oci:DIR[:TAG], "
                  "docker-archive:FILE or tar:FILE)");
    const size_t last = ref.rfind('/');
    const std::string tail = last == std::string::npos ? ref : ref.substr(last + 1);
    if (tail.find(':') == std::string::npos && ref.find('@') == std::string::npos) ref += ":latest";
    s.location = ref;
    s.name = ref;
  }
  return s;
}

std::string layer_tool() {
  try {
    const std::string beside = boxrt::dir_name(boxrt::own_executable()) + "/boxapp-layer";
    if (::access(beside.c_str(), X_OK) == 0) return beside;
  } catch (const Error&) {
  }
  return "boxapp-layer";
}

void remove_store_paths(const std::vector<std::string>& paths) {
  if (paths.empty()) return;
  std::vector<std::string> argv = {layer_tool(), "remove"};
  argv.insert(argv.end(), paths.begin(), paths.end());
  const boxrt::ProgramOutput r = boxrt::run_program_output(argv);
  if (r.status != 0) throw Error(tool_complaint(r.err));
}

void remove_store_paths_later(const std::vector<std::string>& paths) {
  std::vector<std::string> argv = {layer_tool(), "remove"};
  argv.insert(argv.end(), paths.begin(), paths.end());
  boxrt::spawn_detached_program(argv);
}

ImageRecord add_to_store(const ImageStore& store, const std::string& what,
                         const std::function<ImageRecord(const std::string& tmp)>& make) {
  boxrt::FileLock lock = store.lock();
  // Whatever tmp/ holds now is a pull or build that was killed (the lock is ours): gone first.
  remove_store_paths(store.leftovers());
  const std::string tmp = store.make_temp(what);
  // Whatever happens, this one's own directory goes: on success it holds only what skopeo
  // or mmdebstrap wrote, on failure half a layer too.
  boxrt::ScopeExit cleanup([&] {
    try {
      remove_store_paths({tmp});
    } catch (const Error&) {
    }
  });
  ImageRecord rec = make(tmp);
  rec.created = ::time(nullptr);
  store.put(rec);
  return rec;
}

ImageRecord pull_image(const ImageStore& store, const ImageSource& src, const PullOptions& o) {
  try {
    if (src.kind == SourceKind::tar || src.kind == SourceKind::docker_archive)
      if (::access(src.location.c_str(), R_OK) != 0)
        boxrt::throw_errno("read " + backquoted(src.location));
    Progress progress(o.quiet);
    progress.say("pulling " + src.name);
    return add_to_store(store, "pull", [&](const std::string& tmp) {
      if (src.kind == SourceKind::tar) return import_tar(store, src, tmp, o, progress);
      if (src.kind == SourceKind::layout)
        return import_layout(store, src.location, src.tag, tmp, src.name, o, progress);
      const std::string from = src.kind == SourceKind::registry ? "docker://" + src.location
                                                                : "docker-archive:" + src.location;
      // On a terminal skopeo draws its own bars for the download, and says why it failed there.
      const bool shown = progress.on_terminal();
      std::vector<std::string> argv = {"skopeo", "copy"};
      if (!shown) argv.push_back("--quiet");
      if (src.kind == SourceKind::registry && is_loopback_registry(src.location))
        argv.push_back("--src-tls-verify=false");
      argv.insert(argv.end(), {from, "oci:" + tmp + "/layout:image"});
      const boxrt::ProgramOutput r = boxrt::run_program_output(argv, !shown);
      if (r.status < 0) throw Error("can't run skopeo: is it installed (Debian package skopeo)?");
      if (r.status != 0)
        throw Error("skopeo: " + (shown ? std::string("failed (above)") : tool_complaint(r.err)));
      return import_layout(store, tmp + "/layout", "image", tmp, src.name, o, progress);
    });
  } catch (Error& e) {
    throw e.add_context("pull " + backquoted(src.name));
  }
}

}  // namespace boxapp
