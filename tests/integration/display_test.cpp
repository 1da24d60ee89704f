// The display through a real X server (Xvfb) started by the test as the unprivileged user,
// with authorization on: a box reaches it through its socket and a private Xauthority that
// holds that display's cookie and nothing else of the user's.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <thread>

#include "desktop_servers.hpp"
#include "harness.hpp"

using namespace itest;

namespace {

uint32_t be32(const std::string& d, size_t at) {
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(d[at + i])); };
  return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

// The share of the screen, sampled every 16 pixels, that has colour rgb; from an xwd dump
// of a 24-bit TrueColor screen (the layout Xvfb -screen WxHx24 gives).
double share_of_colour(const std::string& xwd, uint32_t rgb) {
  if (xwd.size() < 100) return 0;
  const uint32_t header = be32(xwd, 0), width = be32(xwd, 16), height = be32(xwd, 20);
  const uint32_t byte_order = be32(xwd, 28), bpp = be32(xwd, 44), bpl = be32(xwd, 48);
  const uint32_t ncolors = be32(xwd, 76);
  const size_t image = header + ncolors * 12;
  if (bpp != 32 || xwd.size() < image + static_cast<size_t>(bpl) * height) return 0;
  size_t hits = 0, all = 0;
  for (uint32_t y = 0; y < height; y += 16)
    for (uint32_t x = 0; x < width; x += 16) {
      const size_t i = image + static_cast<size_t>(y) * bpl + x * 4;
      auto c = [&](size_t k) {
        return static_cast<uint32_t>(static_cast<unsigned char>(xwd[i + k]));
      };
      uint32_t pixel = byte_order == 0 ? (c(2) << 16 | c(1) << 8 | c(0))   // LSBFirst: B G R X
                                       : (c(1) << 16 | c(2) << 8 | c(3));  // MSBFirst: X R G B
      hits += pixel == rgb;
      ++all;
    }
  return all ? static_cast<double>(hits) / static_cast<double>(all) : 0;
}

}  // namespace

TEST_CASE("an X11 app in a box reaches the display with only that display's cookie") {
  if (!have("/usr/bin/Xvfb") || !have("/usr/bin/xauth") || !have("/usr/bin/xdpyinfo")) {
    WARN("not checked: Xvfb, xauth or xdpyinfo is not installed (scripts/setup)");
    return;
  }
  testing::TempDir home, profiles;
  ::chmod(profiles.path().c_str(), 0755);
  const std::string xauthority = home / "Xauthority";
  Xvfb x(xauthority);
  // Another cookie of the user's, for another display: the box must not get it.
  REQUIRE(run_process({"/usr/bin/xauth", "-f", xauthority, "add", ":999", ".",
                       "fedcba9876543210fedcba9876543210"})
              .status == 0);
  std::ofstream(profiles / "xclient.toml") << R"(# xclient: talks to the display
[app]
command = "/bin/sh"
args = ["-c", "xdpyinfo | grep -c '^name of display'; xauth -f $XAUTHORITY list | wc -l; xauth -f $XAUTHORITY list | grep -c 0123456789abcdef"]
[display]
mode = "x11"
)";
  std::ofstream(profiles / "blind.toml") << R"(# blind: no display
[app]
command = "/bin/sh"
args = ["-c", "echo display=$DISPLAY; ls /tmp/.X11-unix 2>/dev/null | wc -l"]
[display]
mode = "none"
)";
  auto boxapp = [&](const std::string& app) {
    return run_process({"/usr/bin/env", "HOME=" + home.path(), "XDG_RUNTIME_DIR=" + home.path(),
                        "DISPLAY=" + x.display(), "XAUTHORITY=" + xauthority,
                        "BOXAPP_PROFILE_PATH=" + profiles.path(), boxapp_bin(), app});
  };
  Result r = boxapp("xclient");
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "1\n1\n1\n");
  Result blind = boxapp("blind");
  CHECK(blind.out == "display=\n0\n");
}

