// The OCI lifecycle through the real CLI, as engines drive it.
#include <poll.h>
#include <pty.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "harness.hpp"
#include "util/fd_passing.hpp"
#include "util/sys.hpp"
#include "util/unix_socket.hpp"

using namespace itest;

namespace {

// 2026-11-22T19:23:17.123456789Z
bool is_rfc3339_nanos(const std::string& t) {
  const std::string shape = "dddd-dd-ddTdd:dd:dd.dddddddddZ";
  if (t.size() != shape.size()) return false;
  for (size_t i = 0; i < t.size(); ++i)
    if (shape[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(t[i])) : t[i] != shape[i])
      return false;
  return true;
}

// A listening unix socket that receives one pty master, as an engine's console socket does.
class ConsoleSocket {
 public:
  ConsoleSocket() : path_(dir_ / "console.sock") {
    listener_ = boxrt::listen_unix(path_, SOCK_STREAM, 1);
    REQUIRE(listener_);
  }
  const std::string& path() const { return path_; }

  // Accepts the runtime's connection and returns the descriptor it sent.
  boxrt::unique_fd receive_master() {
    boxrt::unique_fd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    REQUIRE(conn);
    return boxrt::receive_fd(conn.get(), "the pty master");
  }

 private:
  testing::TempDir dir_;
  std::string path_;
  boxrt::unique_fd listener_;
};

// Reads from a pty master until `want` shows up (or ~5 s pass).
std::string read_until(int fd, const std::string& want) {
  std::string seen;
  for (int i = 0; i < 100 && seen.find(want) == std::string::npos; ++i) {
    char buf[256];
    struct pollfd p = {fd, POLLIN, 0};
    if (::poll(&p, 1, 50) == 1) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) seen.append(buf, static_cast<size_t>(n));
    }
  }
  return seen;
}

json state_of(const Runtime& rt, const std::string& id) {
  Result r = rt({"state", id});
  REQUIRE(r.status == 0);
  return json::parse(r.out);
}

}  // namespace

TEST_CASE("run exits with the container's status") {
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"sh", "-c", "exit 7"};
  b.write();
  Result r = rt({"run", "-b", b.path(), "exit7"});
  CHECK(r.status == 7);
  CHECK(r.err.empty());
  CHECK(rt.leftovers().empty());  // run deletes the container when it ends
}

TEST_CASE("run of a container killed by a signal exits with 128+N") {
  Runtime rt;
  Bundle b;
  // Not pid 1 of a namespace of its own: pid 1 can't be killed from inside.
  auto& nss = *b.spec.linux->namespaces;
  std::erase_if(nss, [](const oci::Namespace& ns) { return ns.type == "pid"; });
  b.spec.process->args = oci::StringList{"sh", "-c", "kill -9 $$"};
  b.write();
  CHECK(rt({"run", "-b", b.path(), "killed"}).status == 128 + 9);
}

TEST_CASE("run passes stdin and stdout through") {
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"cat"};
  b.write();
  Result r = rt({"run", "-b", b.path(), "cat"}, "hello from the host\n");
  CHECK(r.status == 0);
  CHECK(r.out == "hello from the host\n");
}

