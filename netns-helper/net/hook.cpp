#include "net/hook.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "net/attach.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxnet {

using boxrt::Error;

namespace {

constexpr const char* kNameAnnotation = "org.boxapp.netns.name";
constexpr const char* kPortsAnnotation = "org.boxapp.netns.ports";

std::vector<PortMapping> parse_port_list(const std::string& list) {
  std::vector<PortMapping> out;
  for (size_t start = 0; start <= list.size();) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    const std::string item = list.substr(start, comma - start);
    if (!item.empty()) {
      try {
        out.push_back(parse_port(item));
      } catch (Error& e) {
        throw e.add_context(std::string("hook: the annotation ") + kPortsAnnotation);
      }
    }
    start = comma + 1;
  }
  return out;
}

}  // namespace

HookState parse_hook_state(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw Error("hook: the container's state on stdin is not JSON (" + std::string(e.what()) +
                "): run boxapp-netns hook as an OCI hook");
  }
  HookState s;
  if (!j.is_object() || !j.contains("id") || !j["id"].is_string())
    throw Error("hook: the state on stdin has no container id");
  s.name = j["id"].get<std::string>();
  const auto annotation = [&](const char* key) -> std::optional<std::string> {
    if (!j.contains("annotations") || !j["annotations"].is_object()) return std::nullopt;
    const auto& a = j["annotations"];
    if (!a.contains(key) || !a[key].is_string()) return std::nullopt;
    return a[key].get<std::string>();
  };
  if (auto name = annotation(kNameAnnotation)) s.name = *name;
  if (auto ports = annotation(kPortsAnnotation)) s.ports = parse_port_list(*ports);
  if (j.contains("pid") && j["pid"].is_number_integer()) s.pid = j["pid"].get<pid_t>();
  if (j.contains("bundle") && j["bundle"].is_string()) s.bundle = j["bundle"].get<std::string>();
  return s;
}

std::string ip_file(const std::string& bundle) {
  return bundle + "/.ip";
}

boxrt::unique_fd open_container_netns(const HookState& s) {
  if (s.pid <= 0)
    throw Error("hook attach: the state has no pid: use it as a createRuntime or prestart hook");
  const std::string path = "/proc/" + std::to_string(s.pid) + "/ns/net";
  boxrt::unique_fd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  // A container in a user namespace beside the session's, with every capability there, is
  // not ours to open (nor to plumb, which attach() says too).
  if (!ns && errno == EACCES)
    throw Error("hook attach: container " + boxrt::backquoted(s.name) +
                " is in a user namespace outside boxapp's session, which can't reach it (a "
                "rootless runtime started outside it): run the runtime as `boxapp-netns exec "
                "-- crun ...` (or runc)");
  if (!ns) boxrt::throw_errno("hook attach: open " + boxrt::backquoted(path));
  // Else the host's own network would be plumbed (its eth0 replaced as the box's).
  struct stat theirs, ours;
  if (::fstat(ns.get(), &theirs) == 0 && ::stat("/proc/self/ns/net", &ours) == 0 &&
      theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev)
    throw Error("hook attach: container " + boxrt::backquoted(s.name) +
                " has no network namespace of its own: add {\"type\": \"network\"} to "
                "linux.namespaces in its config.json");
  return ns;
}

BoxRequests hook_requests(const HookState& s) {
  return {bind_ports(s.ports), false, std::nullopt};
}

void hook_attach(const HookState& s, int netns_fd, BoxRequests& requests) {
  const Attachment a = attach(network_config(), s.name, netns_fd, holder_of(s.pid), &requests);
  if (!s.bundle.empty())
    boxrt::write_file_atomic(ip_file(s.bundle), a.ip.str() + "\n", 0644,
                             boxrt::Durability::volatile_ok);
}

void hook_detach(const HookState& s) {
  detach(s.name);
  if (!s.bundle.empty()) ::unlink(ip_file(s.bundle).c_str());
}

}  // namespace boxnet
