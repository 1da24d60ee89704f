#include "image/import_inspect.hpp"

#include <algorithm>
#include <cstdio>
#include <set>
#include <vector>

#include "util/error.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;
using nlohmann::json;

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", c);
      out += esc;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i)
    out += (i ? ", " : "") + toml_string(items[i]);
  return out + "]";
}

std::vector<std::string> strings_of(const json& j) {
  std::vector<std::string> v;
  if (j.is_array())
    for (const auto& s : j)
      if (s.is_string()) v.push_back(s.get<std::string>());
  return v;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

// The profile as it is built: fragments, sections of key = value lines in a fixed order,
// [[mounts]] blocks, and what couldn't be carried over.
class ProfileText {
 public:
  void include(const std::string& fragment, const std::string& because) {
    if (std::find(includes_.begin(), includes_.end(), fragment) == includes_.end())
      includes_.push_back(fragment);
    why_.push_back(fragment + ": " + because);
  }
  bool includes(const std::string& fragment) const {
    return std::find(includes_.begin(), includes_.end(), fragment) != includes_.end();
  }
  void set(const std::string& section, const std::string& key, const std::string& value) {
    for (auto& [name, lines] : sections_)
      if (name == section) {
        for (auto& l : lines)
          if (starts_with(l, key + " = ")) return void(l = key + " = " + value);
        return lines.push_back(key + " = " + value);
      }
    sections_.push_back({section, {key + " = " + value}});
  }
  void mount(const std::string& host, const std::string& container, bool rw) {
    mounts_.push_back("host = " + toml_string(host) + "\ncontainer = " + toml_string(container) +
                      "\nmode = " + toml_string(rw ? "rw" : "ro") + "\n");
  }
  void note(const std::string& what) { notes_.push_back(what); }

  std::string render(const std::string& name, const std::string& origin) const {
    std::string out =
        "# " + name + ": imported from " + origin + " (boxapp import docker-inspect)\n";
    for (const auto& w : why_)
      out += "# " + w + "\n";
    if (!includes_.empty()) out += "include = " + array(includes_) + "\n";
    for (const auto& [section, lines] : sections_) {
      out += "\n[" + section + "]\n";
      for (const auto& l : lines)
        out += l + "\n";
    }
    for (const auto& m : mounts_)
      out += "\n[[mounts]]\n" + m;
    if (!notes_.empty()) out += "\n# Not carried over:\n";
    for (const auto& n : notes_)
      out += "# - " + n + "\n";
    return out;
  }

 private:
  std::vector<std::string> includes_, why_;
  // [app] first, and always: a profile has one.
  std::vector<std::pair<std::string, std::vector<std::string>>> sections_ = {{"app", {}}};
  std::vector<std::string> mounts_, notes_;
};

// What one host path shared into the container is to boxapp: a fragment, nothing (the box
// has it already), or a mount of its own.
void carry_bind(ProfileText& p, const std::string& src, const std::string& dst, bool rw) {
  if (starts_with(src, "/tmp/.X11-unix")) return p.include("x11", "the X11 socket was bound");
  if (src.find("/pulse") != std::string::npos)
    return p.include("pulseaudio", "the PulseAudio socket was bound");
  if (src == "/dev/snd") return p.include("pulseaudio", "/dev/snd was bound");
  if (src == "/dev/dri") return p.include("gpu", "/dev/dri was bound");
  if (src.size() >= 10 && src.compare(src.size() - 10, 10, "/Downloads") == 0)
    return p.include("downloads", "a Downloads folder was bound (" + src + ")");
  if (src == "/dev/shm") return p.note("bind of /dev/shm: the box has one of its own");
  if (src == "/etc/localtime" || src == "/etc/timezone")
    return p.note("bind of " + src + ": the box sees the host's time zone already");
  if (src.find("dbus") != std::string::npos || src.find("/bus") != std::string::npos)
    return p.note("bind of " + src + ": a D-Bus socket is not given to a box whole");
  p.mount(src, dst, rw);
}

void carry_binds(ProfileText& p, const json& host) {
  for (const auto& b : strings_of(host.value("Binds", json()))) {
    // SRC:DST[:OPTIONS]; a named volume has no leading /.
    const size_t c1 = b.find(':');
    const size_t c2 = c1 == std::string::npos ? c1 : b.find(':', c1 + 1);
    const std::string src = b.substr(0, c1);
    const std::string dst = c1 == std::string::npos ? src : b.substr(c1 + 1, c2 - c1 - 1);
    const std::string opts = c2 == std::string::npos ? "" : b.substr(c2 + 1);
    if (src.empty() || src[0] != '/') {
      p.note("volume " + backquoted(b) +
             ": boxes have no volumes (a [[mounts]] of a folder does it)");
      continue;
    }
    carry_bind(p, src, dst, opts.find("ro") == std::string::npos);
  }
  const json mounts = host.value("Mounts", json::array());
  for (const auto& m : mounts) {
    const std::string type = m.value("Type", "");
    const std::string src = m.value("Source", ""), dst = m.value("Target", "");
    if (type == "bind")
      carry_bind(p, src, dst, !m.value("ReadOnly", false));
    else if (type == "tmpfs" && (dst == "/tmp" || dst == "/run" || dst == "/var/tmp"))
      continue;
    else
      p.note("mount " + m.dump() + ": boxes have binds only");
  }
}

void carry_devices(ProfileText& p, const json& host) {
  std::vector<std::string> paths;
  const json devices = host.value("Devices", json::array());
  for (const auto& d : devices) {
    const std::string dev = d.value("PathOnHost", "");
    if (starts_with(dev, "/dev/snd"))
      p.include("pulseaudio", "the sound devices were given");
    else if (starts_with(dev, "/dev/dri"))
      p.include("gpu", "the GPU was given");
    else if (starts_with(dev, "/dev/video"))
      p.include("webcam", dev + " was given");
    else if (!dev.empty())
      paths.push_back(dev);
    if (d.value("PathInContainer", dev) != dev)
      p.note("device " + dev + " at " + d.value("PathInContainer", "") +
             ": a box has it at its own path");
  }
  if (!paths.empty()) p.set("devices", "paths", array(paths));
}

std::string cap_name(std::string c) {
  std::transform(c.begin(), c.end(), c.begin(), ::toupper);
  return starts_with(c, "CAP_") ? c : "CAP_" + c;
}

void carry_security(ProfileText& p, const json& host) {
  std::vector<std::string> add;
  for (const auto& c : strings_of(host.value("CapAdd", json())))
    add.push_back(cap_name(c));
  if (!add.empty()) p.set("security", "caps_add", array(add));
  for (const auto& c : strings_of(host.value("CapDrop", json())))
    if (cap_name(c) != "CAP_ALL")
      p.note("CapDrop " + c +
             ": a box has no capabilities but those it adds (docker's default set isn't given)");
  for (const auto& opt : strings_of(host.value("SecurityOpt", json()))) {
    const size_t sep = opt.find_first_of("=:");
    const std::string key = opt.substr(0, sep);
    const std::string value = sep == std::string::npos ? "" : opt.substr(sep + 1);
    if (key == "seccomp" && value == "unconfined") {
      p.set("security", "seccomp", toml_string("none"));
    } else if (key == "seccomp") {
      p.note("seccomp profile " + value +
             ": not read; boxapp's preset applies (security.seccomp_allow and seccomp_deny "
             "change it; a Chromium sandbox wants security.nested_userns = true)");
    } else if (key == "no-new-privileges") {
      p.set("security", "no_new_privs", value == "false" ? "false" : "true");
    } else {
      p.note("SecurityOpt " + opt + ": boxapp has no such setting");
    }
  }
  if (host.value("ReadonlyRootfs", false)) p.set("image", "readonly", "true");
}

void carry_resources(ProfileText& p, const json& host) {
  if (const int64_t mem = host.value("Memory", int64_t{0}); mem > 0)
    p.set("resources", "memory", std::to_string(mem));
  double cpus = host.value("NanoCpus", int64_t{0}) / 1e9;
  const int64_t quota = host.value("CpuQuota", int64_t{0}),
                period = host.value("CpuPeriod", int64_t{0});
  if (cpus <= 0 && quota > 0) cpus = static_cast<double>(quota) / (period > 0 ? period : 100000);
  if (cpus > 0) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", cpus);
    p.set("resources", "cpus", text);
  }
  const json pids = host.value("PidsLimit", json());
  if (pids.is_number_integer() && pids.get<int64_t>() > 0)
    p.set("resources", "pids", std::to_string(pids.get<int64_t>()));
  if (host.value("CpuShares", int64_t{0}) > 0)
    p.note("CpuShares " + std::to_string(host.value("CpuShares", int64_t{0})) +
           ": a share, not a limit (resources.cpus is one)");
  const int64_t shm = host.value("ShmSize", int64_t{0});
  if (shm > 0 && shm != 67108864)
    p.note("ShmSize " + std::to_string(shm) + ": a box's /dev/shm is as large as the host's");
}