TEST_CASE("create, start, kill, delete: each state as runc reports it") {
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"sleep", "30"};
  b.spec.annotations = oci::StringMap{{"org.boxapp.test", "lifecycle"}};
  b.write();
  testing::TempDir scratch;
  const std::string pid_file = scratch / "init.pid";

  REQUIRE(rt({"create", "--bundle", b.path(), "--pid-file", pid_file, "c1"}).status == 0);
  json s = state_of(rt, "c1");
  CHECK(s["status"] == "created");
  CHECK(s["id"] == "c1");
  CHECK(s["ociVersion"] == "1.2.0");
  CHECK(s["bundle"] == b.path());
  CHECK(s["rootfs"] == b.rootfs());
  CHECK(s["annotations"]["org.boxapp.test"] == "lifecycle");
  CHECK(s["owner"] == ::getpwuid(::getuid())->pw_name);
  CHECK(is_rfc3339_nanos(s["created"].get<std::string>()));
  const int pid = s["pid"];
  CHECK(pid > 0);
  CHECK(boxrt::read_file(pid_file) == std::to_string(pid));
  // Until start, the init must not have exec'd the process.
  CHECK(boxrt::read_file("/proc/" + std::to_string(pid) + "/comm") != "sleep\n");

  REQUIRE(rt({"start", "c1"}).status == 0);
  CHECK(state_of(rt, "c1")["status"] == "running");
  CHECK(boxrt::read_file("/proc/" + std::to_string(pid) + "/comm") == "sleep\n");
  Result again = rt({"start", "c1"});
  CHECK(again.status != 0);
  CHECK(again.err.find("is running, not created") != std::string::npos);

  Result del = rt({"delete", "c1"});
  CHECK(del.status != 0);
  CHECK(del.err.find("is running") != std::string::npos);

  REQUIRE(rt({"kill", "c1", "KILL"}).status == 0);
  for (int i = 0; i < 100 && state_of(rt, "c1")["status"] != "stopped"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  s = state_of(rt, "c1");
  CHECK(s["status"] == "stopped");
  CHECK(s["pid"] == 0);
  Result k = rt({"kill", "c1", "TERM"});
  CHECK(k.status != 0);
  CHECK(k.err.find("is not running") != std::string::npos);

  CHECK(rt({"delete", "c1"}).status == 0);
  Result gone = rt({"state", "c1"});
  CHECK(gone.status != 0);
  CHECK(gone.err == "boxapp-runtime: container `c1` does not exist\n");
  CHECK(rt.leftovers().empty());
}

