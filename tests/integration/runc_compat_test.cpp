// What engines and scripts written for runc rely on, beyond the spec: the documents runc
// accepts, its command line, its exit statuses and output shapes.
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "harness.hpp"
#include "oci/make_mount.hpp"
#include "util/sys.hpp"
#include "util/unix_socket.hpp"

using namespace itest;

namespace {

// A running container whose init sleeps, deleted when the test ends.
struct Sleeper {
  Runtime& rt;
  Bundle b;
  std::string id;
  Sleeper(Runtime& r, const std::string& name, bool create_only = false) : rt(r), id(name) {
    b.spec.process->args = oci::StringList{"sleep", "30"};
    b.write();
    Result res =
        create_only ? rt({"create", "-b", b.path(), id}) : rt({"run", "-d", "-b", b.path(), id});
    INFO(res.err);
    REQUIRE(res.status == 0);
  }
  ~Sleeper() { rt({"delete", "-f", id}); }
};

}  // namespace

TEST_CASE("documents runc accepts: r-propagation, unknown capabilities, empty namespace paths") {
  SECTION("rootfsPropagation rprivate, rslave") {
    for (const char* p : {"rprivate", "rslave"}) {
      Bundle b;
      b.spec.linux->rootfs_propagation = p;
      CHECK(probe(b).contains("uid"));
    }
  }
  SECTION("a capability newer than our table is skipped with a warning") {
    Runtime rt;
    Bundle b;
    b.spec.process->capabilities->bounding->push_back("CAP_TEST");
    b.spec.process->capabilities->effective->push_back("CAP_TEST");
    b.write();
    Result r = rt({"run", "-b", b.path(), "newcap"});
    CHECK(r.status == 0);
    CHECK(contains(r.err, "ignoring capability CAP_TEST"));
    CHECK(probe_report(r).contains("uid"));
  }
  SECTION("path \"\" is a new namespace") {
    Bundle b;
    for (auto& ns : *b.spec.linux->namespaces)
      if (ns.type == "ipc") ns.path = "";
    CHECK(probe(b).contains("uid"));
  }
}

TEST_CASE("a process user other than the runtime's: create, then start") {
  // The init waits for `start` as the container's user (it once died unseen, when it had
  // to reopen a fifo of ours as that user).
  Runtime rt;
  Bundle b;
  if (!map_subordinate_ids(b, 1000)) return;
  b.spec.process->user->uid = 1000 - 1;
  b.spec.process->user->gid = 7;
  b.write();
  REQUIRE(rt({"create", "-b", b.path(), "other"}).status == 0);
  Result started = rt({"start", "other"});
  CHECK(started.status == 0);
  INFO(started.err);
  CHECK(started.err.empty());
  rt({"delete", "-f", "other"});
}

TEST_CASE("exec takes runc's flags: one value per --env, --cap, --no-new-privs") {
  Runtime rt;
  Sleeper s(rt, "flags");
  Result r = rt({"exec", "--env", "BOX_A=1", "-e", "BOX_B=2", "--env=BOX_C=3", "flags", "sh", "-c",
                 "echo $BOX_A$BOX_B$BOX_C"});
  CHECK(r.status == 0);
  CHECK(r.out == "123\n");
  r = rt({"exec", "--cap", "CAP_KILL", "--no-new-privs", "flags", "/bin/box-probe"});
  REQUIRE(r.status == 0);
  json report = probe_report(r);
  CHECK(report["no_new_privs"] == 1);
  const uint64_t eff = std::stoull(report["caps"]["eff"].get<std::string>(), nullptr, 16);
  CHECK((eff & (uint64_t{1} << 5)) != 0);  // CAP_KILL
  // --cgroup names a sub-cgroup that must exist; none here: one clear line, runc's 255.
  r = rt({"exec", "--cgroup", "../escape", "flags", "true"});
  CHECK(r.status == 255);
  CHECK(contains(r.err, "--cgroup `../escape`: use a path below the container's cgroup"));
}

