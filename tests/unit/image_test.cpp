// Images as data: the box's id layout and the session's ids the unpacker gives files, image
// names made whole, records round-tripped, an image's config as the profile's defaults, and
// the spec of a box of an image (its overlay first, the user's range mapped).
#include <catch2/catch.hpp>
#include <fstream>

#include "compile/compile.hpp"
#include "host/identity.hpp"
#include "image/image_config.hpp"
#include "image/import_inspect.hpp"
#include "image/pull.hpp"
#include "image/store.hpp"
#include "profile/catalog.hpp"
#include "test_support.hpp"
#include "util/sys.hpp"

using namespace boxapp;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("keep-id: root and the others from the range, the user as themselves") {
  const IdLayout l{1000, 100000, 65536};
  const std::vector<oci::IdMapping> want = {
      {0, 100000, 1000, {}}, {1000, 1000, 1, {}}, {1001, 101000, 64536, {}}};
  CHECK(keep_id_mappings(l) == want);
  CHECK(highest_box_id(l) == 65536);
  // The session maps the user as 0 and the range as 1..65536 (ns/session.cpp).
  CHECK(session_id_of(l, 0) == 1u);
  CHECK(session_id_of(l, 999) == 1000u);
  CHECK(session_id_of(l, 1000) == 0u);
  CHECK(session_id_of(l, 1001) == 1001u);
  CHECK(session_id_of(l, 65536) == 65536u);
  CHECK_FALSE(session_id_of(l, 65537));
  // A range smaller than the user's id: what fits below, nothing above.
  const IdLayout small{1000, 200000, 10};
  CHECK(keep_id_mappings(small) ==
        std::vector<oci::IdMapping>{{0, 200000, 10, {}}, {1000, 1000, 1, {}}});
  CHECK_FALSE(session_id_of(small, 10));
  // No range: the user alone.
  const IdLayout none{1000, 0, 0};
  CHECK(keep_id_mappings(none) == std::vector<oci::IdMapping>{{1000, 1000, 1, {}}});
  CHECK_FALSE(session_id_of(none, 0));
}

TEST_CASE("image names are made whole as the store names them") {
  CHECK(parse_image_name("localhost:5000/app").name == "localhost:5000/app:latest");
  CHECK(parse_image_name("docker://localhost:5000/app:1").name == "localhost:5000/app:1");
  CHECK(parse_image_name("example.org/a/b@sha256:00").name == "example.org/a/b@sha256:00");
  const ImageSource layout = parse_image_name("oci:/srv/layout/:v2");
  CHECK(layout.kind == SourceKind::layout);
  CHECK(layout.location == "/srv/layout");
  CHECK(layout.tag == "v2");
  CHECK(layout.name == "oci:/srv/layout:v2");
  CHECK(parse_image_name("oci:/srv/layout").tag.empty());
  CHECK(parse_image_name("tar:/x/root.tar").kind == SourceKind::tar);
  CHECK(parse_image_name("docker-archive:/x/a.tar").kind == SourceKind::docker_archive);
  for (const char* bad : {"", "docker://", "http://x/y", "/abs/path", "a b"})
    CHECK_THROWS_WITH(parse_image_name(bad), Catch::Contains("not an image name"));
}

TEST_CASE("a record round-trips, and its layers must be sha256 digests") {
  ImageRecord r;
  r.name = "localhost:5000/app:1";
  r.digest = "sha256:" + std::string(64, 'a');
  r.layers = {"sha256:" + std::string(64, 'b')};
  r.config.env = {"PATH=/bin"};
  r.config.cmd = {"sh"};
  r.config.exposed_ports = {"80/tcp"};
  r.size = 12;
  const ImageRecord back = parse_record(record_json(r), "x.json");
  CHECK(back.name == r.name);
  CHECK(back.layers == r.layers);
  CHECK(back.config.cmd == r.config.cmd);
  CHECK(back.config.exposed_ports == r.config.exposed_ports);
  r.layers = {"sha256:../../etc"};
  CHECK_THROWS_WITH(parse_record(record_json(r), "x.json"),
                    Catch::Contains("x.json: layers: not a sha256 digest"));
  const ImageStore store("/s");
  CHECK(store.layer_dir("sha256:" + std::string(64, 'c')) ==
        "/s/layers/sha256/" + std::string(64, 'c'));
  CHECK_THROWS(store.layer_dir("sha256:../x"));
}