TEST_CASE("chromium in a box, with its own sandbox, paints a page on the display") {
  for (const char* tool : {"/usr/bin/Xvfb", "/usr/bin/xauth", "/usr/bin/xwd", "/usr/bin/chromium",
                           "/usr/bin/pulseaudio"})
    if (!have(tool)) {
      WARN(std::string("not checked: ") + tool + " is not installed (scripts/setup)");
      return;
    }
  PulseDaemon pulse;  // the shipped chrome profile has sound
  const std::string home = pulse.dir(), xauthority = home + "/Xauthority";
  Xvfb x(xauthority);
  REQUIRE(::mkdir((home + "/Downloads").c_str(), 0755) == 0);
  // A page the box can read (the profile shares Downloads) that paints the window green.
  const std::string page = home + "/Downloads/green.html";
  std::ofstream(page) << "<html><body style='margin:0;background:#00ff00'></body></html>";
  std::vector<std::string> env = pulse.env();
  env.push_back("DISPLAY=" + x.display());
  env.push_back("XAUTHORITY=" + xauthority);
  auto boxapp = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = env;
    argv.push_back(boxapp_bin());
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, "", 60);
  };
  // The shipped profile, unchanged: no --no-sandbox. Chromium refuses to run without a
  // working sandbox, so a painted page is the proof that its namespaces work in the box.
  Result started = boxapp({"run", "-d", "--name", "shot", "chrome", "--", "--kiosk",
                           "--no-first-run", "--disable-gpu", "file://" + page});
  INFO(started.err);
  REQUIRE(started.status == 0);
  double green = 0;
  for (int i = 0; i < 60 && green < 0.9; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    std::vector<std::string> argv = env;
    for (const char* a : {"/usr/bin/xwd", "-root", "-silent", "-display"})
      argv.push_back(a);
    argv.push_back(x.display());
    green = share_of_colour(run_process(argv).out, 0x00ff00);
  }
  Result ps = boxapp({"ps"});
  boxapp({"rm", "-f", "shot"});
  INFO(ps.out);
  CHECK(green >= 0.9);
}

TEST_CASE("boxapp doctor reports the display, the sound server and what to fix") {
  for (const char* tool : {"/usr/bin/Xvfb", "/usr/bin/xauth", "/usr/bin/pulseaudio"})
    if (!have(tool)) {
      WARN(std::string("not checked: ") + tool + " is not installed (scripts/setup)");
      return;
    }
  PulseDaemon pulse;
  Xvfb x(pulse.dir() + "/Xauthority");
  std::vector<std::string> argv = pulse.env();
  for (const std::string& a :
       {"DISPLAY=" + x.display(), "XAUTHORITY=" + pulse.dir() + "/Xauthority", boxapp_bin(),
        std::string("doctor")})
    argv.push_back(a);
  Result good = run_process(argv);
  INFO(good.out << good.err);
  CHECK(contains(good.out, "ok      display  X11 " + x.display()));
  CHECK(contains(good.out, "ok      display  cookie for " + x.display()));
  CHECK(contains(good.out, "ok      sound    server at " + pulse.dir() +
                               "/pulse/native: each box gets a socket of its own"));
  // Its trial socket is gone again.
  CHECK_FALSE(contains(pulse.pactl({"list", "modules", "short"}).out, "doctor-"));

  testing::TempDir nothing;  // no display, no sound server
  Result bad = run_process({"/usr/bin/env", "-u", "DISPLAY", "-u", "WAYLAND_DISPLAY",
                            "XDG_RUNTIME_DIR=" + nothing.path(), "HOME=" + nothing.path(),
                            boxapp_bin(), "doctor"});
  INFO(bad.out);
  CHECK(bad.status == 1);
  CHECK(contains(bad.out,
                 "PROBLEM display  no display: DISPLAY and WAYLAND_DISPLAY are unset\n"
                 "                 fix: "));
  CHECK(contains(bad.out, "PROBLEM sound    no PulseAudio server"));
}
