// Sound through a real PulseAudio server started by the test as the unprivileged user, with
// a null sink: a box plays a tone, the sink's monitor outside records it. The box gets a
// socket of its own (a module the server loads for it, gone when the box is) or, when the
// server won't load modules, the session's socket.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <thread>

#include "desktop_servers.hpp"
#include "harness.hpp"
#include "util/sys.hpp"

using namespace itest;

namespace {

// boxapp as the test user in the daemon's session, with profiles of the test's own.
class SoundBoxes {
 public:
  explicit SoundBoxes(const PulseDaemon& pulse) : pulse_(pulse) {
    ::chmod(profiles_.path().c_str(), 0755);
  }
  void profile(const std::string& name, const std::string& text) const {
    std::ofstream(profiles_ / (name + ".toml")) << text;
  }
  Result operator()(std::vector<std::string> args) const {
    std::vector<std::string> argv = pulse_.env();
    argv.push_back("BOXAPP_PROFILE_PATH=" + profiles_.path());
    argv.push_back(boxapp_bin());
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, "", 60);
  }

 private:
  const PulseDaemon& pulse_;
  testing::TempDir profiles_;
};

// One second of a 440 Hz tone, 16-bit mono WAV at 44.1 kHz, amplitude `amp`.
void write_tone(const std::string& path, int amp) {
  const uint32_t rate = 44100, n = rate;
  std::string data;
  for (uint32_t i = 0; i < n; ++i) {
    auto s = static_cast<int16_t>(amp * std::sin(2 * M_PI * 440.0 * i / rate));
    data.push_back(static_cast<char>(s & 0xff));
    data.push_back(static_cast<char>((s >> 8) & 0xff));
  }
  auto u32 = [](uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [](uint16_t v) { return std::string(reinterpret_cast<const char*>(&v), 2); };
  std::ofstream(path, std::ios::binary)
      << "RIFF" << u32(36 + static_cast<uint32_t>(data.size())) << "WAVEfmt " << u32(16) << u16(1)
      << u16(1) << u32(rate) << u32(rate * 2) << u16(2) << u16(16) << "data"
      << u32(static_cast<uint32_t>(data.size())) << data;
}

// Records the null sink's monitor (raw s16le mono) into `path` until stop().
class Recorder {
 public:
  Recorder(const PulseDaemon& pulse, const std::string& path) {
    std::vector<std::string> argv = pulse.env();
    for (const std::string& a :
         {std::string("/bin/sh"), std::string("-c"),
          "exec parec --latency-msec=20 -d boxtest.monitor --format=s16le --channels=1 "
          "--rate=44100 > '" +
              path + "'"})
      argv.push_back(a);
    pid_ = ::fork();
    if (pid_ == 0) exec_argv(argv);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // connected and recording
  }
  void stop() {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the tail of the tone
    ::kill(pid_, SIGINT);
    ::waitpid(pid_, nullptr, 0);
  }

 private:
  pid_t pid_ = -1;
};

double rms_of_raw(const std::string& path) {
  std::string raw = boxrt::read_file(path);
  double sum = 0;
  size_t n = raw.size() / 2;
  for (size_t i = 0; i < n; ++i) {
    auto s = static_cast<int16_t>(static_cast<unsigned char>(raw[2 * i]) |
                                  (static_cast<unsigned char>(raw[2 * i + 1]) << 8));
    sum += static_cast<double>(s) * s;
  }
  return n ? std::sqrt(sum / static_cast<double>(n)) : 0;
}

std::string player_profile(const std::string& tone) {
  return "# player: plays one file\n[app]\ncommand = \"/usr/bin/paplay\"\nargs = [\"" + tone +
         "\"]\n[audio]\nmode = \"pulseaudio\"\n[[mounts]]\nhost = \"" + tone +
         "\"\ncontainer = \"/tone.wav\"\n";
}

}  // namespace

