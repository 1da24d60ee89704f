// linux.seccomp observed from inside: every action, every argument operator.
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <thread>

#include "harness.hpp"
#include "util/unique_fd.hpp"
#include "util/unix_socket.hpp"

using namespace itest;

namespace {

// A syscall whose first argument we choose freely and that always succeeds unfiltered.
const std::string kUmask = std::to_string(SYS_umask);

oci::Seccomp allow_all_but(std::vector<oci::SyscallRule> rules) {
  oci::Seccomp s;
  s.default_action = "SCMP_ACT_ALLOW";
  s.syscalls = std::move(rules);
  return s;
}

oci::SyscallRule rule(std::vector<std::string> names, std::string action,
                      std::optional<uint32_t> errno_ret = std::nullopt,
                      std::vector<oci::SyscallArg> args = {}) {
  oci::SyscallRule r;
  r.names = std::move(names);
  r.action = std::move(action);
  r.errno_ret = errno_ret;
  if (!args.empty()) r.args = std::move(args);
  return r;
}

oci::SyscallArg arg0(std::string op, uint64_t value, std::optional<uint64_t> two = {}) {
  oci::SyscallArg a;
  a.index = 0;
  a.op = std::move(op);
  a.value = value;
  a.value_two = two;
  return a;
}

Result run_probe(Bundle& b, std::vector<std::string> args, bool nnp = true) {
  b.spec.process->no_new_privileges = nnp;
  b.spec.process->args = std::vector<std::string>{"/bin/box-probe"};
  b.spec.process->args->insert(b.spec.process->args->end(), args.begin(), args.end());
  b.write();
  Runtime rt;
  return rt({"run", "-b", b.path(), "sc"});
}

}  // namespace