TEST_CASE("exit statuses as runc's: kill 0 probes, exec's own failures are 255, unknown commands") {
  Runtime rt;
  {
    Sleeper s(rt, "probe0");
    CHECK(rt({"kill", "probe0", "0"}).status == 0);
    CHECK(rt({"exec", "probe0", "sh", "-c", "exit 7"}).status == 7);
    // Found missing before the process runs: the runtime's failure, not the process's.
    Result r = rt({"exec", "probe0", "/no/such/program"});
    CHECK(r.status == 255);
  }
  CHECK(rt({"kill", "probe0", "0"}).status == 1);  // gone
  Result r = rt({"exec", "probe0", "true"});
  CHECK(r.status == 255);
  CHECK(contains(r.err, "container `probe0` does not exist"));
  r = rt({"foo"});
  CHECK(r.status == 3);
  CHECK(r.err == "boxapp-runtime: No help topic for 'foo'\n");
  CHECK(rt({"foo", "-h"}).status == 3);
  r = rt({"--version"});
  CHECK(r.status == 0);
  CHECK(r.out.rfind("boxapp-runtime version ", 0) == 0);
  CHECK(contains(r.out, "\nspec: 1.2.0\nlibseccomp: "));
  CHECK(contains(r.out, "+SYSTEMD"));
}

TEST_CASE("list --format json in runc's key order") {
  Runtime rt;
  Sleeper s(rt, "ordered");
  Result r = rt({"list", "--format", "json"});
  REQUIRE(r.status == 0);
  std::vector<size_t> at;
  for (const char* key : {"\"ociVersion\"", "\"id\"", "\"pid\"", "\"status\"", "\"bundle\"",
                          "\"rootfs\"", "\"created\"", "\"owner\""}) {
    at.push_back(r.out.find(key));
    CHECK(at.back() != std::string::npos);
  }
  CHECK(std::is_sorted(at.begin(), at.end()));
}

TEST_CASE("the state root: the whole --root path is made, as containerd's shim expects") {
  testing::TempDir top;
  const std::string root = top / "runc/default";
  Bundle b;
  b.write();
  Result r = run_process({runtime_bin(), "--root", root, "run", "-b", b.path(), "deep"});
  CHECK(r.status == 0);
  CHECK(boxrt::path_exists(root));
  // Deleted after it ran: the id is free again (podman deletes, then creates it anew).
  CHECK(!boxrt::path_exists(root + "/deep"));
  r = run_process({runtime_bin(), "--root", root, "run", "-b", b.path(), "deep"});
  CHECK(r.status == 0);
}

