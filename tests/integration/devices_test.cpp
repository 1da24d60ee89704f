// Sound, GPU and camera devices reach the boxes whose profiles grant them, and no others.
// This machine has no such hardware (nor kernel modules to add it), so the test makes the
// nodes itself, with their real major numbers (ALSA 116, DRM 226, V4L 81), on a tmpfs /dev
// in a mount namespace of its own: the host's /dev is untouched, and what is under test —
// which nodes a box gets — doesn't depend on a driver being behind them. Needs real root
// to make nodes (scripts/test runs "[root]" tests as root).
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "harness.hpp"
#include "util/sys.hpp"

using namespace itest;

namespace {

struct Node {
  const char* path;
  int major, minor;
};

// What a /dev needs for boxapp itself, and the desktop devices.
constexpr Node kNodes[] = {
    {"/dev/null", 1, 3},
    {"/dev/zero", 1, 5},
    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8},
    {"/dev/urandom", 1, 9},
    {"/dev/tty", 5, 0},
    {"/dev/snd/controlC0", 116, 0},
    {"/dev/snd/pcmC0D0p", 116, 16},
    {"/dev/dri/card0", 226, 0},
    {"/dev/dri/renderD128", 226, 128},
    {"/dev/video0", 81, 0},
    {"/dev/nvidia0", 195, 0},
    {"/dev/nvidiactl", 195, 255},
};

// In a child with a private /dev made of kNodes: runs boxapp for each app and writes its
// output to `out`, one line per app. Returns false if the /dev couldn't be made.
bool run_with_fake_dev(const std::string& profiles, const std::vector<std::string>& apps,
                       const std::string& out) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) ||
        ::mount("tmpfs", "/dev", "tmpfs", MS_NOSUID, "mode=755"))
      ::_exit(2);
    ::mkdir("/dev/snd", 0755);
    ::mkdir("/dev/dri", 0755);
    ::mkdir("/dev/pts", 0755);
    ::mkdir("/dev/shm", 01777);
    for (const auto& n : kNodes)
      if (::mknod(n.path, S_IFCHR | 0666, makedev(n.major, n.minor)) != 0) ::_exit(3);
    std::ofstream file(out);
    for (const auto& app : apps) {
      Result r =
          run_process({"/usr/bin/env", "BOXAPP_PROFILE_PATH=" + profiles, boxapp_bin(), app});
      file << app << ": " << (r.status == 0 ? r.out : "failed: " + r.err);
    }
    file.close();  // _exit runs no destructors
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// In a forked child, as root: a mount namespace of its own with `bind_subgid` (if given)
// over /etc/subgid and a tmpfs /dev holding kNodes, except that /dev/snd/controlC0 is the
// sound card as Debian has it (root:audio 0660); then becomes `user` with supplementary
// groups `groups`. False (the child should _exit) when any step fails.
bool enter_sound_card_dev(const struct passwd& user, gid_t audio, const std::vector<gid_t>& groups,
                          const std::string& bind_subgid = "") {
  if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr))
    return false;
  if (!bind_subgid.empty() &&
      ::mount(bind_subgid.c_str(), "/etc/subgid", nullptr, MS_BIND, nullptr) != 0)
    return false;
  if (::mount("tmpfs", "/dev", "tmpfs", MS_NOSUID, "mode=755") != 0) return false;
  ::mkdir("/dev/snd", 0755);
  for (const auto& n : kNodes)
    if (std::string(n.path).rfind("/dev/snd/", 0) != 0 &&
        ::mknod(n.path, S_IFCHR | 0666, makedev(n.major, n.minor)) != 0 && errno != ENOENT)
      return false;
  if (::mknod("/dev/snd/controlC0", S_IFCHR | 0660, makedev(116, 0)) != 0 ||
      ::chown("/dev/snd/controlC0", 0, audio) != 0)
    return false;
  return ::setgroups(groups.size(), groups.data()) == 0 &&
         ::setresgid(user.pw_gid, user.pw_gid, user.pw_gid) == 0 &&
         ::setresuid(user.pw_uid, user.pw_uid, user.pw_uid) == 0;
}

}  // namespace

TEST_CASE("a box gets the sound, GPU and camera devices its profile grants, no others", "[root]") {
  if (::geteuid() != 0) {
    WARN("not checked: making device nodes needs real root (scripts/test runs it as root)");
    return;
  }
  testing::TempDir profiles, result;
  ::chmod(profiles.path().c_str(), 0755);
  const std::string list =
      R"toml(command = "/bin/sh"
args = ["-c", "echo $(ls /dev/snd /dev/dri /dev/video0 /dev/nvidia* 2>/dev/null | grep -v : | sort)"]
)toml";
  std::ofstream(profiles / "sound.toml") << "# sound\n[app]\n"
                                         << list << "[devices]\nsound = true\n";
  std::ofstream(profiles / "gpu.toml") << "# gpu\n[app]\n" << list << "[devices]\ngpu = true\n";
  std::ofstream(profiles / "webcam.toml") << "# webcam\n[app]\n"
                                          << list << "[devices]\nwebcam = true\n";
  std::ofstream(profiles / "none.toml") << "# none\n[app]\n" << list;
  const std::string out = result / "out";
  REQUIRE(run_with_fake_dev(profiles.path(), {"sound", "gpu", "webcam", "none"}, out));
  const std::string got = boxrt::read_file(out);
  CHECK(got ==
        "sound: controlC0 pcmC0D0p\n"
        "gpu: /dev/nvidia0 /dev/nvidiactl card0 renderD128\n"
        "webcam: /dev/video0\n"
        "none: \n");
}