void carry_network(ProfileText& p, const json& host) {
  const std::string mode = host.value("NetworkMode", "default");
  if (mode == "host")
    p.set("network", "mode", toml_string("host"));
  else if (mode == "none") {
  } else if (starts_with(mode, "container:"))
    p.note("NetworkMode " + mode + ": a box has a network of its own");
  else
    p.include("network", "it had a network of its own (" + mode + ")");
  std::vector<std::string> ports;
  const json bindings = host.value("PortBindings", json::object());
  for (const auto& [box, binds] : bindings.items()) {
    const std::string port = box.substr(0, box.find('/'));
    const std::string udp = box.find("/udp") != std::string::npos ? "/udp" : "";
    for (const auto& b : binds) {
      const std::string ip = b.value("HostIp", ""), hp = b.value("HostPort", "");
      ports.push_back((ip.empty() || ip == "0.0.0.0" ? "" : ip + ":") +
                      (hp.empty() ? "" : hp + ":") + port + udp);
    }
  }
  if (!ports.empty() && p.includes("network"))
    p.set("network", "ports", array(ports));
  else if (!ports.empty())
    p.note("PortBindings " + array(ports) + ": published ports need the bridge");
}

void carry_groups(ProfileText& p, const json& host) {
  for (const auto& g : strings_of(host.value("GroupAdd", json()))) {
    if (g == "audio" || g == "video")
      p.set("groups", g, "true");
    else
      p.note("GroupAdd " + g + ": a box keeps the host's audio and video groups only");
  }
}