TEST_CASE("SCMP_ACT_ERRNO returns errnoRet (EPERM by default); others pass; the mode shows") {
  Bundle b;
  b.spec.linux->seccomp = allow_all_but({rule({"umask"}, "SCMP_ACT_ERRNO", 42)});
  Result r = run_probe(b, {"syscall", kUmask, "0", "18"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == "[42,42]\n");

  Bundle d;
  d.spec.linux->seccomp = allow_all_but({rule({"umask"}, "SCMP_ACT_ERRNO")});
  CHECK(run_probe(d, {"syscall", kUmask, "0"}).out == "[1]\n");  // EPERM

  Bundle m;
  m.spec.linux->seccomp = allow_all_but({rule({"umask"}, "SCMP_ACT_ERRNO", 42)});
  Result report = run_probe(m, {});
  REQUIRE(report.status == 0);
  CHECK(probe_report(report)["seccomp"] == 2);  // filter mode
}

TEST_CASE("every argument operator compares the way the spec says") {
  struct Case {
    const char* op;
    uint64_t value;
    std::optional<uint64_t> value_two;
    std::string expected;  // errno for umask(16), umask(18), umask(20)
  };
  const std::vector<Case> cases = {
      {"SCMP_CMP_EQ", 18, {}, "[0,42,0]"},
      {"SCMP_CMP_NE", 18, {}, "[42,0,42]"},
      {"SCMP_CMP_LT", 18, {}, "[42,0,0]"},
      {"SCMP_CMP_LE", 18, {}, "[42,42,0]"},
      {"SCMP_CMP_GT", 18, {}, "[0,0,42]"},
      {"SCMP_CMP_GE", 18, {}, "[0,42,42]"},
      // (arg & 0b0110) == 0b0010: 16 -> 0, 18 -> 2, 20 -> 4
      {"SCMP_CMP_MASKED_EQ", 6, 2, "[0,42,0]"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.op) {
      Bundle b;
      b.spec.linux->seccomp = allow_all_but(
          {rule({"umask"}, "SCMP_ACT_ERRNO", 42, {arg0(c.op, c.value, c.value_two)})});
      Result r = run_probe(b, {"syscall", kUmask, "16", "18", "20"});
      INFO(r.err);
      CHECK(r.out == c.expected + "\n");
    }
  }
}

TEST_CASE("kill, kill_process, kill_thread and trap end the process with SIGSYS") {
  for (const char* action :
       {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP"}) {
    DYNAMIC_SECTION(action) {
      Bundle b;
      b.spec.linux->seccomp = allow_all_but({rule({"umask"}, action)});
      Result r = run_probe(b, {"syscall", kUmask, "0"});
      CHECK(r.status == 128 + SIGSYS);
      CHECK(r.out.empty());
    }
  }
}

TEST_CASE("allow and log let the call through; unknown syscall names are skipped") {
  Bundle b;
  b.spec.linux->seccomp = allow_all_but({rule({"no_such_syscall_at_all", "umask"}, "SCMP_ACT_LOG"),
                                         rule({"getpid"}, "SCMP_ACT_ALLOW")});
  Result r = run_probe(b, {"syscall", kUmask, "0"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "[0]\n");
}

TEST_CASE("without no_new_privs the filter is loaded while the init still may, and exec gets it") {
  Bundle b;
  b.spec.linux->seccomp = allow_all_but({rule({"umask"}, "SCMP_ACT_ERRNO", 42)});
  Result r = run_probe(b, {"syscall", kUmask, "0"}, /*nnp=*/false);
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "[42]\n");

  Runtime rt;
  Bundle live;
  live.spec.linux->seccomp = allow_all_but({rule({"umask"}, "SCMP_ACT_ERRNO", 43)});
  live.spec.process->args = oci::StringList{"sleep", "30"};
  live.write();
  REQUIRE(rt({"run", "-d", "-b", live.path(), "scexec"}).status == 0);
  Result e = rt({"exec", "scexec", "/bin/box-probe", "syscall", kUmask, "0"});
  CHECK(e.out == "[43]\n");
  rt({"delete", "-f", "scexec"});
}

TEST_CASE("a compiled filter is cached per profile, and the cached one filters the same") {
  Runtime rt;
  const std::string cache = rt.root() + "/@seccomp-cache";
  auto entries = [&] {
    Result ls = run_process({"/bin/sh", "-c", "ls " + cache + " 2>/dev/null | wc -l"});
    return std::stoi(ls.out);
  };
  Bundle b;
  b.spec.linux->seccomp = allow_all_but({rule({"umask"}, "SCMP_ACT_ERRNO", 42)});
  b.spec.process->args = oci::StringList{"/bin/box-probe", "syscall", kUmask, "0"};
  b.write();
  for (int run = 0; run < 2; ++run) {
    Result r = rt({"--debug", "run", "-b", b.path(), "cached"});
    CHECK(r.out == "[42]\n");
    CHECK(r.err.find(run == 0 ? "compiled in" : "from the cache in") != std::string::npos);
  }
  CHECK(entries() == 1);
  // Another profile is another entry; a damaged entry is only compiled again.
  b.spec.linux->seccomp = allow_all_but({rule({"umask"}, "SCMP_ACT_ERRNO", 43)});
  b.write();
  CHECK(rt({"run", "-b", b.path(), "other"}).out == "[43]\n");
  CHECK(entries() == 2);
  // The very first container: its state root is made only after the filter is compiled.
  const std::string fresh = rt.root() + "/@fresh";
  for (int run = 0; run < 2; ++run) {
    Result r = run_process({runtime_bin(), "--root", fresh, "--debug", "run", "-b", b.path(), "f"});
    CHECK(r.err.find(run == 0 ? "compiled in" : "from the cache in") != std::string::npos);
  }
  run_process({"/bin/sh", "-c", "for f in " + cache + "/*; do printf garbage > $f; done"});
  Result again = rt({"--debug", "run", "-b", b.path(), "damaged"});
  CHECK(again.out == "[43]\n");
  CHECK(again.err.find("compiled in") != std::string::npos);
}

TEST_CASE("SCMP_ACT_NOTIFY hands the call to the agent at listenerPath") {
  testing::TempDir dir;
  const std::string path = dir / "agent.sock";
  boxrt::unique_fd listener = boxrt::listen_unix(path, SOCK_STREAM, 1);
  REQUIRE(listener);

  Runtime rt;
  Bundle b;
  oci::Seccomp s = allow_all_but({rule({"umask"}, "SCMP_ACT_NOTIFY")});
  s.listener_path = path;
  s.listener_metadata = "agent-says-hello";
  b.spec.linux->seccomp = s;
  b.spec.process->args = oci::StringList{"/bin/box-probe", "syscall", kUmask, "0", "18"};
  b.write();
  Result r;
  std::thread run([&] { r = rt({"run", "-b", b.path(), "notify"}); });

  // The agent: the process state and the notify fd, then an answer per call: umask(0) fails
  // with 77, anything else succeeds.
  boxrt::unique_fd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  REQUIRE(conn);
  char buf[16384];
  struct iovec iov = {buf, sizeof buf};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = ::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC);
  REQUIRE(n > 0);
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  REQUIRE(c);
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  boxrt::unique_fd notify(fd);
  json state = json::parse(std::string(buf, static_cast<size_t>(n)));
  CHECK(state["fds"] == json{"seccompFd"});
  CHECK(state["metadata"] == "agent-says-hello");
  CHECK(state["state"]["id"] == "notify");
  CHECK(state["pid"].get<int>() > 0);
  for (int call = 0; call < 2; ++call) {
    struct seccomp_notif req = {};
    REQUIRE(::ioctl(notify.get(), SECCOMP_IOCTL_NOTIF_RECV, &req) == 0);
    CHECK(req.data.nr == SYS_umask);
    struct seccomp_notif_resp resp = {};
    resp.id = req.id;
    resp.error = req.data.args[0] == 0 ? -77 : 0;
    REQUIRE(::ioctl(notify.get(), SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0);
  }
  run.join();
  CHECK(r.status == 0);
  CHECK(r.out == "[77,0]\n");
}

TEST_CASE("SCMP_ACT_NOTIFY without a reachable agent is a clear error") {
  Runtime rt;
  Bundle b;
  b.spec.linux->seccomp = allow_all_but({rule({"umask"}, "SCMP_ACT_NOTIFY")});
  b.write();
  Result no_path = rt({"run", "-b", b.path(), "nopath"});
  CHECK(no_path.status == 1);
  CHECK(no_path.err.find("linux.seccomp.listenerPath: required when an action is "
                         "SCMP_ACT_NOTIFY") != std::string::npos);
  b.spec.linux->seccomp->listener_path = "/nonexistent/agent.sock";
  b.write();
  Result gone = rt({"run", "-b", b.path(), "noagent"});
  CHECK(gone.status == 1);
  CHECK(gone.err.find("connect to linux.seccomp.listenerPath `/nonexistent/agent.sock`: No "
                      "such file or directory") != std::string::npos);
  CHECK(rt.leftovers().empty());
}

TEST_CASE("seccomp rules as runc reads them: conditions on one argument, notify's limits") {
  SECTION("two conditions on the same argument: either matches") {
    Bundle b;
    b.spec.linux->seccomp = allow_all_but(
        {rule({"umask"}, "SCMP_ACT_ERRNO", 42, {arg0("SCMP_CMP_EQ", 0), arg0("SCMP_CMP_EQ", 18)})});
    Result r = run_probe(b, {"syscall", kUmask, "0", "18", "7"});
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(r.out.rfind("[42,42,", 0) == 0);
    CHECK(r.out != "[42,42,42]\n");
  }
  SECTION("SCMP_ACT_NOTIFY on write, or as the default action, is refused") {
    Runtime rt;
    Bundle b;
    oci::Seccomp s = allow_all_but({rule({"write"}, "SCMP_ACT_NOTIFY")});
    s.listener_path = "/nonexistent/agent.sock";
    b.spec.linux->seccomp = s;
    b.write();
    Result r = rt({"run", "-b", b.path(), "nwrite"});
    CHECK(r.status == 1);
    CHECK(contains(r.err, "linux.seccomp.syscalls[0]: SCMP_ACT_NOTIFY cannot be used for write"));
    b.spec.linux->seccomp->default_action = "SCMP_ACT_NOTIFY";
    b.spec.linux->seccomp->syscalls.reset();
    b.write();
    r = rt({"run", "-b", b.path(), "ndefault"});
    CHECK(r.status == 1);
    CHECK(contains(r.err, "SCMP_ACT_NOTIFY cannot be the default action"));
    CHECK(rt.leftovers().empty());
  }
  SECTION("a listenerPath with no notify rule is not connected to") {
    Bundle b;
    oci::Seccomp s = allow_all_but({rule({"umask"}, "SCMP_ACT_ERRNO", 42)});
    s.listener_path = "/nonexistent/agent.sock";
    b.spec.linux->seccomp = s;
    Result r = run_probe(b, {"syscall", kUmask, "0"});
    CHECK(r.status == 0);
    CHECK(r.out == "[42]\n");
  }
}

TEST_CASE("a startContainer hook runs under the container's seccomp filter") {
  Runtime rt;
  Bundle b;
  b.spec.linux->seccomp = allow_all_but({rule({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO")});
  b.spec.process->no_new_privileges = true;  // the filter loaded last, right before the hook
  oci::Hook hook;
  hook.path = "/bin/sh";
  hook.args = oci::StringList{"sh", "-c", "mkdir /dev/shm/d 2>/dev/null || touch /dev/shm/blocked"};
  oci::Hooks hooks;
  hooks.start_container = std::vector<oci::Hook>{hook};
  b.spec.hooks = hooks;
  b.spec.process->args = oci::StringList{"sh", "-c", "ls /dev/shm"};
  b.write();
  Result r = rt({"run", "-b", b.path(), "hooksc"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "blocked\n");
}
