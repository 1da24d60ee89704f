#include "image/image_config.hpp"

#include <sys/stat.h>

#include <sstream>

#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;

// The file at `path` (e.g. "etc/passwd") as the box sees it: from the topmost layer that has
// it, where that isn't a whiteout.
std::string read_from_layers(const ImageRecord& img, const ImageStore& store,
                             const std::string& path) {
  for (auto l = img.layers.rbegin(); l != img.layers.rend(); ++l) {
    const std::string file = store.layer_dir(*l) + "/" + path;
    struct stat st;
    if (::lstat(file.c_str(), &st) != 0) continue;
    if (S_ISCHR(st.st_mode)) return "";  // whited out
    return boxrt::try_read_file(file).value_or("");
  }
  return "";
}

// The id of `name` in a passwd or group text, if it has it.
std::optional<uint32_t> id_in(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const size_t c1 = line.find(':'), c2 = line.find(':', c1 + 1), c3 = line.find(':', c2 + 1);
    if (c3 == std::string::npos || line.substr(0, c1) != name) continue;
    try {
      return static_cast<uint32_t>(std::stoul(line.substr(c2 + 1, c3 - c2 - 1)));
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

std::optional<uint32_t> primary_gid(const std::string& passwd, const std::string& name) {
  std::istringstream in(passwd);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ls(line);
    for (std::string x; std::getline(ls, x, ':');)
      f.push_back(x);
    if (f.size() >= 4 && f[0] == name) try {
        return static_cast<uint32_t>(std::stoul(f[3]));
      } catch (const std::exception&) {
      }
  }
  return std::nullopt;
}

bool numeric(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// User = "NAME|UID[:GROUP|GID]", as the image config says it.
void apply_user(Profile& p, const ImageRecord& img, const ImageStore& store) {
  const std::string& u = img.config.user;
  const size_t colon = u.find(':');
  const std::string user = u.substr(0, colon);
  const std::string group = colon == std::string::npos ? "" : u.substr(colon + 1);
  const std::string passwd = read_from_layers(img, store, "etc/passwd");
  const auto where = [&] { return "image " + backquoted(img.name) + ": User " + backquoted(u); };
  if (numeric(user)) {
    p.run_uid = static_cast<uint32_t>(std::stoul(user));
  } else if (auto id = id_in(passwd, user)) {
    p.run_uid = *id;
  } else {
    throw Error(where() + ": the image's /etc/passwd has no " + backquoted(user));
  }
  if (numeric(group)) {
    p.run_gid = static_cast<uint32_t>(std::stoul(group));
  } else if (!group.empty()) {
    auto id = id_in(read_from_layers(img, store, "etc/group"), group);
    if (!id) throw Error(where() + ": the image's /etc/group has no " + backquoted(group));
    p.run_gid = *id;
  } else {
    p.run_gid = primary_gid(passwd, user).value_or(*p.run_uid);
  }
}

}  // namespace

void apply_image_config(Profile& p, const ImageRecord& img, const ImageStore& store) {
  const ImageConfig& c = img.config;
  // docker's rules, with app.command as --entrypoint and app.args as the command.
  if (p.command.empty()) {
    std::vector<std::string> run = c.entrypoint;
    if (p.args.empty() || run.empty()) run.insert(run.end(), c.cmd.begin(), c.cmd.end());
    if (run.empty())
      throw Error(p.file + ": app.command: required (image " + backquoted(img.name) +
                  " has no Entrypoint or Cmd)");
    p.command = run[0];
    std::vector<std::string> args(run.begin() + 1, run.end());
    if (!c.entrypoint.empty())
      args.insert(args.end(), p.args.begin(), p.args.end());
    else if (!p.args.empty())
      args = p.args;
    p.args = args;
  }
  // As they are: no ${...} of the profile's in them.
  p.image_env = c.env;
  p.image_ports = c.exposed_ports;
  if (p.workdir.empty()) p.workdir = c.working_dir;
  if (!c.user.empty() && !p.run_uid) apply_user(p, img, store);
}

}  // namespace boxapp