TEST_CASE("a box plays sound through a socket of its own, gone when the box is") {
  if (!have("/usr/bin/pulseaudio") || !have("/usr/bin/parec")) {
    WARN("not checked: pulseaudio and pulseaudio-utils are not installed (scripts/setup)");
    return;
  }
  PulseDaemon pulse;
  SoundBoxes boxapp(pulse);
  const std::string tone = pulse.dir() + "/tone.wav", rec = pulse.dir() + "/rec.raw";
  write_tone(tone, 12000);
  boxapp.profile("player", player_profile(tone));
  boxapp.profile("peek", R"(# peek: what sound the box has
[app]
command = "/bin/sh"
args = ["-c", "echo $PULSE_SERVER; pactl list modules short | grep -c boxapp/bundles/peek/"]
[audio]
mode = "pulseaudio"
)");

  SECTION("the tone reaches the sink; silence without the box") {
    Recorder quiet(pulse, rec);
    quiet.stop();
    const double floor = rms_of_raw(rec);
    Recorder r(pulse, rec);
    Result played = boxapp({"player", "--", "/tone.wav"});
    r.stop();
    INFO(played.err);
    REQUIRE(played.status == 0);
    const double rms = rms_of_raw(rec);
    INFO("rms " << rms << ", noise floor " << floor);
    CHECK(rms > 1000);  // a 12000-amplitude sine has an RMS near 8500 at full volume
    CHECK(floor < 50);
    CHECK(pulse.box_sockets().empty());
  }
  SECTION("the box's own socket, not the session's") {
    Result r = boxapp({"peek"});
    INFO(r.err);
    REQUIRE(r.status == 0);
    // Inside: the server lists exactly one socket module for this box while it runs.
    CHECK(contains(r.out, "/pulse/native\n1\n"));
    CHECK(pulse.box_sockets().empty());
  }
  SECTION("a detached box's socket goes when the box is removed") {
    boxapp.profile("waiter", R"(# waiter
[app]
command = "/bin/sleep"
args = ["60"]
[audio]
mode = "pulseaudio"
)");
    REQUIRE(boxapp({"run", "-d", "waiter"}).status == 0);
    CHECK(pulse.box_sockets(1).size() == 1);
    REQUIRE(boxapp({"rm", "-f", "waiter"}).status == 0);
    CHECK(pulse.box_sockets().empty());
  }
  SECTION("sockets of boxes whose boxapp was killed are collected at the next start") {
    const std::string ghost = pulse.dir() + "/boxapp/bundles/ghost/pulse";
    REQUIRE(run_process({"/bin/mkdir", "-p", ghost}).status == 0);
    Result load = pulse.pactl({"load-module", "module-native-protocol-unix",
                               "socket=\"" + ghost + "/native\" auth-anonymous=1"});
    REQUIRE(load.status == 0);
    REQUIRE(pulse.box_sockets(1).size() == 1);
    REQUIRE(boxapp({"peek"}).status == 0);
    CHECK(pulse.box_sockets().empty());
  }
}

TEST_CASE("a server that loads no modules: the box shares the session's socket") {
  if (!have("/usr/bin/pulseaudio") || !have("/usr/bin/parec")) {
    WARN("not checked: pulseaudio and pulseaudio-utils are not installed (scripts/setup)");
    return;
  }
  PulseDaemon pulse(/*allow_modules=*/false);
  SoundBoxes boxapp(pulse);
  const std::string tone = pulse.dir() + "/tone.wav", rec = pulse.dir() + "/rec.raw";
  write_tone(tone, 12000);
  boxapp.profile("player", player_profile(tone));
  Recorder r(pulse, rec);
  Result played = boxapp({"player", "--", "/tone.wav"});
  r.stop();
  INFO(played.err);
  REQUIRE(played.status == 0);
  CHECK(rms_of_raw(rec) > 1000);
}

TEST_CASE("PipeWire's pulse server: no module of that name, so the box shares its socket") {
  if (!have("/usr/bin/pipewire") || !have("/usr/bin/pipewire-pulse") || !have("/usr/bin/pactl")) {
    WARN("not checked: pipewire and pipewire-pulse are not installed (scripts/setup)");
    return;
  }
  testing::TempDir dir;
  const std::vector<std::string> env = {"/usr/bin/env", "XDG_RUNTIME_DIR=" + dir.path(),
                                        "HOME=" + dir.path(), "PATH=/usr/bin:/bin"};
  auto spawn = [&](const char* program) {
    pid_t pid = ::fork();
    if (pid == 0) {
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      std::vector<std::string> argv = env;
      argv.push_back(program);
      exec_argv(argv);
    }
    return pid;
  };
  pid_t pipewire = spawn("/usr/bin/pipewire");
  for (int i = 0; i < 100 && ::access((dir / "pipewire-0").c_str(), F_OK) != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  pid_t pulse = spawn("/usr/bin/pipewire-pulse");
  for (int i = 0; i < 100 && ::access((dir / "pulse/native").c_str(), F_OK) != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  testing::TempDir profiles;
  ::chmod(profiles.path().c_str(), 0755);
  std::ofstream(profiles / "ask.toml") << R"(# ask: which server the box reaches
[app]
command = "/bin/sh"
args = ["-c", "pactl info | grep '^Server Name'"]
[audio]
mode = "pulseaudio"
)";
  std::vector<std::string> argv = env;
  argv.push_back("BOXAPP_PROFILE_PATH=" + profiles.path());
  argv.push_back(boxapp_bin());
  argv.push_back("ask");
  Result r = run_process(argv);
  std::vector<std::string> list = env;
  for (const char* a : {"/usr/bin/pactl", "list", "modules", "short"})
    list.push_back(a);
  Result modules = run_process(list);
  ::kill(pulse, SIGTERM);
  ::kill(pipewire, SIGTERM);
  ::waitpid(pulse, nullptr, 0);
  ::waitpid(pipewire, nullptr, 0);
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(contains(r.out, "on PipeWire"));
  CHECK_FALSE(contains(modules.out, "/boxapp/bundles/"));
}
