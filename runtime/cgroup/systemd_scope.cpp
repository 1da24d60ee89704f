#include "cgroup/systemd_scope.hpp"

#include <dlfcn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <thread>

#include "cgroup/cgroup.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sys.hpp"

namespace boxrt {
namespace {

// libsystemd, loaded on first use: linking it would make every container start pay for
// loading it and its compression libraries, and only --systemd-cgroup needs it.
struct SdBus {
  decltype(&sd_bus_open_user) open_user;
  decltype(&sd_bus_open_system) open_system;
  decltype(&sd_bus_message_new_method_call) new_method_call;
  decltype(&sd_bus_message_append) append;
  decltype(&sd_bus_message_open_container) open_container;
  decltype(&sd_bus_message_close_container) close_container;
  decltype(&sd_bus_call) call;
  decltype(&sd_bus_message_unref) message_unref;
  decltype(&sd_bus_flush_close_unref) bus_unref;
  decltype(&sd_bus_error_free) error_free;
};

const SdBus& libsystemd() {
  static const SdBus bus = [] {
    void* lib = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!lib) throw Error(std::string("load libsystemd: ") + ::dlerror());
    auto sym = [&](const char* name) {
      void* p = ::dlsym(lib, name);
      if (!p) throw Error(std::string("libsystemd has no ") + name);
      return p;
    };
    SdBus b;
    b.open_user = reinterpret_cast<decltype(b.open_user)>(sym("sd_bus_open_user"));
    b.open_system = reinterpret_cast<decltype(b.open_system)>(sym("sd_bus_open_system"));
    b.new_method_call =
        reinterpret_cast<decltype(b.new_method_call)>(sym("sd_bus_message_new_method_call"));
    b.append = reinterpret_cast<decltype(b.append)>(sym("sd_bus_message_append"));
    b.open_container =
        reinterpret_cast<decltype(b.open_container)>(sym("sd_bus_message_open_container"));
    b.close_container =
        reinterpret_cast<decltype(b.close_container)>(sym("sd_bus_message_close_container"));
    b.call = reinterpret_cast<decltype(b.call)>(sym("sd_bus_call"));
    b.message_unref = reinterpret_cast<decltype(b.message_unref)>(sym("sd_bus_message_unref"));
    b.bus_unref = reinterpret_cast<decltype(b.bus_unref)>(sym("sd_bus_flush_close_unref"));
    b.error_free = reinterpret_cast<decltype(b.error_free)>(sym("sd_bus_error_free"));
    return b;
  }();
  return bus;
}

void check_sd(int rc, const std::string& what) {
  if (rc < 0) throw sys_error(-rc, what);
}

// The process's cgroup v2 path, "/..." from the hierarchy's root.
std::string cgroup_of(pid_t pid) {
  std::string text = read_file("/proc/" + std::to_string(pid) + "/cgroup");
  size_t at = text.find("0::");
  if (at == std::string::npos) return "";
  return text.substr(at + 3, text.find('\n', at) - at - 3);
}

}  // namespace

ScopeRequester::ScopeRequester(bool user_manager) {
  int sv[2];
  check(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), "socketpair");
  unique_fd ours(sv[0]), theirs(sv[1]);
  helper_ = check(::fork(), "fork");
  if (helper_ == 0) {
    ours.reset();
    char buf[4096];
    ssize_t n = ::read(theirs.get(), buf, sizeof buf - 1);
    if (n <= 0) ::_exit(0);
    buf[n] = '\0';
    // NAME \n SLICE \n PID
    std::string req(buf, static_cast<size_t>(n)), answer;
    size_t a = req.find('\n'), b = req.find('\n', a + 1);
    try {
      answer = "+" + start_systemd_scope(req.substr(0, a), req.substr(a + 1, b - a - 1),
                                         std::stoi(req.substr(b + 1)), user_manager);
    } catch (const std::exception& e) {
      answer = std::string("-") + e.what();
    }
    (void)!::write(theirs.get(), answer.data(), answer.size());
    ::_exit(0);
  }
  fd_ = std::move(ours);
}