TEST_CASE("kill takes signal names with or without SIG, and numbers") {
  Runtime rt;
  Bundle b;
  // The init is pid 1 in its namespace: it only gets signals it has handlers for.
  b.spec.process->args = oci::StringList{"sh", "-c",
                                         "trap 'echo got-usr1' USR1; trap 'exit 3' TERM; "
                                         "while true; do sleep 0.05; done"};
  b.write();
  REQUIRE(rt({"run", "-d", "-b", b.path(), "k1"}).status == 0);
  CHECK(rt({"kill", "k1", "SIGUSR1"}).status == 0);
  CHECK(rt({"kill", "k1", "USR1"}).status == 0);
  CHECK(rt({"kill", "k1", "10"}).status == 0);
  Result bad = rt({"kill", "k1", "NOSUCHSIG"});
  CHECK(bad.status != 0);
  CHECK(bad.err.find("unknown signal `NOSUCHSIG`") != std::string::npos);
  CHECK(rt({"kill", "k1"}).status == 0);  // SIGTERM by default
  json s;
  for (int i = 0; i < 100; ++i) {
    s = state_of(rt, "k1");
    if (s["status"] == "stopped") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(s["status"] == "stopped");
  CHECK(rt({"delete", "k1"}).status == 0);
}

TEST_CASE("run -d detaches; list and ps show the container; delete -f stops it") {
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"sh", "-c", "sleep 30 & sleep 30 & wait"};
  b.write();
  REQUIRE(rt({"run", "-d", "-b", b.path(), "d1"}).status == 0);
  Result l = rt({"list", "-f", "json"});
  REQUIRE(l.status == 0);
  json list = json::parse(l.out);
  REQUIRE(list.size() == 1);
  CHECK(list[0]["id"] == "d1");
  CHECK(list[0]["status"] == "running");
  CHECK(rt({"list", "-q"}).out == "d1\n");
  CHECK(rt({"list"}).out.find("d1") != std::string::npos);

  json pids;
  for (int i = 0; i < 50; ++i) {  // the shell forks its background sleep shortly
    pids = json::parse(rt({"ps", "-f", "json", "d1"}).out);
    if (pids.size() == 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(pids.size() == 3);
  CHECK(pids[0] == list[0]["pid"]);

  REQUIRE(rt({"delete", "-f", "d1"}).status == 0);
  for (int pid : pids)
    CHECK_FALSE(is_alive(pid));
  CHECK(rt.leftovers().empty());
}

TEST_CASE("kill --all signals every process in the container") {
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"sh", "-c", "sleep 30 & sleep 30 & wait"};
  b.write();
  REQUIRE(rt({"run", "-d", "-b", b.path(), "ka"}).status == 0);
  json pids;
  for (int i = 0; i < 50 && pids.size() != 3; ++i) {
    pids = json::parse(rt({"ps", "-f", "json", "ka"}).out);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(pids.size() == 3);
  REQUIRE(rt({"kill", "--all", "ka", "KILL"}).status == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (int pid : pids)
    CHECK_FALSE(is_alive(pid));
  rt({"delete", "-f", "ka"});
}

TEST_CASE("the console socket receives a working pty master") {
  Runtime rt;
  Bundle b;
  b.spec.process->terminal = true;
  b.spec.process->console_size = oci::ConsoleSize{33, 111, {}};
  b.spec.process->args = oci::StringList{
      "sh", "-c",
      "test -t 0 && echo tty-ok; stty size; stat -c uid=%u $(tty); read x; echo got-$x"};
  b.write();
  ConsoleSocket console;
  REQUIRE(rt({"create", "-b", b.path(), "--console-socket", console.path(), "tty1"}).status == 0);
  boxrt::unique_fd master = console.receive_master();

  REQUIRE(rt({"start", "tty1"}).status == 0);
  REQUIRE(::write(master.get(), "box\n", 4) == 4);
  std::string seen = read_until(master.get(), "got-box");
  CHECK(seen.find("tty-ok\n") != std::string::npos);
  CHECK(seen.find("got-box") != std::string::npos);
  // As runc's: the engine's own terminal maps \n to \r\n, so the pty doesn't (ONLCR off);
  // its size is process.consoleSize; it belongs to the process's user.
  CHECK(seen.find('\r') == std::string::npos);
  CHECK(seen.find("33 111\n") != std::string::npos);
  CHECK(seen.find("uid=" + std::to_string(b.spec.process->user->uid) + "\n") != std::string::npos);
  rt({"delete", "-f", "tty1"});
}

TEST_CASE("spec writes a schema-valid config and refuses to overwrite one") {
  Runtime rt;
  Bundle b;
  Result r = run_process({runtime_bin(), "spec", "--rootless", "-b", b.path()});
  REQUIRE(r.status == 0);
  CHECK(testing::schema_errors(json::parse(boxrt::read_file(b.path() + "/config.json"))) ==
        std::nullopt);
  Result twice = run_process({runtime_bin(), "spec", "--rootless", "-b", b.path()});
  CHECK(twice.status != 0);
  CHECK(twice.err.find("exists") != std::string::npos);
}

TEST_CASE("exec runs a process inside the running container's namespaces") {
  Runtime rt;
  Bundle b;
  b.spec.hostname = "execbox";
  b.spec.process->args = oci::StringList{"sleep", "30"};
  b.write();
  REQUIRE(rt({"run", "-d", "-b", b.path(), "ex"}).status == 0);

  Result r = rt({"exec", "ex", "sh", "-c", "echo $$; hostname; cat /proc/1/comm; exit 4"});
  INFO(r.err);
  CHECK(r.status == 4);
  // A small pid: inside the container's pid namespace, whose pid 1 is the init.
  const std::string first = r.out.substr(0, r.out.find('\n'));
  CHECK(first != "1");
  CHECK(std::stoi(first) < 100);
  CHECK(r.out.substr(first.size()) == "\nexecbox\nsleep\n");

  Result env = rt({"exec", "-e", "FOO=bar", "-e", "PATH=/bin", "--cwd", "/dev", "ex", "sh", "-c",
                   "echo $FOO $PATH; pwd"});
  CHECK(env.status == 0);
  CHECK(env.out == "bar /bin\n/dev\n");

  Result probe = rt({"exec", "ex", "/bin/box-probe"});
  REQUIRE(probe.status == 0);
  json report = probe_report(probe);
  CHECK(report["fds"].size() == 3);  // stdio and nothing of the runtime's
  CHECK(report["hostname"] == "execbox");

  rt({"delete", "-f", "ex"});
}

TEST_CASE("exec -d with a pid file, and exec --process FILE") {
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"sleep", "30"};
  b.write();
  REQUIRE(rt({"run", "-d", "-b", b.path(), "exd"}).status == 0);
  testing::TempDir scratch;
  REQUIRE(rt({"exec", "-d", "--pid-file", scratch / "pid", "exd", "sleep", "20"}).status == 0);
  int pid = std::stoi(boxrt::read_file(scratch / "pid"));
  CHECK(is_alive(pid));
  json pids = json::parse(rt({"ps", "-f", "json", "exd"}).out);
  CHECK(std::find(pids.begin(), pids.end(), pid) != pids.end());

  std::ofstream(scratch / "process.json")
      << R"({"args": ["sh", "-c", "echo from-file $X"], "env": ["X=1", "PATH=/bin"], "cwd": "/"})";
  Result r = rt({"exec", "--process", scratch / "process.json", "exd"});
  CHECK(r.status == 0);
  CHECK(r.out == "from-file 1\n");

  std::ofstream(scratch / "bad.json") << R"({"args": ["true"], "cwd": "relative"})";
  Result bad = rt({"exec", "-p", scratch / "bad.json", "exd"});
  CHECK(bad.status == 255);  // runc's status for exec's own failures
  CHECK(bad.err == "boxapp-runtime: " + scratch / "bad.json" +
                       ": cwd: must be an absolute path, not \"relative\"\n");
  rt({"delete", "-f", "exd"});
}

TEST_CASE("exec with a terminal sends its pty to the console socket") {
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"sleep", "30"};
  b.write();
  REQUIRE(rt({"run", "-d", "-b", b.path(), "ext"}).status == 0);
  ConsoleSocket console;
  REQUIRE(rt({"exec", "-d", "-t", "--console-socket", console.path(), "ext", "sh", "-c",
              "test -t 1 && echo exec-tty-ok; read x; echo got-$x"})
              .status == 0);
  boxrt::unique_fd master = console.receive_master();
  REQUIRE(::write(master.get(), "pty\n", 4) == 4);
  std::string seen = read_until(master.get(), "got-pty");
  CHECK(seen.find("exec-tty-ok") != std::string::npos);
  CHECK(seen.find("got-pty") != std::string::npos);
  rt({"delete", "-f", "ext"});
}

TEST_CASE("exec into a stopped or unknown container is an error") {
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"true"};
  b.write();
  REQUIRE(rt({"run", "--keep", "-b", b.path(), "done"}).status == 0);
  Result r = rt({"exec", "done", "true"});
  CHECK(r.status == 255);
  CHECK(r.err == "boxapp-runtime: container `done` is stopped: cannot exec in it\n");
  CHECK(rt({"exec", "ghost", "true"}).err == "boxapp-runtime: container `ghost` does not exist\n");
  CHECK(rt({"delete", "done"}).status == 0);
}

