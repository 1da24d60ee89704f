#include "init/plan_host.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "ns/session.hpp"
#include "util/sys.hpp"

namespace boxrt {

std::string home_of(const std::string& passwd, uint32_t uid) {
  // name:password:uid:gid:gecos:home:shell
  size_t start = 0;
  while (start < passwd.size()) {
    size_t end = std::min(passwd.find('\n', start), passwd.size());
    std::vector<std::string> fields(1);
    for (size_t i = start; i < end; ++i) {
      if (passwd[i] == ':')
        fields.emplace_back();
      else
        fields.back().push_back(passwd[i]);
    }
    if (fields.size() >= 6 && fields[2] == std::to_string(uid)) return fields[5];
    start = end + 1;
  }
  return {};
}

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
  std::string home_in_rootfs(const std::string& rootfs, uint32_t uid) const override {
    unique_fd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    struct open_how how = {};
    how.flags = O_RDONLY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    unique_fd fd(
        root ? static_cast<int>(::syscall(SYS_openat2, root.get(), "etc/passwd", &how, sizeof how))
             : -1);
    if (!fd) return {};
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) > 0 && text.size() < (1 << 20);)
      text.append(buf, static_cast<size_t>(n));
    return home_of(text, uid);
  }
};

}  // namespace

const PlanHost& live_plan_host() {
  static const LiveHost host;
  return host;
}

}  // namespace boxrt