ScopeRequester::~ScopeRequester() {
  fd_.reset();
  retry_eintr([&] { return ::waitpid(helper_, nullptr, 0); });
}

std::string ScopeRequester::start(const std::string& name, const std::string& slice, pid_t pid) {
  std::string req = name + "\n" + slice + "\n" + std::to_string(pid);
  check(::write(fd_.get(), req.data(), req.size()), "ask for a systemd scope");
  char buf[4096];
  ssize_t n = retry_eintr([&] { return ::read(fd_.get(), buf, sizeof buf); });
  if (n <= 0) throw Error("the systemd scope helper died");
  std::string answer(buf, static_cast<size_t>(n));
  if (answer[0] != '+') throw Error(answer.substr(1));
  return answer.substr(1);
}

std::pair<std::string, std::string> systemd_unit_of(const std::string& path,
                                                    const std::string& id) {
  size_t a = path.find(':');
  if (a == std::string::npos) return {"", "boxapp-" + id};
  size_t b = path.find(':', a + 1);
  if (b == std::string::npos)
    throw Error("linux.cgroupsPath: " + backquoted(path) + ": use slice:prefix:name");
  std::string slice = path.substr(0, a), prefix = path.substr(a + 1, b - a - 1),
              name = path.substr(b + 1);
  if (name.empty()) name = id;
  return {slice, prefix.empty() ? name : prefix + "-" + name};
}

std::string start_systemd_scope(const std::string& name, const std::string& slice, pid_t pid,
                                bool user_manager) {
  const SdBus& sd = libsystemd();
  sd_bus* bus = nullptr;
  check_sd(user_manager ? sd.open_user(&bus) : sd.open_system(&bus),
           std::string("connect to the ") + (user_manager ? "user" : "system") + " bus");
  std::unique_ptr<sd_bus, decltype(sd.bus_unref)> bus_ref(bus, sd.bus_unref);
  sd_bus_message* m = nullptr;
  check_sd(sd.new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                              "org.freedesktop.systemd1.Manager", "StartTransientUnit"),
           "D-Bus message");
  std::unique_ptr<sd_bus_message, decltype(sd.message_unref)> msg(m, sd.message_unref);
  const std::string unit = name + ".scope";
  const std::string description = "boxapp container " + name;
  check_sd(sd.append(m, "ss", unit.c_str(), "fail"), "D-Bus message");
  check_sd(sd.open_container(m, 'a', "(sv)"), "D-Bus message");
  check_sd(sd.append(m, "(sv)", "PIDs", "au", 1, static_cast<uint32_t>(pid)), "D-Bus message");
  check_sd(sd.append(m, "(sv)", "Delegate", "b", 1), "D-Bus message");
  check_sd(sd.append(m, "(sv)", "Description", "s", description.c_str()), "D-Bus message");
  check_sd(sd.append(m, "(sv)", "CollectMode", "s", "inactive-or-failed"), "D-Bus message");
  if (!slice.empty()) check_sd(sd.append(m, "(sv)", "Slice", "s", slice.c_str()), "D-Bus message");
  check_sd(sd.close_container(m), "D-Bus message");
  check_sd(sd.append(m, "a(sa(sv))", 0), "D-Bus message");
  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  int rc = sd.call(bus, m, 10 * 1000 * 1000, &error, &reply);
  std::string why = error.message ? error.message : "";
  sd.error_free(&error);
  if (reply) sd.message_unref(reply);
  if (rc < 0)
    throw sys_error(
        -rc, "systemd StartTransientUnit " + backquoted(unit) + (why.empty() ? "" : ": " + why));

  // The job moves the process; wait until it is in the scope.
  for (int i = 0; i < 500; ++i) {
    std::string cg = cgroup_of(pid);
    if (cg.ends_with("/" + unit)) {
      auto host = find_cgroup_host();
      if (!host) throw Error("systemd made " + backquoted(unit) + " but no cgroup2 is mounted");
      return host->mount + cg;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw Error("systemd did not move the container into " + backquoted(unit) + " within 5 s");
}

}  // namespace boxrt