TEST_CASE("features is a valid runtime-spec features document") {
  Result r = run_process({runtime_bin(), "features"});
  REQUIRE(r.status == 0);
  json f = json::parse(r.out);
  if (testing::oci_schema_has("features-schema.json"))
    CHECK(testing::schema_errors(f, "features-schema.json") == std::nullopt);
  else
    WARN(testing::oci_schema_lacks("features-schema.json"));
  CHECK(f["ociVersionMax"] == "1.2.0");
  const auto& opts = f["mountOptions"];
  for (const char* o : {"rbind", "ro", "rro", "nosuid", "rslave", "strictatime"})
    CHECK(std::find(opts.begin(), opts.end(), o) != opts.end());
  CHECK(f["linux"]["namespaces"].size() == 8);
  CHECK(f["linux"]["capabilities"][0] == "CAP_CHOWN");
  CHECK(f["linux"]["seccomp"]["enabled"] == true);
  CHECK(f["linux"]["cgroup"]["v2"] == true);
  CHECK(f["hooks"].size() == 6);
}

TEST_CASE("--log with --log-format json gets one JSON object per error") {
  Runtime rt;
  testing::TempDir scratch;
  Result r = rt({"--log", scratch / "log.json", "--log-format", "json", "state", "ghost"});
  CHECK(r.status == 1);
  json line = json::parse(boxrt::read_file(scratch / "log.json"));
  CHECK(line["level"] == "error");
  CHECK(line["msg"] == "container `ghost` does not exist");
  CHECK(line.contains("time"));
}