TEST_CASE("an image's config gives the defaults; the profile wins") {
  testing::TempDir dir;
  const ImageStore store(dir.path());
  const std::string hex(64, 'd');
  boxrt::make_dirs(store.layer_dir("sha256:" + hex) + "/etc", 0755);
  std::ofstream(store.layer_dir("sha256:" + hex) + "/etc/passwd")
      << "root:x:0:0::/root:/bin/sh\nweb:x:33:44::/var/www:/bin/sh\n";
  ImageRecord img;
  img.name = "i";
  img.layers = {"sha256:" + hex};
  img.config.entrypoint = {"/entry", "-x"};
  img.config.cmd = {"serve"};
  img.config.working_dir = "/srv";
  img.config.user = "web";
  img.config.env = {"PATH=/opt/bin"};

  Profile p;
  p.image = "oci";
  apply_image_config(p, img, store);
  CHECK(p.command == "/entry");
  CHECK(p.args == std::vector<std::string>{"-x", "serve"});
  CHECK(p.workdir == "/srv");
  CHECK(p.run_uid == 33u);
  CHECK(p.run_gid == 44u);
  CHECK(p.image_env == std::vector<std::string>{"PATH=/opt/bin"});

  // app.args replace Cmd after the Entrypoint; app.command replaces both.
  Profile q;
  q.args = {"--port", "1"};
  apply_image_config(q, img, store);
  CHECK(q.args == std::vector<std::string>{"-x", "--port", "1"});
  Profile r;
  r.command = "/bin/sh";
  r.workdir = "/home";
  apply_image_config(r, img, store);
  CHECK(r.command == "/bin/sh");
  CHECK(r.args.empty());
  CHECK(r.workdir == "/home");

  img.config.user = "nobody";
  Profile s;
  CHECK_THROWS_WITH(apply_image_config(s, img, store),
                    Catch::Contains("User `nobody`: the image's /etc/passwd has no `nobody`"));
  img.config.user = "5:6";
  Profile t;
  apply_image_config(t, img, store);
  CHECK(t.run_uid == 5u);
  CHECK(t.run_gid == 6u);
  img.config = {};
  Profile u;
  u.file = "u.toml";
  CHECK_THROWS_WITH(apply_image_config(u, img, store), Catch::Contains("has no Entrypoint or Cmd"));
}

TEST_CASE("a box of an image: its layers as the first mount, at /, and the user's range mapped") {
  Profile p = parse_profile("[app]\n[image]\ntype = \"oci\"\nref = \"a.org/b:1\"\n", "p.toml");
  p.command = "/bin/sh";
  HostFacts h;
  h.uid = 1000;
  h.gid = 1000;
  h.home = "/home/u";
  h.user = "u";
  h.xdg_runtime_dir = "/run/user/1000";
  h.uid_layout = {1000, 100000, 65536};
  h.gid_layout = {1000, 100000, 65536};
  h.root_dirs = {"usr", "etc"};
  CompileOptions o;
  o.rootfs = "/r";
  const ImageRoot root{{"/s/l1", "/s/l2"}, "/s/box"};
  o.image = &root;
  const oci::Spec s = compile_profile(p, h, o);
  const auto& m = s.mounts->front();
  CHECK(m.destination == "/");
  CHECK(m.type == "overlay");
  CHECK(*m.options == std::vector<std::string>{"lowerdir=/s/l2:/s/l1", "upperdir=/s/box/upper",
                                               "workdir=/s/box/work", "userxattr"});
  // None of the host's system directories.
  for (const auto& x : *s.mounts)
    CHECK(x.destination != "/usr");
  CHECK(s.linux->uid_mappings->size() == 3);
  CHECK(s.process->user->uid == 1000u);
  // Without the image at hand, no spec.
  o.image = nullptr;
  CHECK_THROWS_WITH(compile_profile(p, h, o), Catch::Contains("not in the store"));
}

