#include "image/debian_build.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include "host/apt_sources.hpp"
#include "image/progress.hpp"
#include "util/error.hpp"
#include "util/name_hash.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"
#include "util/unique_fd.hpp"
#include "util/user_dirs.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;

std::string joined(const std::vector<std::string>& words, const char* sep) {
  std::string out;
  for (const auto& w : words)
    out += (out.empty() ? "" : sep) + w;
  return out;
}

// mmdebstrap's reason: its last "E: " line.
std::string last_error(const std::vector<std::string>& errors) {
  return errors.empty() ? "mmdebstrap failed" : "mmdebstrap: " + errors.back();
}

std::vector<std::string> mmdebstrap_argv(const DebianRecipe& d, const std::string& tar) {
  // --verbose: apt's and dpkg's own output in the log, where a failed build's reason is.
  std::vector<std::string> argv = {"mmdebstrap", "--mode=unshare", "--variant=minbase",
                                   "--format=tar", "--verbose"};
  if (!d.packages.empty()) argv.push_back("--include=" + joined(d.packages, ","));
  argv.push_back("--components=" + joined(d.components, ","));
  argv.insert(argv.end(), {d.suite, tar, d.mirror});
  return argv;
}

// Runs mmdebstrap into `tar`, its output into the log and its steps onto the progress.
void run_mmdebstrap(const DebianRecipe& d, const std::string& tar, const std::string& log,
                    Progress& progress) {
  boxrt::make_dirs(boxrt::dir_name(log), 0700);
  boxrt::unique_fd fd(::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) boxrt::throw_errno("write " + backquoted(log));
  std::vector<std::string> errors;
  std::string log_error;  // a log that can't be written doesn't stop the build, but is said
  const int status = boxrt::run_program_lines(mmdebstrap_argv(d, tar), [&](const std::string& l) {
    if (log_error.empty()) try {
        boxrt::write_all(fd.get(), l + "\n", log);
      } catch (const Error& e) {
        log_error = e.what();
      }
    if (l.rfind("I: ", 0) == 0) progress.step(l.substr(3));
    if (l.rfind("E: ", 0) == 0) errors.push_back(l.substr(3));
  });
  if (status < 0) throw Error("can't run mmdebstrap: is it installed (Debian package mmdebstrap)?");
  if (!log_error.empty()) progress.say("warning: " + log_error);
  if (status != 0) throw Error(last_error(errors) + " (its log: " + log + ")");
}

}  // namespace

DebianRecipe whole_recipe(const DebianRecipe& r, const std::string& profile_file) {
  DebianRecipe d = r;
  if (d.suite.empty()) d.suite = host_debian_suite();
  if (d.suite.empty())
    throw Error(profile_file +
                ": image.suite: this machine's os-release names no Debian "
                "release; set suite = \"bookworm\" (or another)");
  if (d.mirror.empty()) d.mirror = host_debian_mirror();
  if (d.mirror.empty())
    throw Error(profile_file +
                ": image.mirror: this machine's apt has no `deb` source; set "
                "mirror = \"http://deb.debian.org/debian\" (or another)");
  if (d.components.empty()) d.components = {"main"};
  std::sort(d.packages.begin(), d.packages.end());
  d.packages.erase(std::unique(d.packages.begin(), d.packages.end()), d.packages.end());
  return d;
}

std::string recipe_text(const DebianRecipe& d) {
  return "variant: minbase\nsuite: " + d.suite + "\ncomponents: " + joined(d.components, " ") +
         "\nmirror: " + d.mirror + "\npackages: " + joined(d.packages, " ") + "\n";
}

std::string debian_image_name(const DebianRecipe& whole) {
  // A name for the recipe, not a proof of it: the record keeps the text, and a record whose
  // text differs is built anew.
  return "debian:" + whole.suite + ":" + boxrt::name_hash(recipe_text(whole));
}

std::string build_log_path(const std::string& image_name) {
  std::string file = image_name;
  std::replace(file.begin(), file.end(), ':', '-');
  return boxrt::user_state_dir() + "/boxapp/builds/" + file + ".log";
}

ImageRecord build_debian(const ImageStore& store, const DebianRecipe& d, const PullOptions& o) {
  const std::string name = debian_image_name(d);
  try {
    // mmdebstrap --mode=unshare maps the user's range itself: without one it can't be root.
    if (o.uids.sub_count == 0 || o.gids.sub_count == 0)
      throw Error(
          "a Debian build needs a subordinate id range (the user's lines in /etc/subuid and "
          "/etc/subgid, and newuidmap from the uidmap package)");
    Progress progress(o.quiet);
    progress.say("building " + name + " (" + d.suite +
                 (d.packages.empty() ? "" : " + " + joined(d.packages, " ")) + ")");
    return add_to_store(store, "build", [&](const std::string& tmp) {
      const std::string tar = tmp + "/root.tar";
      run_mmdebstrap(d, tar, build_log_path(name), progress);
      progress.step("unpacking");
      auto [digest, bytes] = unpack_into_store(store, tar, {}, tmp + "/layer", o);
      ImageRecord rec;
      rec.name = name;
      rec.digest = digest;
      rec.layers = {digest};
      struct stat st;
      rec.size = ::stat(tar.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
      rec.recipe = recipe_text(d);
      // What Debian's own container images set.
      rec.config.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
      progress.say("  built: " + megabytes(bytes));
      return rec;
    });
  } catch (Error& e) {
    throw e.add_context("build " + backquoted(name));
  }
}

}  // namespace boxapp
