#include "harness.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>

#include "ns/idmap.hpp"
#include "oci/default_spec.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"
#include "util/unique_fd.hpp"

namespace itest {
namespace {

std::string stage_path(const char* name) {
  const char* stage = std::getenv("BOXAPP_STAGE");
  if (stage && *stage) return std::string(stage) + "/" + name;
  return std::string(BOXAPP_BUILD_DIR) + "/" + name;
}

void copy_file(const std::string& from, const std::string& to, mode_t mode) {
  std::string data = boxrt::read_file(from);
  boxrt::unique_fd fd = boxrt::open_file(to, O_WRONLY | O_CREAT | O_TRUNC, mode);
  boxrt::write_all(fd.get(), data, to);
}

}  // namespace

bool is_alive(int pid) {
  auto st = boxrt::read_proc_stat(pid);
  return st && st->state != 'Z' && st->state != 'X';
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

std::string trimmed(std::string s) {
  while (!s.empty() && s.back() == '\n')
    s.pop_back();
  return s;
}

struct sockaddr_in loopback_address(int port) {
  struct sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  return a;
}

int free_loopback_port(int type) {
  boxrt::unique_fd s(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  struct sockaddr_in a = loopback_address(0);
  socklen_t len = sizeof a;
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return 0;
  return ntohs(a.sin_port);
}

std::string cgroup_of(int pid) {
  std::string text = boxrt::read_file("/proc/" + std::to_string(pid) + "/cgroup");
  size_t at = text.find("0::");
  return at == std::string::npos ? "" : text.substr(at + 3, text.find('\n', at) - at - 3);
}

uint32_t own_uid() {
  return ::getuid();
}
uint32_t own_gid() {
  return ::getgid();
}

std::string runtime_bin() {
  const char* stage = std::getenv("BOXAPP_STAGE");
  return stage && *stage ? stage_path("boxapp-runtime")
                         : std::string(BOXAPP_BUILD_DIR) + "/runtime/boxapp-runtime";
}

std::string boxapp_bin() {
  const char* stage = std::getenv("BOXAPP_STAGE");
  return stage && *stage ? stage_path("boxapp")
                         : std::string(BOXAPP_BUILD_DIR) + "/launcher/boxapp";
}

std::string netns_bin() {
  const char* stage = std::getenv("BOXAPP_STAGE");
  return stage && *stage ? stage_path("boxapp-netns")
                         : std::string(BOXAPP_BUILD_DIR) + "/netns-helper/boxapp-netns";
}

std::string shipped_profiles_dir() {
  const char* stage = std::getenv("BOXAPP_STAGE");
  return stage && *stage ? stage_path("profiles") : std::string(BOXAPP_SOURCE_DIR) + "/profiles";
}

std::string probe_bin() {
  const char* stage = std::getenv("BOXAPP_STAGE");
  return stage && *stage ? stage_path("box-probe")
                         : std::string(BOXAPP_BUILD_DIR) + "/tests/box-probe";
}

void exec_argv(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(127);
}

Result run_process(const std::vector<std::string>& argv, const std::string& input, int timeout_s) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC))
    throw std::runtime_error("pipe failed");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    exec_argv(argv);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (!input.empty()) (void)!::write(in[1], input.data(), input.size());
  ::close(in[1]);
  Result r;
  // Read until the process exits, not until EOF: a detached container keeps our pipes open.
  boxrt::unique_fd pidfd = boxrt::open_pidfd(pid);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  struct pollfd p[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
  bool timed_out = false, exited = false;
  auto drain = [&](int i, bool until_empty) {
    char buf[8192];
    do {
      struct pollfd one = {p[i].fd, POLLIN, 0};
      if (p[i].fd < 0 || ::poll(&one, 1, 0) != 1) return;
      ssize_t n = ::read(p[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(p[i].fd);
        p[i].fd = -1;
        return;
      }
      (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
    } while (until_empty);
  };
  while (!exited && (p[0].fd >= 0 || p[1].fd >= 0 || !exited)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    if (::poll(p, 3, static_cast<int>(left.count())) <= 0) continue;
    for (int i = 0; i < 2; ++i)
      if (p[i].revents & (POLLIN | POLLHUP)) drain(i, false);
    if (p[2].revents & POLLIN) exited = true;
  }
  drain(0, true);
  drain(1, true);
  for (int i = 0; i < 2; ++i)
    if (p[i].fd >= 0) ::close(p[i].fd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (timed_out)
    r.status = -1;
  else if (WIFEXITED(status))
    r.status = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    r.status = 128 + WTERMSIG(status);
  return r;
}

Bundle::Bundle() {
  ::chmod(dir_.path().c_str(), 0755);
  const std::string bin = rootfs() + "/bin";
  for (const char* d : {"", "/bin", "/proc", "/dev", "/sys", "/tmp", "/etc"})
    ::mkdir((rootfs() + d).c_str(), 0755);
  const char* busybox = std::getenv("BOXAPP_BUSYBOX");
  copy_file(busybox && *busybox ? busybox : "/bin/busybox", bin + "/busybox", 0755);
  for (const char* tool : {"sh", "true", "false", "echo", "cat", "ls", "sleep", "id", "hostname",
                           "mount", "touch", "mkdir", "kill", "ps", "stat", "pwd", "env", "wc"})
    ::symlink("busybox", (bin + "/" + tool).c_str());
  copy_file(probe_bin(), bin + "/box-probe", 0755);
  spec = oci::default_spec(/*rootless=*/true, own_uid(), own_gid());
  spec.process->terminal = false;
  spec.process->args = oci::StringList{"/bin/box-probe"};
  spec.root->readonly = false;
}

void Bundle::write() const {
  boxrt::unique_fd fd =
      boxrt::open_file(path() + "/config.json", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  boxrt::write_all(fd.get(), oci::dump_spec(spec), "config.json");
}

Runtime::Runtime() {}

Runtime::~Runtime() {
  for (const auto& id : leftovers())
    (*this)({"delete", "-f", id});
}

Result Runtime::operator()(std::vector<std::string> args, const std::string& input,
                           int timeout_s) const {
  std::vector<std::string> argv = {runtime_bin(), "--root", root()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, input, timeout_s);
}

std::vector<std::string> Runtime::leftovers() const {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(root().c_str())) {
    while (auto* e = ::readdir(d)) {
      std::string n = e->d_name;
      // The runtime's own caches start with '@', which no container id can.
      if (n != "." && n != ".." && n[0] != '@') out.push_back(n);
    }
    ::closedir(d);
  }
  return out;
}

std::optional<std::pair<uint32_t, uint32_t>> map_subordinate_ids(Bundle& b, uint32_t count) {
  const char* user = ::getenv("USER");
  auto sub = boxrt::subordinate_range("/etc/subuid", user ? user : "", own_uid());
  auto subg = boxrt::subordinate_range("/etc/subgid", user ? user : "", own_uid());
  if (!sub || !subg || ::access("/usr/bin/newuidmap", X_OK) != 0) {
    WARN("not checked: this user has no /etc/subuid range or uidmap is missing");
    return std::nullopt;
  }
  b.spec.linux->uid_mappings =
      std::vector<oci::IdMapping>{{0, own_uid(), 1, {}}, {1, sub->outside, count, {}}};
  b.spec.linux->gid_mappings =
      std::vector<oci::IdMapping>{{0, own_gid(), 1, {}}, {1, subg->outside, count, {}}};
  return std::pair{sub->outside, subg->outside};
}

bool real_root() {
  if (::geteuid() == 0) return true;
  WARN("not checked: needs real root (scripts/test runs it as root)");
  return false;
}

int init_pid(const Runtime& rt, const std::string& id) {
  return json::parse(rt({"state", id}).out)["pid"].get<int>();
}

json probe_report(const Result& r) {
  try {
    return json::parse(r.out);
  } catch (const json::exception&) {
    throw std::runtime_error("box-probe output is not JSON (exit " + std::to_string(r.status) +
                             "): stdout=" + r.out + " stderr=" + r.err);
  }
}

json find_mount(const json& report, const std::string& target) {
  json found;
  for (const auto& m : report["mounts"])
    if (m["target"] == target) found = m;  // the last one: the mount on top
  return found;
}

json probe(Bundle& b, std::vector<std::string> extra_args) {
  Runtime rt;
  b.write();
  std::vector<std::string> args = {"run", "-b", b.path()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  args.push_back("probe");
  Result r = rt(args);
  INFO("stderr: " << r.err);
  REQUIRE(r.status == 0);
  return probe_report(r);
}

bool has_option(const json& mount, const std::string& opt) {
  std::string opts = "," + mount["options"].get<std::string>() + ",";
  return opts.find("," + opt + ",") != std::string::npos;
}

}  // namespace itest