namespace {

std::string imported(const std::string& fixture, const std::string& name = "") {
  const std::string file = testing::test_data("inspect/" + fixture + ".json");
  return import_docker_inspect(nlohmann::json::parse(boxrt::read_file(file)), fixture + ".json",
                               name)
      .toml;
}

}  // namespace

TEST_CASE("docker inspect fixtures become profiles of fragments that check") {
  testing::TempDir dir;
  ::setenv("BOXAPP_PROFILE_PATH", (std::string(BOXAPP_SOURCE_DIR) + "/profiles").c_str(), 1);
  std::vector<std::string> files;
  for (const char* f : {"chrome", "web", "spotify"}) {
    files.push_back(dir / (std::string(f) + ".toml"));
    std::ofstream(files.back()) << imported(f);
  }
  const auto checks = check_profiles(files);
  ::unsetenv("BOXAPP_PROFILE_PATH");
  for (size_t i = 0; i < files.size(); ++i) {
    INFO(files[i] << ": " << checks[i].error);
    CHECK(checks[i].error.empty());
  }
  // The seeds' chrome: the X11 bind, /dev/snd with the audio group, /dev/dri and the
  // Downloads bind are the fragments, not raw binds; the seccomp file is said, not lost.
  const std::string chrome = imported("chrome");
  CHECK(
      contains(chrome, "include = [\"x11\", \"downloads\", \"pulseaudio\", \"gpu\", \"network\"]"));
  CHECK(contains(chrome, "command = \"google-chrome\"\nargs = [\"--user-data-dir=/data\"]"));
  CHECK(contains(chrome, "ref = \"jess/chrome\""));
  CHECK_FALSE(contains(chrome, "/tmp/.X11-unix"));
  CHECK(contains(chrome, "# - seccomp profile /home/jessie/chrome.json: not read"));
  const std::string web = imported("web", "site");
  CHECK(contains(web, "# site: imported from web.json"));
  CHECK(contains(web, "ref = \"localhost:5000/web:2\""));  // podman's ImageName, not the id
  CHECK(contains(web, "ports = [\"5353:53/udp\", \"127.0.0.1:8080:80\"]"));
  CHECK(contains(web, "memory = 536870912\ncpus = 1.5\npids = 100"));
  CHECK(contains(web, "caps_add = [\"CAP_NET_BIND_SERVICE\"]"));
  CHECK(contains(web, "readonly = true"));
  CHECK(contains(web, "# - HostConfig.Dns = [\"10.0.0.53\"]"));
  CHECK(contains(web, "# - mount {\"Source\":\"cache\""));
  const std::string spotify = imported("spotify");
  CHECK(contains(spotify, "seccomp = \"none\""));
  CHECK(contains(spotify, "mode = \"host\""));
  CHECK(contains(spotify, "# - HostConfig.IpcMode = \"host\""));
  CHECK(contains(spotify, "# - GroupAdd plugdev"));
}

TEST_CASE("a privileged container, or a document that is no container, is refused") {
  CHECK_THROWS_WITH(imported("privileged"),
                    Catch::StartsWith("privileged.json: [0].HostConfig.Privileged: a privileged"));
  CHECK_THROWS_WITH(import_docker_inspect(nlohmann::json::array(), "x.json", ""),
                    "x.json: holds 0 containers; inspect one (docker inspect NAME > FILE)");
  CHECK_THROWS_WITH(import_docker_inspect(nlohmann::json::object(), "x.json", ""),
                    Catch::Contains("x.json: Config: missing"));
}