void carry_app(ProfileText& p, const json& cfg, bool has_image) {
  std::vector<std::string> run = strings_of(cfg.value("Entrypoint", json()));
  const std::vector<std::string> cmd = strings_of(cfg.value("Cmd", json()));
  run.insert(run.end(), cmd.begin(), cmd.end());
  if (!run.empty()) {
    p.set("app", "command", toml_string(run[0]));
    if (run.size() > 1) p.set("app", "args", array({run.begin() + 1, run.end()}));
  } else if (!has_image) {
    p.set("app", "command", toml_string("sh"));
    p.note("no Entrypoint or Cmd: app.command is a guess");
  }
  if (!cfg.value("WorkingDir", "").empty())
    p.set("app", "workdir", toml_string(cfg.value("WorkingDir", "")));
  if (!cfg.value("User", "").empty())
    p.note("User " + cfg.value("User", "") +
           ": a profile doesn't set one; the image's own User applies");
  static const std::set<std::string> own = {"PATH", "HOME", "HOSTNAME", "TERM", "USER", "LANG"};
  for (const auto& kv : strings_of(cfg.value("Env", json()))) {
    const std::string key = kv.substr(0, kv.find('='));
    const std::string value = kv.substr(std::min(kv.size(), key.size() + 1));
    if (key == "DISPLAY")
      p.include("x11", "DISPLAY was set");
    else if (key == "PULSE_SERVER")
      p.include("pulseaudio", "PULSE_SERVER was set");
    else if (own.count(key))
      continue;  // the box sets these itself, or the image does
    else if (key.empty() ||
             key.find_first_not_of(
                 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
                 std::string::npos)
      p.note("Env " + kv + ": not a name a profile takes");
    else
      p.set("env", key, toml_string(value));
  }
}

// Fields handled above, and those whose value says nothing more than docker's defaults.
const std::set<std::string> kHandled = {"Binds",
                                        "Mounts",
                                        "Devices",
                                        "CapAdd",
                                        "CapDrop",
                                        "SecurityOpt",
                                        "ReadonlyRootfs",
                                        "Memory",
                                        "NanoCpus",
                                        "CpuQuota",
                                        "CpuPeriod",
                                        "PidsLimit",
                                        "CpuShares",
                                        "ShmSize",
                                        "NetworkMode",
                                        "PortBindings",
                                        "GroupAdd",
                                        "Privileged",
                                        "Tmpfs",
                                        "Entrypoint",
                                        "Cmd",
                                        "WorkingDir",
                                        "User",
                                        "Env",
                                        "Image",
                                        "Hostname",
                                        "Domainname",
                                        "AttachStdin",
                                        "AttachStdout",
                                        "AttachStderr",
                                        "Tty",
                                        "OpenStdin",
                                        "StdinOnce",
                                        "LogConfig",
                                        "ConsoleSize",
                                        "MaskedPaths",
                                        "ReadonlyPaths",
                                        "CgroupnsMode",
                                        "Isolation",
                                        "Runtime",
                                        "ArgsEscaped",
                                        "OnBuild",
                                        "StopSignal",
                                        "AutoRemove",
                                        "MemorySwappiness",
                                        "OomKillDisable",
                                        "MemorySwap",
                                        "Labels",
                                        "ExposedPorts",
                                        "Volumes"};

bool is_default(const std::string& key, const json& v) {
  if (v.is_null() || (v.is_boolean() && !v.get<bool>()) || (v.is_number() && v == 0) ||
      (v.is_string() && v.get<std::string>().empty()) || (v.is_structured() && v.empty()))
    return true;
  if (key == "RestartPolicy") return v.value("Name", "no") == "no" || v.value("Name", "") == "";
  if (key == "IpcMode") return v == "private" || v == "shareable";
  return false;
}

void note_leftovers(ProfileText& p, const json& section, const char* name) {
  if (!section.is_object()) return;
  for (const auto& [key, v] : section.items()) {
    if (kHandled.count(key) || is_default(key, v)) continue;
    if (key == "RestartPolicy") {
      p.note("RestartPolicy " + v.value("Name", "") +
             ": boxapp systemd install APP starts it at login");
      continue;
    }
    std::string text = v.dump();
    if (text.size() > 120) text = text.substr(0, 117) + "...";
    p.note(std::string(name) + "." + key + " = " + text);
  }
}

}  // namespace

