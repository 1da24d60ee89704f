// boxapp-layer: what boxapp asks of the image store that needs root in the session's user
// namespace (files owned by the user's subordinate ids) or libarchive, kept out of boxapp
// itself so that neither costs a box's start. Parsing and printing only (image/unpack.hpp).
//
//   boxapp-layer unpack [--digest sha256:HEX] --uids OWN:COUNT --gids OWN:COUNT BLOB TARGET
//     [--diff-id sha256:HEX]; prints "BLOB-DIGEST DIFF-ID BYTES ENTRIES"
//   boxapp-layer remove PATH...
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "image/unpack.hpp"
#include "ns/session.hpp"
#include "util/error.hpp"

namespace {

boxapp::IdLayout parse_layout(const std::string& text, const char* option) {
  unsigned own = 0, count = 0;
  char end = 0;
  if (std::sscanf(text.c_str(), "%u:%u%c", &own, &count, &end) != 2)
    throw boxrt::Error(std::string(option) + ": expected OWN:COUNT, not " +
                       boxrt::backquoted(text));
  return boxapp::IdLayout{own, 0, count};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"boxapp-layer: unpacks and removes image layers for boxapp", "boxapp-layer"};
  app.require_subcommand(1);
  boxapp::UnpackRequest req;
  std::string uids, gids;
  auto* unpack = app.add_subcommand("unpack", "unpack a layer's tar into a new directory");
  unpack->add_option("--digest", req.digest, "the digest the blob must have");
  unpack->add_option("--diff-id", req.diff_id, "the digest the tar in it must have");
  unpack->add_option("--uids", uids, "the user's uid and how many more ids a box maps")->required();
  unpack->add_option("--gids", gids, "the same for gids")->required();
  unpack->add_option("blob", req.blob)->required();
  unpack->add_option("target", req.target)->required();
  std::vector<std::string> paths;
  auto* remove = app.add_subcommand("remove", "remove trees owned by the box's ids");
  remove->add_option("paths", paths)->required();
  CLI11_PARSE(app, argc, argv);
  try {
    // Root in the session's user namespace, the owner of every id a box maps; real root
    // (and a caller already root in some user namespace) is that already.
    if (::geteuid() != 0) boxrt::join_session(boxrt::ensure_session());
    if (*unpack) {
      req.uids = parse_layout(uids, "--uids");
      req.gids = parse_layout(gids, "--gids");
      // Errors name the entry; the caller names the layer.
      const boxapp::UnpackResult r = boxapp::unpack_layer(req);
      std::printf("%s %s %llu %llu\n", r.digest.c_str(), r.diff_id.c_str(),
                  static_cast<unsigned long long>(r.bytes),
                  static_cast<unsigned long long>(r.entries));
    } else {
      for (const auto& p : paths)
        boxapp::remove_tree(p);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "boxapp-layer: %s\n", e.what());
    return 1;
  }
}
