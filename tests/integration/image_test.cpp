// Images: pulled from a real registry on loopback (Debian's docker-registry, started here),
// read from OCI layouts, docker archives and tars; their files keep their owners in the
// box; whiteouts and opaque directories hide what they should; a box's writes are thrown
// away unless it persists them; layers are stored once; hostile and damaged layers are
// refused and a killed pull leaves nothing behind. The test images are made by
// tests/data/images/make_layout.py from the host's busybox.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "desktop_servers.hpp"
#include "harness.hpp"
#include "launcher_harness.hpp"
#include "util/sys.hpp"

using namespace itest;

namespace {

std::string make_layout_script() {
  const char* stage = std::getenv("BOXAPP_STAGE");
  return stage && *stage ? std::string(stage) + "/make_layout.py"
                         : std::string(BOXAPP_SOURCE_DIR) + "/tests/data/images/make_layout.py";
}

// tests/data/inspect/NAME.json, staged by scripts/test where the test user reaches it.
std::string inspect_fixture(const std::string& name) {
  const char* stage = std::getenv("BOXAPP_STAGE");
  return (stage && *stage ? std::string(stage) + "/inspect/"
                          : std::string(BOXAPP_SOURCE_DIR) + "/tests/data/inspect/") +
         name + ".json";
}

// An OCI layout of the test image in `dir`, with the script's options.
void make_layout(const std::string& dir, std::vector<std::string> options = {}) {
  std::vector<std::string> argv = {"/usr/bin/python3", make_layout_script(), dir};
  argv.insert(argv.end(), options.begin(), options.end());
  Result r = run_process(argv);
  INFO(r.err);
  REQUIRE(r.status == 0);
}

bool have_image_tools() {
  for (const char* p : {"/usr/bin/skopeo", "/usr/bin/docker-registry", "/usr/bin/python3"})
    if (::access(p, X_OK) != 0) return false;
  return true;
}

// docker-registry serving from a directory of the test's, on a free loopback port.
class Registry {
 public:
  Registry() : port_(free_loopback_port(SOCK_STREAM)) {
    std::ofstream(dir_ / "config.yml")
        << "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: " << dir_ / "data"
        << "\nhttp:\n  addr: 127.0.0.1:" << port_ << "\nlog:\n  level: error\n";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setsid();
      exec_argv({"/usr/bin/docker-registry", "serve", dir_ / "config.yml"});
    }
    for (int i = 0; i < 400; ++i) {
      if (run_process({"/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port_)})
              .status == 0)
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    FAIL("docker-registry did not listen on 127.0.0.1:" << port_);
  }
  ~Registry() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  // Pushes an OCI layout's image as REPO:TAG.
  void push(const std::string& layout, const std::string& ref) const {
    Result r = run_process({"/usr/bin/skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                            "oci:" + layout, "docker://" + host() + "/" + ref});
    INFO(r.err);
    REQUIRE(r.status == 0);
  }

 private:
  testing::TempDir dir_;
  int port_;
  pid_t pid_ = -1;
};

std::string image_profile(const std::string& image_lines, const std::string& more = "") {
  return "[app]\n" + more + "[image]\n" + image_lines;
}

// What the box says about the test image's files, one fact a line.
const char* kLook =
    "id -u; id -g; pwd; echo $FROM_IMAGE; ls /data; ls /opq; "
    "stat -c '%n %u:%g %a' /home/app/f /srv/rootfile /etc/passwd";
const char* kLookSays =
    "1001\n1001\n/data\nyes\nb\nc\ny\n"
    "/home/app/f 1000:1000 644\n/srv/rootfile 0:0 600\n/etc/passwd 0:0 644\n";

int count_entries(const std::string& dir) {
  Result r = run_process({"/bin/sh", "-c", "ls -A '" + dir + "' 2>/dev/null | wc -l"});
  return std::stoi(r.out);
}

}  // namespace

TEST_CASE("an image from a registry on loopback runs with its owners, whiteouts and config") {
  REQUIRE(have_image_tools());  // scripts/setup installs them
  Registry registry;
  testing::TempDir work;
  make_layout(work / "layout", {"--tag", "v1"});
  registry.push(work / "layout:v1", "test/app:1");
  Launcher boxapp;
  const std::string ref = registry.host() + "/test/app:1";
  Result pull = boxapp({"image", "pull", ref});
  INFO(pull.err);
  REQUIRE(pull.status == 0);
  CHECK(contains(pull.err, "layer 2/2"));
  json ls = json::parse(boxapp({"image", "ls", "--json"}).out);
  REQUIRE(ls.size() == 1);
  CHECK(ls[0]["name"] == ref);
  CHECK(ls[0]["layers"].size() == 2);
  CHECK(ls[0]["config"]["WorkingDir"] == "/data");

  boxapp.profile("app", image_profile("type = \"oci\"\nref = \"" + ref + "\"\n"));
  // The image's Cmd is the command (sh); the box's arguments go to it.
  Result r = boxapp({"run", "app", "--", "-c", kLook});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == kLookSays);
  // The user inside is the user: root's 0600 file is root's.
  CHECK(boxapp({"run", "app", "--", "-c", "cat /srv/rootfile"}).status != 0);
  // A second box of another profile on the same image uses the store's layers.
  CHECK(count_entries(boxapp.data_home() + "/boxapp/images/layers/sha256") == 2);

  // A registry that answers 404, and one that isn't there: one line, nothing recorded.
  Result missing = boxapp({"image", "pull", registry.host() + "/test/none:1"});
  CHECK(missing.status == 1);
  CHECK(contains(missing.err, "manifest unknown"));
  Result down =
      boxapp({"image", "pull",
              "127.0.0.1:" + std::to_string(free_loopback_port(SOCK_STREAM)) + "/test/app:1"});
  CHECK(down.status == 1);
  CHECK(contains(down.err, "connection refused"));
  CHECK(json::parse(boxapp({"image", "ls", "--json"}).out).size() == 1);
  CHECK(count_entries(boxapp.data_home() + "/boxapp/images/tmp") == 0);
}

TEST_CASE("a box's writes to its root go with it unless the profile persists them") {
  REQUIRE(have_image_tools());  // scripts/setup installs them
  testing::TempDir work;
  make_layout(work / "layout");
  Launcher boxapp;
  const std::string layout = "type = \"oci\"\nlayout = \"" + work / "layout" + "\"\n";
  boxapp.profile("gone", image_profile(layout));
  boxapp.profile("kept", image_profile(layout + "persist = true\n"));
  boxapp.profile("ro", image_profile(layout + "readonly = true\n"));
  const std::string write = "test -e /pub/mine && echo there; echo hi > /pub/mine && echo wrote";
  for (const char* app : {"gone", "kept"}) {
    Result r = boxapp({"run", app, "--", "-c", write});
    INFO(app << ": " << r.err);
    CHECK(r.out == "wrote\n");
  }
  CHECK(boxapp({"run", "gone", "--", "-c", write}).out == "wrote\n");
  CHECK(boxapp({"run", "kept", "--", "-c", write}).out == "there\nwrote\n");
  // Nothing of the gone boxes stays in the store.
  CHECK(count_entries(boxapp.data_home() + "/boxapp/images/boxes") == 0);
  Result ro = boxapp({"run", "ro", "--", "-c", "echo hi > /pub/mine || echo refused"});
  CHECK(contains(ro.out, "refused"));
  // The layers are the store's, whatever the box did.
  CHECK(boxapp({"run", "gone", "--", "-c", "ls /pub"}).out == "");
}

TEST_CASE("images sharing a layer store it once; rm and prune free what no image uses") {
  REQUIRE(have_image_tools());  // scripts/setup installs them
  testing::TempDir work;
  make_layout(work / "one");
  Launcher boxapp;
  REQUIRE(boxapp({"image", "pull", "-q", "oci:" + work / "one"}).status == 0);
  // The same layers through a docker archive: stored once.
  REQUIRE(run_process({"/usr/bin/skopeo", "copy", "--quiet", "oci:" + work / "one",
                       "docker-archive:" + work / "one.tar:test/one:1"})
              .status == 0);
  Result archive = boxapp({"image", "pull", "docker-archive:" + work / "one.tar"});
  INFO(archive.err);
  REQUIRE(archive.status == 0);
  const std::string layers = boxapp.data_home() + "/boxapp/images/layers/sha256";
  const int shared = count_entries(layers);
  CHECK(json::parse(boxapp({"image", "ls", "--json"}).out).size() == 2);
  REQUIRE(boxapp({"image", "rm", "oci:" + work / "one"}).status == 0);
  REQUIRE(boxapp({"image", "prune"}).status == 0);
  CHECK(count_entries(layers) == shared);  // the archive's image still names them
  REQUIRE(boxapp({"image", "rm", "docker-archive:" + work / "one.tar"}).status == 0);
  REQUIRE(boxapp({"image", "prune"}).status == 0);
  CHECK(count_entries(layers) == 0);
  Result again = boxapp({"image", "rm", "oci:" + work / "one"});
  CHECK(again.status == 1);
  CHECK(contains(again.err, "not in the store"));
}

TEST_CASE("a root file system as a tar keeps its owners; as a directory it is used as it is") {
  REQUIRE(have_image_tools());  // scripts/setup installs them
  testing::TempDir work;
  const std::string src = work / "src";
  REQUIRE(run_process({"/bin/sh", "-c",
                       "set -e; mkdir -p " + src + "/bin " + src + "/etc; cp " +
                           std::getenv("BOXAPP_BUSYBOX") + " " + src + "/bin/busybox; " +
                           "ln -s busybox " + src + "/bin/sh; ln -s busybox " + src +
                           "/bin/stat; echo r > " + src + "/etc/byroot; echo u > " + src +
                           "/etc/byuser; cd " + src + "; " + "tar -cf " + work / "root.tar" +
                           " --owner=0 --group=0 bin etc/byroot; tar -rf " + work / "root.tar" +
                           " --owner=1000 --group=1000 etc/byuser"})
              .status == 0);
  Launcher boxapp;
  boxapp.profile("fromtar", image_profile("type = \"tar\"\npath = \"" + work / "root.tar" + "\"\n",
                                          "command = \"/bin/sh\"\n"));
  Result r = boxapp({"run", "fromtar", "--", "-c", "stat -c '%n %u:%g' /etc/byroot /etc/byuser"});
  INFO(r.err);
  CHECK(r.out == "/etc/byroot 0:0\n/etc/byuser 1000:1000\n");
  boxapp.profile("fromdir", image_profile("type = \"dir\"\npath = \"" + src + "\"\n",
                                          "command = \"/bin/sh\"\n"));
  r = boxapp({"run", "fromdir", "--", "-c", "stat -c '%n %u' /etc/byroot"});
  INFO(r.err);
  CHECK(r.out == "/etc/byroot " + std::to_string(own_uid()) + "\n");
}

TEST_CASE("a pull on a terminal draws one line of progress; elsewhere a line per layer") {
  REQUIRE(have_image_tools());  // scripts/setup installs them
  testing::TempDir work;
  make_layout(work / "layout", {"--tag", "v1"});
  Launcher boxapp;
  // script(1) gives the pull a terminal, as a user's shell does.
  std::string line;
  for (const auto& a : boxapp.command({"image", "pull", "oci:" + work / "layout:v1"}))
    line += "'" + a + "' ";
  Result tty = run_process({"/usr/bin/script", "-qec", line, "/dev/null"});
  INFO(tty.out);
  CHECK(tty.status == 0);
  CHECK(contains(tty.out, "pulling oci:" + work / "layout:v1"));
  CHECK(contains(tty.out, "\r\033[K[########################] 2/2 layers, "));
  CHECK_FALSE(contains(tty.out, "  layer 1/2"));
  boxapp({"image", "rm", "oci:" + work / "layout:v1"});
  boxapp({"image", "prune"});
  Result plain = boxapp({"image", "pull", "oci:" + work / "layout:v1"});
  CHECK(contains(plain.err, "  layer 1/2 sha256:"));
  CHECK(contains(plain.err, "  layer 2/2 sha256:"));
  CHECK_FALSE(contains(plain.err, "\r"));
}

TEST_CASE("hostile, damaged and too-many-ids layers are refused with nothing left behind") {
  REQUIRE(have_image_tools());  // scripts/setup installs them
  testing::TempDir work;
  Launcher boxapp;
  const std::string store = boxapp.data_home() + "/boxapp/images";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"dotdot", "entry `../../escaped` refused: its name leaves the layer"},
      {"absolute", "entry `/tmp/escaped` refused: its name leaves the layer"},
      {"symlink", "Cannot extract through symlink out/escaped"},
      {"bigid", "owned by uid 70000, and a box maps uids 0-"}};
  for (const auto& [kind, says] : cases) {
    make_layout(work / kind, {"--hostile", kind});
    Result r = boxapp({"image", "pull", "-q", "oci:" + work / kind});
    INFO(kind << ": " << r.err);
    CHECK(r.status == 1);
    CHECK(contains(r.err, says));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  CHECK_FALSE(boxrt::path_exists(work / "escaped"));
  // A truncated layer: the gzip stream ends early.
  make_layout(work / "cut", {"--salt", "cut"});
  REQUIRE(run_process({"/bin/sh", "-c",
                       "cd " + work / "cut/blobs/sha256" +
                           " && f=$(ls -S | head -1) && "
                           "truncate -s 100000 $f"})
              .status == 0);
  Result cut = boxapp({"image", "pull", "-q", "oci:" + work / "cut"});
  CHECK(cut.status == 1);
  CHECK(contains(cut.err, "layer 1/2"));
  CHECK(json::parse(boxapp({"image", "ls", "--json"}).out).empty());
  // Only the first (good) layer of the hostile images made it in; no half layer anywhere.
  CHECK(count_entries(store + "/layers/sha256") == 1);
  CHECK(count_entries(store + "/tmp") == 0);
}

TEST_CASE("a pull that runs out of disk says so, and the store keeps only whole layers") {
  // A 24 MB file system of the test user's, which scripts/test mounts as root.
  const char* small = std::getenv("BOXAPP_SMALL_FS");
  if (!small || !*small) {
    WARN("not checked: no small file system (scripts/test as root mounts one)");
    return;
  }
  testing::TempDir work;
  make_layout(work / "big", {"--big", "40"});
  Launcher boxapp;
  const std::string data = std::string(small) + "/share";
  boxapp.env("XDG_DATA_HOME=" + data);
  Result r = boxapp({"image", "pull", "-q", "oci:" + work / "big"});
  INFO(r.err);
  CHECK(r.status == 1);
  CHECK(contains(r.err, "No space left on device"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  const std::string store = data + "/boxapp/images";
  CHECK(count_entries(store + "/records") == 0);
  CHECK(count_entries(store + "/tmp") == 0);
  // Layer 1 landed whole before layer 2 ran out: prune frees it, and the room is back.
  CHECK(count_entries(store + "/layers/sha256") == 1);
  CHECK(boxapp({"image", "prune"}).status == 0);
  CHECK(count_entries(store + "/layers/sha256") == 0);
  Result df =
      run_process({"/bin/sh", "-c", "df --output=used -k " + std::string(small) + " | tail -1"});
  CHECK(std::stoi(df.out) < 1024);
  run_process({"/bin/rm", "-rf", data});
}

TEST_CASE("a pull killed half way leaves no record, and the next pull finishes it") {
  REQUIRE(have_image_tools());  // scripts/setup installs them
  testing::TempDir work;
  make_layout(work / "big", {"--big", "64", "--salt", "big"});
  Launcher boxapp;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    exec_argv(boxapp.command({"image", "pull", "-q", "oci:" + work / "big"}));
  }
  // Killed while its big layer is being written.
  const std::string store = boxapp.data_home() + "/boxapp/images";
  for (int i = 0; i < 2000; ++i) {
    if (run_process({"/bin/sh", "-c", "test -e " + store + "/tmp/pull.*/layer-2/big"}).status == 0)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::kill(-pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  CHECK(json::parse(boxapp({"image", "ls", "--json"}).out).empty());
  Result again = boxapp({"image", "pull", "-q", "oci:" + work / "big"});
  INFO(again.err);
  REQUIRE(again.status == 0);
  CHECK(count_entries(store + "/tmp") == 0);
  CHECK(count_entries(store + "/layers/sha256") == 2);
}

// The seeds' containers as docker inspect printed them (tests/data/inspect/), their images
// and host folders moved to this test's: the imported profiles run their programs, with
// the display, the folders and the published ports the containers had.
TEST_CASE("docker inspect fixtures imported run: chrome and spotify draw on X, web serves") {
  REQUIRE(have_image_tools());  // scripts/setup installs them
  Registry registry;
  testing::TempDir work;
  make_layout(work / "img", {"--program", "google-chrome", "--program", "spotify"});
  for (const char* ref : {"jess/chrome:latest", "jess/spotify:latest", "web:2"})
    registry.push(work / "img", ref);
  for (const char* d : {"jessie/Downloads", "jessie/.config/google-chrome", "jessie/music", "site"})
    REQUIRE(run_process({"/bin/mkdir", "-p", work / d}).status == 0);
  std::ofstream(work / "site/index.html") << "served from the import\n";
  const int tcp = free_loopback_port(SOCK_STREAM), udp = free_loopback_port(SOCK_DGRAM);
  Xvfb x("");
  Launcher boxapp;
  boxapp.env("DISPLAY=" + x.display());
  for (const char* f : {"x11", "downloads", "pulseaudio", "gpu", "network", "webcam"})
    boxapp.fragment(f);
  for (const std::string name : {"chrome", "spotify", "web"}) {
    std::string text = boxrt::read_file(inspect_fixture(name));
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"/home/jessie", work / "jessie"},
             {"/srv/site", work / "site"},
             {"\"jess/", "\"" + registry.host() + "/jess/"},
             {"localhost:5000", registry.host()},
             {"\"8080\"", "\"" + std::to_string(tcp) + "\""},
             {"\"5353\"", "\"" + std::to_string(udp) + "\""}})
      for (size_t at; (at = text.find(from)) != std::string::npos;)
        text.replace(at, from.size(), to);
    std::ofstream(work / (name + ".json")) << text;
    Result imported =
        boxapp({"import", "docker-inspect", work / (name + ".json"), "-o", boxapp.file(name)});
    INFO(name << ": " << imported.err);
    REQUIRE(imported.status == 0);
  }
  Result chrome = boxapp({"run", "chrome"}, 60);
  INFO(chrome.err);
  CHECK(chrome.status == 0);
  CHECK(chrome.out == "google-chrome --user-data-dir=/data display=yes\n");
  Result spotify = boxapp({"run", "spotify"}, 60);
  INFO(spotify.err);
  CHECK(spotify.status == 0);
  CHECK(spotify.out == "spotify  display=yes\n");

  Result web = boxapp({"run", "-d", "web"}, 60);
  INFO(web.err);
  REQUIRE(web.status == 0);
  std::string got;
  for (int i = 0; i < 100 && !contains(got, "served"); ++i) {
    got = run_process({"/bin/bash", "-c",
                       "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(tcp) +
                           " && printf 'GET /www/index.html HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3"})
              .out;
    if (!contains(got, "served")) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // httpd serves its working directory, /srv, where the site's folder is bound as www/.
  INFO(got << boxapp({"logs", "web"}).out << boxapp({"ps"}).out);
  CHECK(contains(got, "\r\n\r\nserved from the import\n"));
  CHECK(boxapp({"rm", "-f", "web"}).status == 0);
}