TEST_CASE("a state root too deep for a socket address: create, exec, start") {
  // The start socket's path is longer than sun_path's 108 bytes; it is bound and reached
  // through the directory's descriptor.
  testing::TempDir top;
  const std::string root = top / std::string(100, 'd');
  Bundle b;
  b.spec.process->args = oci::StringList{"sleep", "30"};
  b.write();
  auto rt = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {runtime_bin(), "--root", root});
    return run_process(args);
  };
  Result r = rt({"create", "-b", b.path(), "deep"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(rt({"exec", "deep", "true"}).status == 0);
  CHECK(rt({"start", "deep"}).status == 0);
  CHECK(rt({"state", "deep"}).out.find("\"running\"") != std::string::npos);
  CHECK(rt({"delete", "-f", "deep"}).status == 0);
}

TEST_CASE("the rootfs as runc sets it up: tmpcopyup, a missing cwd, a read-only /dev, ptmx") {
  SECTION("tmpcopyup fills the tmpfs with what it covers") {
    Runtime rt;
    Bundle b;
    ::mkdir((b.rootfs() + "/data").c_str(), 0750);
    ::mkdir((b.rootfs() + "/data/sub").c_str(), 0700);
    std::ofstream(b.rootfs() + "/data/sub/f") << "image-content\n";
    ::symlink("sub/f", (b.rootfs() + "/data/link").c_str());
    b.spec.mounts->push_back(oci::make_mount("/data", "tmpfs", "tmpfs", {"tmpcopyup", "ro"}));
    b.spec.process->args = oci::StringList{
        "sh", "-c", "cat /data/link; stat -c %a /data /data/sub; touch /data/new || echo ro"};
    b.write();
    Result r = rt({"run", "-b", b.path(), "copyup"});
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(r.out == "image-content\n750\n700\nro\n");
  }
  SECTION("a missing process.cwd is made") {
    Bundle b;
    b.spec.process->cwd = "/work/deep";
    b.spec.process->args = oci::StringList{"pwd"};
    b.write();
    Runtime rt;
    Result r = rt({"run", "-b", b.path(), "cwd"});
    CHECK(r.status == 0);
    CHECK(r.out == "/work/deep\n");
  }
  SECTION("ro on /dev applies after its nodes and submounts; a /dev/ptmx entry is ignored") {
    Bundle b;
    for (auto& m : *b.spec.mounts)
      if (m.destination == "/dev") m.options->push_back("ro");
    oci::Device ptmx;
    ptmx.type = "c";
    ptmx.path = "/dev/ptmx";
    ptmx.major = 5;
    ptmx.minor = 2;
    b.spec.linux->devices = std::vector<oci::Device>{ptmx};
    b.spec.process->args =
        oci::StringList{"sh", "-c", "busybox readlink /dev/ptmx; touch /dev/x || echo ro"};
    b.write();
    Runtime rt;
    Result r = rt({"run", "-b", b.path(), "rodev"});
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(r.out == "pts/ptmx\nro\n");
  }
}

TEST_CASE("the environment as runc gives it: HOME, socket activation's descriptors") {
  Runtime rt;
  Bundle b;
  std::ofstream(b.rootfs() + "/etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n";
  b.spec.process->env = oci::StringList{"PATH=/bin"};
  b.spec.process->args = oci::StringList{"sh", "-c", "echo $HOME $LISTEN_FDS $LISTEN_PID; cat <&3"};
  b.write();
  // As systemd hands a socket over: fd 3, LISTEN_FDS=1, LISTEN_PID the runtime's own.
  Result r = run_process({"/bin/sh", "-c",
                          "exec 3<\"$2/config.json\"; export LISTEN_FDS=1 LISTEN_PID=$$; "
                          "exec \"$0\" --root \"$1\" run -b \"$2\" activated",
                          runtime_bin(), rt.root(), b.path()});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out.rfind("/root 1 1\n{", 0) == 0);
}

// runc's rule for boxapp-runtime (boxapp's own boxes warn instead: docs/design.md).
TEST_CASE("limits or a cgroupsPath that can't be had fail the start, unless the spec says not") {
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"true"};
  b.spec.linux->cgroups_path = "/boxapp-not-delegated/x";  // not ours to write
  b.write();
  Result r = rt({"run", "-b", b.path(), "strict"});
  CHECK(r.status == 1);
  CHECK(contains(r.err, "linux.resources: can't be applied: create cgroup `"));
  CHECK(contains(r.err, "(the annotation boxapp.resources.required=false runs it without them)"));
  CHECK(rt.leftovers().empty());
  b.spec.annotations = std::map<std::string, std::string>{{"boxapp.resources.required", "false"}};
  b.write();
  CHECK(rt({"run", "-b", b.path(), "lenient"}).status == 0);
  // --cgroup-manager=disabled: no cgroup asked for, none missed.
  b.spec.annotations.reset();
  b.write();
  CHECK(rt({"--cgroup-manager", "disabled", "run", "-b", b.path(), "disabled"}).status == 0);
}

// systemd's Type=notify (and podman --sdnotify=container) through the runtime, as runc does it.
TEST_CASE("NOTIFY_SOCKET: the container's READY=1 reaches the caller's socket with MAINPID") {
  Runtime rt;
  testing::TempDir dir;
  const std::string caller = dir / "notify.sock";
  boxrt::unique_fd sock = boxrt::bind_unix(caller, SOCK_DGRAM);
  REQUIRE(sock);
  Bundle b;
  b.spec.process->args = oci::StringList{
      "sh", "-c", "echo $NOTIFY_SOCKET; /bin/box-probe notify READY=1 && exec sleep 30"};
  b.write();
  for (const char* mode : {"run", "create"}) {
    INFO(mode);
    const std::string id = std::string("notify-") + mode;
    auto with_socket = [&](std::vector<std::string> args) {
      std::vector<std::string> argv = {"/usr/bin/env", "NOTIFY_SOCKET=" + caller, runtime_bin(),
                                       "--root", rt.root()};
      argv.insert(argv.end(), args.begin(), args.end());
      return run_process(argv);
    };
    // run -d returns once the process said it is ready; start too, after create.
    Result r = std::string(mode) == "run" ? with_socket({"run", "-d", "-b", b.path(), id})
                                          : with_socket({"create", "-b", b.path(), id});
    INFO(r.err);
    REQUIRE(r.status == 0);
    if (std::string(mode) == "create") REQUIRE(with_socket({"start", id}).status == 0);
    std::string got;
    char buf[256];
    for (int i = 0; i < 2; ++i) {
      ssize_t n = ::recv(sock.get(), buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) got.append(buf, static_cast<size_t>(n));
    }
    CHECK(got == "MAINPID=" + std::to_string(init_pid(rt, id)) + "\nREADY=1");
    rt({"delete", "-f", id});
  }
}
