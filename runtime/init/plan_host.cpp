#include "init/plan_host.hpp"

#include <fcntl.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "ns/session.hpp"
#include "util/sys.hpp"

namespace boxrt {
namespace {

class LiveHost final : public PlanHost {
 public:
  int stat_mode(const std::string& path, mode_t& mode) const override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return errno;
    mode = st.st_mode;
    return 0;
  }
  unique_fd open_namespace(const std::string& path) const override {
    return unique_fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  }
  bool apparmor_enabled() const override {
    auto v = try_read_file("/sys/module/apparmor/parameters/enabled");
    return v && v->rfind("Y", 0) == 0;
  }
  bool selinux_enabled() const override { return ::access("/sys/fs/selinux/enforce", F_OK) == 0; }
  int last_cap() const override {
    auto v = try_read_file("/proc/sys/kernel/cap_last_cap");
    try {
      return v ? std::stoi(*v) : CAP_LAST_CAP;
    } catch (const std::exception&) {
      return CAP_LAST_CAP;
    }
  }
  std::vector<IdRange> own_id_map(bool gids) const override {
    return gids ? own_gid_map() : own_uid_map();
  }
};

}  // namespace

const PlanHost& live_plan_host() {
  static const LiveHost host;
  return host;
}

}  // namespace boxrt