ImportedProfile import_docker_inspect(const json& doc, const std::string& origin,
                                      const std::string& name) {
  const json* c = &doc;
  std::string at = origin + ": ";
  if (doc.is_array()) {
    if (doc.size() != 1)
      throw Error(at + "holds " + std::to_string(doc.size()) +
                  " containers; inspect one (docker inspect NAME > FILE)");
    c = &doc[0];
    at = origin + ": [0].";
  }
  if (!c->is_object() || !c->contains("Config") || !(*c)["Config"].is_object())
    throw Error(at + "Config: missing; not what docker or podman inspect print for a container");
  const json& cfg = (*c)["Config"];
  const json host = c->value("HostConfig", json::object());
  if (host.value("Privileged", false))
    throw Error(at +
                "HostConfig.Privileged: a privileged container has every device and "
                "capability of the host, which no box gets; name the devices (--device) "
                "and capabilities (--cap-add) it needs and inspect it again");
  ImportedProfile out;
  out.name = name.empty() ? c->value("Name", "") : name;
  if (!out.name.empty() && out.name[0] == '/') out.name.erase(0, 1);
  if (out.name.empty()) throw Error(at + "Name: missing; give the profile one with --name");
  ProfileText p;
  // podman's inspect names the image in ImageName; docker's Config.Image is what was run.
  const std::string image = c->value("ImageName", cfg.value("Image", ""));
  const bool named_image = !image.empty() && !starts_with(image, "sha256:");
  carry_app(p, cfg, named_image);
  if (named_image) {
    p.set("image", "type", toml_string("oci"));
    p.set("image", "ref", toml_string(image));
  } else if (!image.empty()) {
    p.note("Image " + image + ": an image's id, not its name; the host image instead");
  }
  carry_binds(p, host);
  carry_devices(p, host);
  carry_security(p, host);
  carry_resources(p, host);
  carry_network(p, host);
  carry_groups(p, host);
  const json tmpfs = host.value("Tmpfs", json::object());
  for (const auto& [path, _] : tmpfs.items())
    if (path != "/tmp" && path != "/run" && path != "/var/tmp")
      p.note("Tmpfs " + path + ": a box has tmpfs on /tmp, /run and /var/tmp only");
  if (cfg.contains("ExposedPorts") && cfg["ExposedPorts"].is_object() && !p.includes("network"))
    p.note("ExposedPorts: published ports need the bridge");
  note_leftovers(p, host, "HostConfig");
  note_leftovers(p, cfg, "Config");
  out.toml = p.render(out.name, origin);
  return out;
}

}  // namespace boxapp
