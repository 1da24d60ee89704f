// Integration test harness: real bundles with a busybox rootfs and box-probe, and the real
// boxapp-runtime binary, run as the unprivileged test user.
#pragma once

#include <netinet/in.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../unit/test_support.hpp"
#include "oci/spec.hpp"

namespace itest {

using nlohmann::json;

struct Result {
  int status = -1;  // exit status; 128+N when killed by signal N; -1 on timeout
  std::string out, err;
};

// Runs argv directly (no shell), feeding `input` on stdin; kills it after timeout_s.
Result run_process(const std::vector<std::string>& argv, const std::string& input = "",
                   int timeout_s = 30);

// In a forked child: execv(argv[0], argv), or _exit(127).
[[noreturn]] void exec_argv(const std::vector<std::string>& argv);

std::string runtime_bin();  // boxapp-runtime under test
std::string probe_bin();    // the static box-probe
std::string boxapp_bin();
std::string netns_bin();  // boxapp-netns
// profiles/ as shipped: staged beside the binaries, or the source tree's.
std::string shipped_profiles_dir();  // the boxapp launcher under test

// A bundle: rootfs with busybox (sh, sleep, cat, ...) and /bin/box-probe, and `spec`, the
// rootless default config for the current user running /bin/box-probe. Edit spec, then
// write() it (run() on Runtime writes it for you).
class Bundle {
 public:
  Bundle();
  void write() const;
  const std::string& path() const { return dir_.path(); }
  std::string rootfs() const { return dir_ / "rootfs"; }

  oci::Spec spec;

 private:
  testing::TempDir dir_;
};

// boxapp-runtime with a private --root; deletes whatever is left when it goes.
class Runtime {
 public:
  Runtime();
  ~Runtime();
  Result operator()(std::vector<std::string> args, const std::string& input = "",
                    int timeout_s = 30) const;
  const std::string& root() const { return dir_.path(); }
  // The subdirectories of --root: containers with state left behind.
  std::vector<std::string> leftovers() const;

 private:
  testing::TempDir dir_;
};

// Maps container ids 0 (the user) and 1..count (the start of the user's /etc/subuid and
// /etc/subgid ranges), as engines map them. The host uid and gid that container id 1 is, or
// nullopt (with a warning) when the user has no ranges or uidmap is missing.
std::optional<std::pair<uint32_t, uint32_t>> map_subordinate_ids(Bundle& b, uint32_t count);

// True as real root; else warns that the test needs it (scripts/test runs [root] tests so).
bool real_root();

// The pid of the container's init, as `state` reports it.
int init_pid(const Runtime& rt, const std::string& id);

// The probe's report from a run's stdout.
json probe_report(const Result& r);

// Runs the bundle's box-probe (`extra_args` go before the id) and returns its report; the
// test fails, with the runtime's stderr, when the run does.
json probe(Bundle& b, std::vector<std::string> extra_args = {});

// Whether a probe report's mount lists an option.
bool has_option(const json& mount, const std::string& opt);

// The mount at `target` in a probe report, or null.
json find_mount(const json& report, const std::string& target);

// True while pid runs (a zombie waiting for its reaper does not count).
bool is_alive(int pid);

// True when `part` occurs in `s`.
bool contains(const std::string& s, const std::string& part);
// `s` without its trailing newlines (a file of one line, a command's one line of output).
std::string trimmed(std::string s);

// 127.0.0.1:port, for the tests' own traffic; and a port nobody there listens on now
// (SOCK_STREAM or SOCK_DGRAM).
struct sockaddr_in loopback_address(int port);
int free_loopback_port(int type);

// The cgroup v2 path of a process ("/a/b"), from /proc/PID/cgroup.
std::string cgroup_of(int pid);

uint32_t own_uid();
uint32_t own_gid();

}  // namespace itest
