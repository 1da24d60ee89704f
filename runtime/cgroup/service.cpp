#include "cgroup/service.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "cgroup/cgroup.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sys.hpp"

namespace boxrt {
namespace {

// Makes DIR (one level) and moves pid into it.
bool move_into(const std::string& dir, pid_t pid) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return false;
  const unique_fd procs = open_file(dir + "/cgroup.procs", O_WRONLY | O_CLOEXEC);
  const std::string text = std::to_string(pid);
  return procs &&
         ::write(procs.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

}  // namespace

bool in_systemd_service() {
  const char* id = ::getenv("INVOCATION_ID");
  return id && *id;
}

void leave_service_cgroup(pid_t pid) {
  if (!in_systemd_service()) return;
  const auto host = find_cgroup_host();
  // Somewhere above the service that is ours: else there is nowhere to go.
  if (!host || host->delegated.empty() || host->delegated == host->own) return;
  const std::string base =
      host->mount + (host->delegated == "/" ? "" : host->delegated) + "/boxapp";
  if ((::mkdir(base.c_str(), 0755) != 0 && errno != EEXIST) || !move_into(base + "/helpers", pid))
    log_debug("could not move process " + std::to_string(pid) +
              " out of the service's cgroup: " + std::strerror(errno));
}

std::optional<std::string> enter_service_leaf() {
  if (!in_systemd_service()) return std::nullopt;
  const auto host = find_cgroup_host();
  if (!host || host->delegated.empty() || host->own == "/") return std::nullopt;
  // A leaf we made earlier (this process moved into it already).
  std::string service = host->own;
  if (base_name(service) == "supervisor") return dir_name(service);
  const std::string dir = host->mount + service;
  if (::access((dir + "/cgroup.subtree_control").c_str(), W_OK) != 0) return std::nullopt;
  if (!move_into(dir + "/supervisor", ::getpid())) {
    log_debug("could not move into a leaf of the service's cgroup: " +
              std::string(std::strerror(errno)));
    return std::nullopt;
  }
  return service;
}

}  // namespace boxrt
