#include "run/prepare.hpp"

#include "dbus/bus_proxy.hpp"
#include "dbus/open_links.hpp"
#include "display/xauth.hpp"
#include "host/box_paths.hpp"
#include "image/box_image.hpp"
#include "oci/spec_version.hpp"
#include "sound/sound_socket.hpp"
#include "util/atomic_file.hpp"
#include "util/log.hpp"
#include "util/sys.hpp"

namespace boxapp {

void warn_without_sound(const Profile& p, const HostFacts& h) {
  const std::string missing = sound_missing(p, h);
  if (!missing.empty() && !p.audio_required)
    boxrt::log_warning(missing +
                       ": the box runs without sound (audio.required = true makes "
                       "this an error)");
}

void warn_without_bus(const Profile& p, const HostFacts& h) {
  for (const auto& missing : plan_buses(p, h).missing)
    boxrt::log_warning(missing);
}

PreparedBox prepare_box(Profile profile, HostFacts host, const PrepareOptions& po) {
  PreparedBox c{std::move(profile), std::move(host), {}};
  CompileOptions o;
  o.rootfs = po.rootfs;
  o.box_dir = po.box_dir;
  o.nested_display = po.nested_display;
  o.args = po.args;
  o.terminal = po.terminal;
  o.image = po.image ? &*po.image : nullptr;
  c.spec = compile_profile(c.profile, c.host, o);
  if (po.box_dir.empty()) return c;
  prepare_host_rootfs(po.rootfs, c.host);
  if (po.image) make_writable_layer(*po.image);
  prepare_app_data(c.profile, c.host);
  boxrt::make_dirs(po.box_dir, 0700);
  if (c.profile.etc == EtcMode::minimal) prepare_minimal_etc(c.profile, c.host);
  if (gets_xdg_open(c.host, o)) prepare_open_links(c.host);
  // The user's Downloads folder, as xdg-user-dirs makes it, when the app may share it.
  if (c.profile.downloads) boxrt::make_dirs(c.host.downloads, 0755);
  // The nested server's keeper writes its own cookie there.
  if (c.host.x_cookie && c.profile.display != Display::none &&
      c.profile.display != Display::x11_isolated)
    write_xauthority(po.box_dir + "/Xauthority", *c.host.x_cookie);
  return c;
}

oci::Spec spec_of(const std::string& app) {
  HostFacts host = gather_host_facts();
  PrepareOptions o;
  o.rootfs = host_root_dir(host.xdg_runtime_dir);
  Profile p = load_profile(find_profile(app));
  warn_without_sound(p, host);
  warn_without_bus(p, host);
  o.image = image_for(p, host, box_name(p));
  return prepare_box(std::move(p), std::move(host), o).spec;
}

namespace {

// Other runtimes, run by a plain user, want the container's root to be that user: runc
// chowns exec.fifo and its stdio pipes to container root, which only works when that is the
// caller (crun would take a subordinate id too). So an exported bundle maps root to the user,
// as `runc spec --rootless` does, and runs the app as root inside, which is the user on the
// host: files it writes on its binds are the user's, as under boxapp. Only `id` shows 0.
void map_root_to_user(oci::Spec& spec, const HostFacts& host) {
  auto& l = *spec.linux;
  l.uid_mappings = std::vector<oci::IdMapping>{{0, host.uid, 1, {}}};
  l.gid_mappings = std::vector<oci::IdMapping>{{0, host.gid, 1, {}}};
  spec.process->user->uid = 0;
  spec.process->user->gid = 0;
  spec.process->user->additional_gids.reset();  // only the user's own group is mapped
  // tmpfs homes owned by the user: by container root now.
  const std::string uid_opt = "uid=" + std::to_string(host.uid);
  const std::string gid_opt = "gid=" + std::to_string(host.gid);
  if (!spec.mounts) return;
  for (auto& m : *spec.mounts) {
    if (!m.options) continue;
    for (auto& o : *m.options) {
      if (o == uid_opt) o = "uid=0";
      if (o == gid_opt) o = "gid=0";
    }
  }
}

}  // namespace

std::string write_bundle(const std::string& app, const std::string& dir) {
  boxrt::make_dirs(dir, 0755);
  const std::string abs = boxrt::absolute_path(dir);
  PrepareOptions o;
  o.rootfs = abs + "/rootfs";
  o.box_dir = abs;
  Profile p = load_profile(find_profile(app));
  HostFacts host = gather_host_facts();
  o.image = image_for(p, host, box_name(p));
  PreparedBox c = prepare_box(std::move(p), std::move(host), o);
  // Whatever runs this bundle can't unload a sound socket when it ends: the session's is
  // shared.
  if (gets_sound(c.profile, c.host)) share_session_sound(abs, c.host);
  c.spec.root->path = "rootfs";
  // For crun and runc as they are (docs/design.md, "Exported bundles").
  map_root_to_user(c.spec, c.host);
  c.spec.oci_version = oci::lowest_version(c.spec);
  boxrt::write_file_atomic(abs + "/config.json", oci::dump_spec(c.spec), 0644);
  return abs;
}

}  // namespace boxapp