TEST_CASE("a rootless box keeps the user's audio group for the devices it owns", "[root]") {
  struct passwd* user = ::getpwnam("boxtest");  // made by scripts/test
  struct group* audio = ::getgrnam("audio");
  if (::geteuid() != 0 || !user || !audio) {
    WARN("not checked: needs real root, the user boxtest and the group audio");
    return;
  }
  testing::TempDir profiles, result, xdg;
  ::chmod(profiles.path().c_str(), 0755);
  ::chmod(result.path().c_str(), 0777);
  REQUIRE(::chown(xdg.path().c_str(), user->pw_uid, user->pw_gid) == 0);
  // Opening a node without a driver behind it fails after the permission check: ENXIO
  // ("No such device or address") means the box could open it, EACCES that it couldn't.
  const std::string open_it = R"toml(command = "/bin/sh"
args = ["-c", "cat /dev/snd/controlC0 2>&1 | sed 's/.*: //'"]
[devices]
sound = true
)toml";
  std::ofstream(profiles / "keeps.toml") << "# keeps\n[app]\n"
                                         << open_it << "[groups]\naudio = true\n";
  std::ofstream(profiles / "drops.toml") << "# drops\n[app]\n" << open_it;
  const std::string out = result / "out";
  pid_t pid = ::fork();
  if (pid == 0) {
    // boxtest, in the audio group for this test only.
    if (!enter_sound_card_dev(*user, audio->gr_gid, {audio->gr_gid})) ::_exit(2);
    std::ofstream file(out);
    for (const char* app : {"keeps", "drops"}) {
      Result r = run_process({"/usr/bin/env", "HOME=" + xdg.path(), "XDG_RUNTIME_DIR=" + xdg.path(),
                              "BOXAPP_PROFILE_PATH=" + profiles.path(), boxapp_bin(), app});
      file << app << ": " << (r.status <= 1 ? r.out : "failed: " + r.err);
    }
    file.close();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  CHECK(boxrt::read_file(out) ==
        "keeps: No such device or address\n"
        "drops: Permission denied\n");
}

TEST_CASE("where /etc/subgid grants the audio group, a rootless box has it as itself", "[root]") {
  struct passwd* user = ::getpwnam("boxtest");  // made by scripts/test
  struct group* audio = ::getgrnam("audio");
  if (::geteuid() != 0 || !user || !audio) {
    WARN("not checked: needs real root, the user boxtest and the group audio");
    return;
  }
  testing::TempDir profiles, result, xdg;
  ::chmod(profiles.path().c_str(), 0755);
  ::chmod(result.path().c_str(), 0777);
  REQUIRE(::chown(xdg.path().c_str(), user->pw_uid, user->pw_gid) == 0);
  // The admin's grant, in a copy of /etc/subgid seen only in this test's mount namespace.
  const std::string subgid = result / "subgid";
  std::ofstream(subgid) << boxrt::try_read_file("/etc/subgid").value_or("")
                        << "boxtest:" << audio->gr_gid << ":1\n";
  std::ofstream(profiles / "mapped.toml") << R"toml(# mapped
[app]
command = "/bin/sh"
args = ["-c", "cat /dev/snd/controlC0 2>&1 | sed 's/.*: //'; id -G"]
[devices]
sound = true
[groups]
audio = true
)toml";
  const std::string out = result / "out";
  pid_t pid = ::fork();
  if (pid == 0) {
    // boxtest, not in the audio group: only the grant can let the box in.
    if (!enter_sound_card_dev(*user, audio->gr_gid, {user->pw_gid}, subgid)) ::_exit(2);
    Result r = run_process({"/usr/bin/env", "HOME=" + xdg.path(), "XDG_RUNTIME_DIR=" + xdg.path(),
                            "BOXAPP_PROFILE_PATH=" + profiles.path(), boxapp_bin(), "mapped"});
    std::ofstream(out) << (r.status == 0 ? r.out : "failed: " + r.err);
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  // Past the permission check, and the app's groups are its own and audio's, by number.
  CHECK(boxrt::read_file(out) == "No such device or address\n" + std::to_string(user->pw_gid) +
                                     " " + std::to_string(audio->gr_gid) + "\n");
}