namespace {

// Runs argv on a new pty, as from a user's terminal; types `input`, returns (exit status,
// everything shown).
std::pair<int, std::string> run_on_terminal(const std::vector<std::string>& argv,
                                            const std::string& input, const std::string& until) {
  int master_fd;
  pid_t pid = ::forkpty(&master_fd, nullptr, nullptr, nullptr);
  REQUIRE(pid >= 0);
  if (pid == 0) exec_argv(argv);
  boxrt::unique_fd master(master_fd);
  std::string seen = read_until(master.get(), "is-a-tty");
  (void)!::write(master.get(), input.data(), input.size());
  seen += read_until(master.get(), until);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, seen};
}

}  // namespace

TEST_CASE("run -t relays the user's terminal when there is no console socket") {
  Runtime rt;
  Bundle b;
  b.spec.process->terminal = true;
  b.spec.process->args =
      oci::StringList{"sh", "-c", "test -t 0 && echo is-a-tty; read x; echo got-$x; exit 3"};
  b.write();
  auto [status, shown] = run_on_terminal(
      {runtime_bin(), "--root", rt.root(), "run", "-b", b.path(), "term"}, "abc\r", "got-abc");
  CHECK(shown.find("is-a-tty") != std::string::npos);
  CHECK(shown.find("got-abc") != std::string::npos);
  CHECK(status == 3);
}

TEST_CASE("a terminal with run -d or create needs a console socket") {
  Runtime rt;
  Bundle b;
  b.spec.process->terminal = true;
  b.write();
  for (auto args : {std::vector<std::string>{"run", "-d", "-b", b.path(), "t1"},
                    std::vector<std::string>{"create", "-b", b.path(), "t2"}}) {
    Result r = rt(args);
    CHECK(r.status == 1);
    CHECK(r.err ==
          "boxapp-runtime: process.terminal: a container that runs detached needs "
          "--console-socket to send its terminal to\n");
  }
  CHECK(rt.leftovers().empty());
}

TEST_CASE("exec -t relays the user's terminal") {
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"sleep", "30"};
  b.write();
  REQUIRE(rt({"run", "-d", "-b", b.path(), "exterm"}).status == 0);
  auto [status, shown] =
      run_on_terminal({runtime_bin(), "--root", rt.root(), "exec", "-t", "exterm", "sh", "-c",
                       "test -t 0 && echo is-a-tty; read x; echo got-$x"},
                      "xyz\r", "got-xyz");
  CHECK(shown.find("got-xyz") != std::string::npos);
  CHECK(status == 0);
  rt({"delete", "-f", "exterm"});
}

TEST_CASE("--debug says what the runtime does, in the --log file and format") {
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"true"};
  b.write();
  testing::TempDir scratch;
  Result r = rt({"--debug", "--log", scratch / "log.json", "--log-format", "json", "run", "-b",
                 b.path(), "dbg"});
  REQUIRE(r.status == 0);
  CHECK(r.err.empty());
  std::string log = boxrt::read_file(scratch / "log.json");
  bool init_line = false;
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    json line = json::parse(log.substr(start, end - start));
    CHECK(line["level"] == "debug");
    init_line |= line["msg"].get<std::string>().find("container `dbg`: init is process") == 0;
    start = end + 1;
  }
  CHECK(init_line);
  // Without --debug, nothing but errors.
  Result quiet = rt({"--log", scratch / "quiet.log", "run", "-b", b.path(), "quiet"});
  REQUIRE(quiet.status == 0);
  CHECK(::access((scratch / "quiet.log").c_str(), F_OK) != 0);
}
