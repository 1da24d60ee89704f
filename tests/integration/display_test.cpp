// The display through a real X server (Xvfb) started by the test as the unprivileged user,
// with authorization on: a box reaches it through its socket and a private Xauthority that
// holds that display's cookie and nothing else of the user's.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <sstream>
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

// The shipped chrome profile's desktop: Xvfb with a cookie, a PulseAudio (the profile has
// sound), and a Downloads folder (the profile shares it) for the pages to show.
struct ChromeDesktop {
  PulseDaemon pulse;
  std::string home = pulse.dir(), xauthority = home + "/Xauthority";
  Xvfb x{xauthority};
  std::vector<std::string> env;

  ChromeDesktop() {
    REQUIRE(::mkdir((home + "/Downloads").c_str(), 0755) == 0);
    env = pulse.env();
    env.push_back("DISPLAY=" + x.display());
    env.push_back("XAUTHORITY=" + xauthority);
  }
  // A page of one colour in Downloads; its file:// URL.
  std::string page(const std::string& name, const std::string& css_colour) const {
    const std::string path = home + "/Downloads/" + name + ".html";
    std::ofstream(path) << "<html><body style='margin:0;background:" << css_colour
                        << "'></body></html>";
    return "file://" + path;
  }
  Result boxapp(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = env;
    argv.push_back(boxapp_bin());
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, "", 60);
  }
  // The share of the screen in that colour once it reaches 0.9, or after 30 s.
  double wait_for(uint32_t colour) const {
    double share = 0;
    for (int i = 0; i < 60 && share < 0.9; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      std::vector<std::string> argv = env;
      for (const char* a : {"/usr/bin/xwd", "-root", "-silent", "-display"})
        argv.push_back(a);
      argv.push_back(x.display());
      share = share_of_colour(run_process(argv).out, colour);
    }
    return share;
  }
};

bool have_chrome_desktop() {
  for (const char* tool : {"/usr/bin/Xvfb", "/usr/bin/xauth", "/usr/bin/xwd", "/usr/bin/chromium",
                           "/usr/bin/pulseaudio"})
    if (!have(tool)) {
      WARN(std::string("not checked: ") + tool + " is not installed (scripts/setup)");
      return false;
    }
  return true;
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
  if (!have_chrome_desktop()) return;
  ChromeDesktop d;
  const std::string green = d.page("green", "#00ff00");
  // The shipped profile, unchanged: no --no-sandbox. Chromium refuses to run without a
  // working sandbox, so a painted page is the proof that its namespaces work in the box.
  Result started = d.boxapp({"run", "-d", "--name", "shot", "chrome", "--", "--kiosk",
                             "--no-first-run", "--disable-gpu", green});
  INFO(started.err);
  REQUIRE(started.status == 0);
  const double share = d.wait_for(0x00ff00);
  Result ps = d.boxapp({"ps"});
  d.boxapp({"rm", "-f", "shot"});
  INFO(ps.out);
  CHECK(share >= 0.9);
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
  // The server wants its cookie: no note on cookieless clients.
  CHECK_FALSE(contains(good.out, "without a cookie"));
  {
    Xvfb open_server("");  // no -auth: every local client is let in
    Result open =
        run_process({"/usr/bin/env", "DISPLAY=" + open_server.display(), boxapp_bin(), "doctor"});
    CHECK(contains(open.out, "note    display  the X server at " + open_server.display() +
                                 " lets local clients in without a cookie: a box on the host "
                                 "network reaches it through its abstract socket"));
  }

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

namespace {

// The share of pixels, in the middle half of two same-sized PNG screenshots, that differ
// (python3's zlib decodes them; 8-bit RGB or RGBA, as weston writes).
double changed_share(const std::string& a, const std::string& b) {
  const char* script = R"(
import struct, sys, zlib
def load(p):
    d = open(p, 'rb').read(); pos = 8; idat = b''
    while pos < len(d):
        n, kind = struct.unpack('>I4s', d[pos:pos + 8]); body = d[pos + 8:pos + 8 + n]; pos += 12 + n
        if kind == b'IHDR': w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
        if kind == b'IDAT': idat += body
    bpp = 4 if ctype == 6 else 3; raw = zlib.decompress(idat); stride = w * bpp; rows = []; prev = bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]; line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0; up = prev[i]; c = prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + up) & 255
            elif f == 3: line[i] = (line[i] + (a + up) // 2) & 255
            elif f == 4:
                p = a + up - c; pa, pb, pc = abs(p - a), abs(p - up), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else up if pb <= pc else c)) & 255
        rows.append(bytes(line)); prev = line
    return w, h, bpp, rows
w, h, bpp, r1 = load(sys.argv[1]); _, _, _, r2 = load(sys.argv[2]); diff = total = 0
for y in range(h // 4, 3 * h // 4):
    for x in range(w // 4, 3 * w // 4):
        total += 1; diff += r1[y][x * bpp:x * bpp + 3] != r2[y][x * bpp:x * bpp + 3]
print(diff / total)
)";
  Result r = run_process({"/usr/bin/python3", "-c", script, a, b});
  return r.status == 0 ? std::stod(r.out) : -1;
}

}  // namespace

