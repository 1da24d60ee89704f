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
#include <sstream>

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

namespace {

// boxtest (made by scripts/test) running boxapp rootless beside a sound card owned by the
// audio group (enter_sound_card_dev), with profiles and a runtime directory of its own.
class SoundCardBoxes {
 public:
  SoundCardBoxes() : user_(::getpwnam("boxtest")), audio_(::getgrnam("audio")) {
    ::chmod(profiles_.path().c_str(), 0755);
    ::chmod(scratch_.path().c_str(), 0777);
    if (user_ && ::geteuid() == 0)
      REQUIRE(::chown(xdg_.path().c_str(), user_->pw_uid, user_->pw_gid) == 0);
  }
  // Gives the reason and returns false when the test can't run here.
  bool usable() const {
    if (::geteuid() == 0 && user_ && audio_) return true;
    WARN("not checked: needs real root, the user boxtest and the group audio");
    return false;
  }
  void profile(const std::string& name, const std::string& text) const {
    std::ofstream(profiles_ / (name + ".toml")) << text;
  }
  // Runs each app as boxtest with supplementary groups `groups` (and `subgid` over
  // /etc/subgid, if given); each one's stdout, or "failed: " and its stderr.
  std::vector<std::string> run(const std::vector<std::string>& apps, std::vector<gid_t> groups,
                               const std::string& subgid = "") const {
    const std::string out = scratch_ / "out";
    pid_t pid = ::fork();
    if (pid == 0) {
      if (!enter_sound_card_dev(*user_, audio_->gr_gid, groups, subgid)) ::_exit(2);
      std::ofstream file(out);
      for (const auto& app : apps) {
        Result r =
            run_process({"/usr/bin/env", "HOME=" + xdg_.path(), "XDG_RUNTIME_DIR=" + xdg_.path(),
                         "BOXAPP_PROFILE_PATH=" + profiles_.path(), boxapp_bin(), app});
        file << (r.status <= 1 ? r.out : "failed: " + r.err) << '\0';
      }
      file.close();  // _exit runs no destructors
      ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    std::vector<std::string> outputs;
    std::istringstream in(boxrt::read_file(out));
    for (std::string one; std::getline(in, one, '\0');)
      outputs.push_back(one);
    REQUIRE(outputs.size() == apps.size());
    return outputs;
  }
  gid_t user_gid() const { return user_->pw_gid; }
  gid_t audio_gid() const { return audio_->gr_gid; }
  std::string scratch(const std::string& name) const { return scratch_ / name; }

 private:
  struct passwd* user_;
  struct group* audio_;
  testing::TempDir profiles_, scratch_, xdg_;
};

}  // namespace

TEST_CASE("a rootless box keeps the user's audio group for the devices it owns", "[root]") {
  SoundCardBoxes boxes;
  if (!boxes.usable()) return;
  // Opening a node without a driver behind it fails after the permission check: ENXIO
  // ("No such device or address") means the box could open it, EACCES that it couldn't.
  const std::string open_it = R"toml(command = "/bin/sh"
args = ["-c", "cat /dev/snd/controlC0 2>&1 | sed 's/.*: //'"]
[devices]
sound = true
)toml";
  boxes.profile("keeps", "# keeps\n[app]\n" + open_it + "[groups]\naudio = true\n");
  boxes.profile("drops", "# drops\n[app]\n" + open_it);
  // boxtest, in the audio group for this test only.
  auto out = boxes.run({"keeps", "drops"}, {boxes.audio_gid()});
  CHECK("keeps: " + out[0] + "drops: " + out[1] ==
        "keeps: No such device or address\n"
        "drops: Permission denied\n");
}

TEST_CASE("where /etc/subgid grants the audio group, a rootless box has it as itself", "[root]") {
  SoundCardBoxes boxes;
  if (!boxes.usable()) return;
  // The admin's grant, in a copy of /etc/subgid seen only in this test's mount namespace.
  const std::string subgid = boxes.scratch("subgid");
  std::ofstream(subgid) << boxrt::try_read_file("/etc/subgid").value_or("")
                        << "boxtest:" << boxes.audio_gid() << ":1\n";
  boxes.profile("mapped", R"toml(# mapped
[app]
command = "/bin/sh"
args = ["-c", "cat /dev/snd/controlC0 2>&1 | sed 's/.*: //'; id -G"]
[devices]
sound = true
[groups]
audio = true
)toml");
  // boxtest, not in the audio group: only the grant can let the box in.
  auto out = boxes.run({"mapped"}, {boxes.user_gid()}, subgid);
  // Past the permission check, and the app's groups are its own and audio's, by number.
  CHECK(out[0] == "No such device or address\n" + std::to_string(boxes.user_gid()) + " " +
                      std::to_string(boxes.audio_gid()) + "\n");
}
