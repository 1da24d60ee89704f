// TOML → Profile. Every key is known to exactly one table here; anything else is an error
// at its own file:line:column, with a suggestion when a known key is one typo away.

#include <algorithm>

#include "net/ports.hpp"
#include "profile/dbus_policy.hpp"
#include "profile/profile.hpp"
#include "profile/toml.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"
#include "util/toml_section.hpp"

namespace boxapp {
namespace {

using boxrt::Error;

using Section = boxrt::TomlSection;
using boxrt::type_name;

// "512M", "2G", 1048576: bytes.
int64_t parse_size(Section& s, const std::string& key, const toml::node& n) {
  if (n.is_integer()) {
    if (n.as_integer()->get() <= 0) s.fail(n, key, "must be > 0");
    return n.as_integer()->get();
  }
  if (!n.is_string())
    s.fail(n, key, std::string("expected a size such as \"512M\", not ") + type_name(n));
  const std::string& v = n.as_string()->get();
  size_t digits = 0;
  while (digits < v.size() && std::isdigit(static_cast<unsigned char>(v[digits])))
    ++digits;
  const std::string unit = v.substr(digits);
  const int64_t mult = unit.empty()  ? 1
                       : unit == "K" ? 1 << 10
                       : unit == "M" ? 1 << 20
                       : unit == "G" ? int64_t{1} << 30
                                     : 0;
  if (digits == 0 || mult == 0 || digits > 12)
    s.fail(n, key, "expected a size such as \"512M\" or \"2G\", not \"" + v + "\"");
  return std::stoll(v.substr(0, digits)) * mult;
}

void read_app(Section& s, Profile& p) {
  const toml::table* t = s.table("app");
  if (!t) throw Error(s.origin() + ": app: the [app] table is required");
  Section app(*t, "app", s.origin());
  p.name = app.string("name").value_or("");
  if (!p.name.empty() && !valid_app_name(p.name))
    app.fail(*t->get("name"), "name",
             "use letters, digits, - _ and . (not first), at most 64, not \"" + p.name + "\"");
  p.description = app.string("description").value_or("");
  auto cmd = app.string("command");
  p.args = app.strings("args");
  p.exec_args = app.strings("exec_args");
  p.workdir = app.string("workdir").value_or("");
  p.icon = app.string("icon").value_or("");
  p.categories = app.strings("categories");
  p.mime_types = app.strings("mime_types");
  p.init = app.boolean("init").value_or(true);
  p.single_instance = app.boolean("single_instance").value_or(true);
  p.sd_notify = app.boolean("sd_notify").value_or(false);
  // Unknown keys first: a misspelt `command` is that, not a missing one.
  app.finish();
  // An image's Entrypoint or Cmd may name it instead (checked once [image] is read).
  p.command = cmd.value_or("");
}

// Only an image can say what to run (its config's Entrypoint and Cmd).
void check_command(Section& s, const Profile& p) {
  // An image's config may name its command; a host's, a directory's or a Debian root's can't.
  if (!p.command.empty() || (p.image != "host" && p.image != "dir" && p.image != "debian")) return;
  const toml::table* t = s.table("app");
  throw Error(source_position(t->source(), s.origin()) +
              ": app.command: required (the program to run)");
}

void read_env(Section& s, Profile& p) {
  const toml::table* t = s.table("env");
  if (!t) return;
  for (auto&& [k, v] : *t) {
    std::string key(k.str());
    if (!v.is_string())
      s.fail(v, "env." + key, std::string("expected a string, not ") + type_name(v));
    if (key.find('=') != std::string::npos) s.fail(v, "env." + key, "a name can't hold `=`");
    p.env[key] = v.as_string()->get();
  }
}

// type = "debian": its packages are apt's names, its components and mirror apt's too; what
// isn't there is mmdebstrap's to find (its log says which).
void read_debian_recipe(Section& img, const toml::table& t, DebianRecipe& d) {
  d.suite = img.string("suite").value_or("");
  d.packages = img.strings("packages");
  d.components = img.strings("components");
  d.mirror = img.string("mirror").value_or("");
  const auto word = [](const std::string& w) {
    return !w.empty() && w.find_first_of(" \t\n,/") == std::string::npos && w[0] != '-';
  };
  if (t.get("suite") && !word(d.suite))
    img.fail(*t.get("suite"), "suite",
             "expected a suite's name (bookworm, stable), not \"" + d.suite + "\"");
  for (const auto& [key, list] :
       {std::pair{"packages", &d.packages}, {"components", &d.components}})
    for (const auto& w : *list)
      if (!word(w))
        img.fail(*t.get(key), key, "expected names of one word each, not \"" + w + "\"");
  if (!d.mirror.empty() && d.mirror.rfind("deb ", 0) != 0 &&
      d.mirror.find("://") == std::string::npos)
    img.fail(
        *t.get("mirror"), "mirror",
        "expected a URI (http://deb.debian.org/debian) or a line \"deb URI SUITE COMPONENT...\"");
}

// Where the box's root comes from: each type takes its own key (ref or layout, path), and a
// relative path is the profile's folder's.
void read_image_source(Section& img, const toml::table& t, Profile& p) {
  p.image = img.choice("type", {"host", "oci", "docker-archive", "tar", "dir", "debian"})
                .value_or("host");
  auto ref = img.string("ref");
  auto layout = img.string("layout");
  auto path = img.string("path");
  const auto fail = [&](const char* key, const std::string& why) {
    const toml::node* n = t.get(key) ? t.get(key) : t.get("type");
    img.fail(n ? *n : static_cast<const toml::node&>(t), key, why);
  };
  const auto from_profile = [&](const std::string& f) {
    return f.empty() || f[0] == '/' ? f : boxrt::dir_name(boxrt::absolute_path(p.file)) + "/" + f;
  };
  if (p.image == "oci") {
    if (ref.has_value() == layout.has_value())
      fail(ref ? "layout" : "type",
           "type = \"oci\" takes one of ref = \"HOST/REPO:TAG\" or "
           "layout = \"DIR:TAG\"");
    p.image_name = ref ? *ref : "oci:" + from_profile(*layout);
    if (ref && (ref->empty() || ref->find("://") != std::string::npos) &&
        ref->rfind("docker://", 0) != 0)
      fail("ref", "expected HOST/REPO[:TAG] or docker://HOST/REPO[:TAG], not \"" + *ref + "\"");
  } else if (p.image == "debian") {
    read_debian_recipe(img, t, p.debian);
  } else if (p.image != "host") {
    if (!path || path->empty())
      fail("type", "type = \"" + p.image + "\" needs path = \"" +
                       (p.image == "dir" ? "DIR" : "FILE") + "\"");
    const std::string f = from_profile(*path);
    p.image_name = p.image == "dir" ? f : p.image + ":" + f;
  }
  if (p.image == "host" && (ref || layout || path))
    fail(ref ? "ref" : layout ? "layout" : "path", "only for an image other than the host's");
  if (p.image != "oci" && (ref || layout)) fail(ref ? "ref" : "layout", "only for type = \"oci\"");
  if (p.image == "debian" && path) fail("path", "not for type = \"debian\" (suite, packages)");
  for (const char* key : {"suite", "packages", "components", "mirror"})
    if (p.image != "debian" && t.get(key)) fail(key, "only for type = \"debian\"");
  if (p.image == "oci" && path) fail("path", "not for type = \"oci\" (ref or layout)");
  p.image_persist = img.boolean("persist").value_or(false);
  p.image_readonly = img.boolean("readonly").value_or(false);
  if (p.image == "host" && (p.image_persist || p.image_readonly))
    fail(p.image_persist ? "persist" : "readonly", "only for an image other than the host's");
  if (p.image_persist && p.image_readonly)
    fail("readonly", "a read-only root keeps nothing: not with persist = true");
}

void read_simple_sections(Section& s, Profile& p) {
  if (const toml::table* t = s.table("image")) {
    Section img(*t, "image", s.origin());
    read_image_source(img, *t, p);
    p.etc = img.choice("etc", {"host", "minimal"}).value_or("host") == "minimal" ? EtcMode::minimal
                                                                                 : EtcMode::host;
    p.etc_files = img.strings("etc_files");
    for (size_t i = 0; i < p.etc_files.size(); ++i) {
      const std::string& f = p.etc_files[i];
      if (f.empty() || f[0] == '/' || f.find("..") != std::string::npos)
        img.fail(*t->get("etc_files"), "etc_files",
                 "expected names under /etc such as \"chromium.d\", not \"" + f + "\"");
    }
    img.finish();
  }
  if (const toml::table* t = s.table("display")) {
    Section d(*t, "display", s.origin());
    auto m = d.choice("mode", {"x11", "x11-isolated", "wayland", "auto", "none"}).value_or("none");
    p.display = m == "x11"            ? Display::x11
                : m == "x11-isolated" ? Display::x11_isolated
                : m == "wayland"      ? Display::wayland
                : m == "auto"         ? Display::automatic
                                      : Display::none;
    d.finish();
  }
  if (const toml::table* t = s.table("audio")) {
    Section a(*t, "audio", s.origin());
    p.audio = a.choice("mode", {"pulseaudio", "none"}).value_or("none") == "pulseaudio"
                  ? Audio::pulseaudio
                  : Audio::none;
    p.audio_required = a.boolean("required").value_or(false);
    a.finish();
  }
  if (const toml::table* t = s.table("devices")) {
    Section d(*t, "devices", s.origin());
    p.gpu = d.boolean("gpu").value_or(false);
    p.sound = d.boolean("sound").value_or(false);
    p.webcam = d.boolean("webcam").value_or(false);
    p.device_paths = d.strings("paths");
    for (size_t i = 0; i < p.device_paths.size(); ++i)
      if (!p.device_paths[i].starts_with("/dev/"))
        d.fail(*t->get("paths")->as_array()->get(i), "paths[" + std::to_string(i) + "]",
               "expected a path under /dev/, not \"" + p.device_paths[i] + "\"");
    d.finish();
  }
  if (const toml::table* t = s.table("groups")) {
    Section g(*t, "groups", s.origin());
    p.group_audio = g.boolean("audio").value_or(false);
    p.group_video = g.boolean("video").value_or(false);
    g.finish();
  }
  if (const toml::table* t = s.table("home")) {
    Section h(*t, "home", s.origin());
    p.home = h.choice("mode", {"tmpfs", "persist"}).value_or("tmpfs") == "persist"
                 ? HomeMode::persist
                 : HomeMode::tmpfs;
    p.downloads = h.boolean("downloads").value_or(false);
    h.finish();
  }
}

void read_mounts(Section& s, Profile& p) {
  const toml::array* a = s.table_array("mounts");
  if (!a) return;
  for (size_t i = 0; i < a->size(); ++i) {
    const toml::table& t = *a->get(i)->as_table();
    Section m(t, "mounts[" + std::to_string(i) + "]", s.origin());
    MountEntry e;
    auto host = m.string("host");
    auto container = m.string("container");
    if (!host) m.fail(t, "host", "required (the host path to share)");
    e.host = *host;
    e.container = container.value_or(e.host);
    if (!e.container.starts_with("/") && !e.container.starts_with("${"))
      m.fail(*t.get(container ? "container" : "host"), container ? "container" : "host",
             "expected an absolute path, not \"" + e.container + "\"");
    e.read_only = m.choice("mode", {"ro", "rw"}).value_or("ro") == "ro";
    e.optional = m.boolean("optional").value_or(false);
    m.finish();
    p.mounts.push_back(std::move(e));
  }
}

void read_network(Section& s, Profile& p) {
  const toml::table* t = s.table("network");
  if (!t) return;
  Section n(*t, "network", s.origin());
  auto m = n.choice("mode", {"none", "host", "bridge"}).value_or("none");
  p.network = m == "host"     ? NetworkMode::host
              : m == "bridge" ? NetworkMode::bridge
                              : NetworkMode::none;
  p.ports = n.strings("ports");
  if (!p.ports.empty() && p.network != NetworkMode::bridge)
    n.fail(*t->get("ports"), "ports", "needs mode = \"bridge\"");
  for (size_t i = 0; i < p.ports.size(); ++i) {
    try {
      (void)boxnet::parse_port(p.ports[i]);
    } catch (const Error& e) {
      n.fail(*t->get("ports")->as_array()->get(i), "ports[" + std::to_string(i) + "]", e.what());
    }
  }
  p.isolate = n.boolean("isolate").value_or(false);
  if (p.isolate && p.network != NetworkMode::bridge)
    n.fail(*t->get("isolate"), "isolate", "needs mode = \"bridge\"");
  n.finish();
}

void read_security(Section& s, Profile& p) {
  const toml::table* t = s.table("security");
  if (!t) return;
  Section sec(*t, "security", s.origin());
  p.seccomp = sec.choice("seccomp", {"default", "none"}).value_or("default");
  p.seccomp_allow = sec.strings("seccomp_allow");
  p.seccomp_deny = sec.strings("seccomp_deny");
  p.caps_add = sec.strings("caps_add");
  p.caps_drop = sec.strings("caps_drop");
  for (const char* key : {"caps_add", "caps_drop"}) {
    const auto& list = std::string(key) == "caps_add" ? p.caps_add : p.caps_drop;
    for (size_t i = 0; i < list.size(); ++i)
      if (!list[i].starts_with("CAP_") || list[i].size() < 5 ||
          !std::all_of(list[i].begin(), list[i].end(), [](char c) {
            return std::isupper(static_cast<unsigned char>(c)) ||
                   std::isdigit(static_cast<unsigned char>(c)) || c == '_';
          }))
        sec.fail(*t->get(key)->as_array()->get(i), std::string(key) + "[" + std::to_string(i) + "]",
                 "expected a capability name such as CAP_NET_RAW, not \"" + list[i] + "\"");
  }
  p.no_new_privs = sec.boolean("no_new_privs").value_or(true);
  p.nested_userns = sec.boolean("nested_userns").value_or(false);
  sec.finish();
}

void read_resources(Section& s, Profile& p) {
  const toml::table* t = s.table("resources");
  if (!t) return;
  Section r(*t, "resources", s.origin());
  if (const toml::node* n = r.node("memory")) p.memory = parse_size(r, "memory", *n);
  p.cpus = r.number("cpus", 0);
  p.pids = r.integer("pids", 1);
  p.resources_required = r.boolean("required").value_or(false);
  r.finish();
}

void read_hooks(Section& s, Profile& p) {
  const toml::table* t = s.table("hooks");
  if (!t) return;
  Section h(*t, "hooks", s.origin());
  for (const char* kind : {"prestart", "createRuntime", "createContainer", "startContainer",
                           "poststart", "poststop"}) {
    const toml::array* a = h.table_array(kind);
    if (!a) continue;
    for (size_t i = 0; i < a->size(); ++i) {
      const toml::table& ht = *a->get(i)->as_table();
      Section one(ht, std::string("hooks.") + kind + "[" + std::to_string(i) + "]", s.origin());
      HookEntry e;
      auto path = one.string("path");
      if (!path || !path->starts_with("/"))
        one.fail(path ? *ht.get("path") : static_cast<const toml::node&>(ht), "path",
                 "required, an absolute path");
      e.path = *path;
      e.args = one.strings("args");
      e.timeout = one.integer("timeout", 1).value_or(0);
      one.finish();
      p.hooks[kind].push_back(std::move(e));
    }
  }
  h.finish();
}

}  // namespace

Profile profile_from_table(const toml::table& root, const std::string& origin) {
  Profile p;
  p.file = origin;
  Section s(root, "", origin);
  read_app(s, p);
  read_env(s, p);
  read_simple_sections(s, p);
  check_command(s, p);
  read_mounts(s, p);
  read_network(s, p);
  read_security(s, p);
  read_resources(s, p);
  read_hooks(s, p);
  read_dbus(s, p);
  s.node("extends");  // resolved by the loader
  s.node("include");
  s.finish();
  return p;
}

}  // namespace boxapp