TEST_CASE("a Wayland client in a box draws on a headless weston") {
  for (const char* tool : {"/usr/bin/weston", "/usr/bin/weston-simple-shm",
                           "/usr/bin/weston-screenshooter", "/usr/bin/python3"})
    if (!have(tool)) {
      WARN(std::string("not checked: ") + tool + " is not installed (scripts/setup)");
      return;
    }
  testing::TempDir xdg, profiles;  // the session's XDG_RUNTIME_DIR (and HOME)
  ::chmod(profiles.path().c_str(), 0755);
  const std::vector<std::string> env = {"/usr/bin/env", "XDG_RUNTIME_DIR=" + xdg.path(),
                                        "HOME=" + xdg.path(), "WAYLAND_DISPLAY=wayland-1",
                                        "PATH=/usr/bin:/bin"};
  pid_t weston = ::fork();
  if (weston == 0) {
    std::vector<std::string> argv = env;
    for (const char* a : {"/usr/bin/weston", "--backend=headless-backend.so", "--use-pixman",
                          "--width=320", "--height=240", "--socket=wayland-1", "--idle-time=0",
                          "--debug"})  // --debug: weston's screenshooter protocol
      argv.push_back(a);
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    exec_argv(argv);
  }
  for (int i = 0; i < 100 && ::access((xdg / "wayland-1").c_str(), F_OK) != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // A screenshot taken outside any box; its path.
  auto screenshot = [&](const std::string& name) {
    const std::string dir = xdg / name;
    ::mkdir(dir.c_str(), 0700);
    std::vector<std::string> argv = env;
    for (const std::string& a : {std::string("/bin/sh"), std::string("-c"),
                                 "cd '" + dir + "' && weston-screenshooter && ls " + dir})
      argv.push_back(a);
    Result r = run_process(argv);
    std::string file = r.out.substr(0, r.out.find('\n'));
    return file.empty() ? std::string() : dir + "/" + file;
  };
  // The desktop shell drawn: two screenshots in a row alike, while nothing else draws.
  std::string before = screenshot("still0"), still;
  for (int i = 1; i <= 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    still = screenshot("still" + std::to_string(i));
    if (changed_share(before, still) < 0.01) break;
    before = still;
  }
  std::ofstream(profiles / "shm.toml") << R"(# shm: a Wayland client that draws
[app]
command = "/usr/bin/weston-simple-shm"
[display]
mode = "wayland"
)";
  std::vector<std::string> run = env;
  for (const std::string& a : {"BOXAPP_PROFILE_PATH=" + profiles.path(), boxapp_bin(),
                               std::string("run"), std::string("-d"), std::string("shm")})
    run.push_back(a);
  Result started = run_process(run);
  INFO(started.err);
  REQUIRE(started.status == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const std::string after = screenshot("after");
  run.resize(run.size() - 3);
  for (const char* a : {"rm", "-f", "shm"})
    run.push_back(a);
  run_process(run);
  ::kill(weston, SIGTERM);
  ::waitpid(weston, nullptr, 0);
  REQUIRE_FALSE(before.empty());
  REQUIRE_FALSE(still.empty());
  REQUIRE_FALSE(after.empty());
  CHECK(changed_share(before, still) < 0.05);
  CHECK(changed_share(before, after) > 0.5);
}

TEST_CASE("x11-isolated: the box gets an X server of its own, nested on the user's display") {
  for (const char* tool :
       {"/usr/bin/Xvfb", "/usr/bin/Xephyr", "/usr/bin/xauth", "/usr/bin/xdpyinfo"})
    if (!have(tool)) {
      WARN(std::string("not checked: ") + tool + " is not installed (scripts/setup)");
      return;
    }
  testing::TempDir home, profiles;
  ::chmod(profiles.path().c_str(), 0755);
  const std::string xauthority = home / "Xauthority";
  Xvfb x(xauthority);
  std::ofstream(profiles / "iso.toml") << R"(# iso: a display of its own
[app]
command = "/bin/sh"
args = ["-c", "echo $DISPLAY; ls /tmp/.X11-unix | wc -l; xdpyinfo | grep -c '^name of display'"]
[display]
mode = "x11-isolated"
)";
  Result r = run_process({"/usr/bin/env", "HOME=" + home.path(), "XDG_RUNTIME_DIR=" + home.path(),
                          "DISPLAY=" + x.display(), "XAUTHORITY=" + xauthority,
                          "BOXAPP_PROFILE_PATH=" + profiles.path(), boxapp_bin(), "iso"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  std::istringstream out(r.out);
  std::string display, sockets, connected;
  out >> display >> sockets >> connected;
  CHECK(display != x.display());  // not the user's
  CHECK(sockets == "1");          // only its own server's socket
  CHECK(connected == "1");        // which answers, with the box's cookie
  // The nested server goes with the box.
  const std::string nested = "/tmp/.X11-unix/X" + display.substr(1);
  for (int i = 0; i < 40 && ::access(nested.c_str(), F_OK) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(::access(nested.c_str(), F_OK) != 0);
}

TEST_CASE("a second `boxapp chrome URL` opens the URL in the running Chromium and returns") {
  if (!have_chrome_desktop()) return;
  ChromeDesktop d;
  const std::string green = d.page("green", "#00ff00"), blue = d.page("blue", "#0000ff");
  Result started =
      d.boxapp({"run", "-d", "chrome", "--", "--kiosk", "--no-first-run", "--disable-gpu", green});
  INFO(started.err);
  REQUIRE(started.status == 0);
  CHECK(d.wait_for(0x00ff00) >= 0.9);
  // The second launch: Chromium in the box hands the URL to the running browser and exits.
  auto t0 = std::chrono::steady_clock::now();
  Result again = d.boxapp({"chrome", "--", "--kiosk", blue});
  INFO(again.err);
  CHECK(again.status == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20));
  CHECK(d.wait_for(0x0000ff) >= 0.9);
  CHECK(json::parse(d.boxapp({"ps", "--json"}).out).size() == 1);
  d.boxapp({"rm", "-f", "chrome"});
}
