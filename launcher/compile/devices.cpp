// [devices] and [groups]: the device nodes the app may use, and the host groups that open
// them.
#include "compile/compile.hpp"
#include "util/error.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;

// Device files keep their host groups (audio, video). The box reaches them as that group
// itself where /etc/subgid grants it (mapped as its own id, and given to the app), or else
// by keeping the user's supplementary groups (docs/design.md, "Identity, groups and devices").
void compile_groups(const Profile& p, const HostFacts& h, oci::Spec& s) {
  std::vector<uint32_t> mapped;
  bool keep = false;
  auto want = [&](bool asked, const char* name) {
    if (!asked) return;
    if (auto g = h.granted_groups.find(name); g != h.granted_groups.end())
      mapped.push_back(g->second);
    else
      keep = true;
  };
  want(p.group_audio, "audio");
  want(p.group_video, "video");
  for (uint32_t gid : mapped)
    s.linux->gid_mappings->push_back({gid, gid, 1, {}});
  if (keep) {
    (*s.annotations)["run.oci.keep_original_groups"] = "1";
  } else if (!mapped.empty()) {
    s.process->user->additional_gids = mapped;
  }
}

}  // namespace

void compile_devices(const Profile& p, const HostFacts& h, oci::Spec& s) {
  std::vector<oci::Device> devs;
  // gpu, sound and webcam: whichever of their nodes this host has, as flatpak's --device.
  if (p.gpu) devs.insert(devs.end(), h.gpu_devices.begin(), h.gpu_devices.end());
  if (p.sound) devs.insert(devs.end(), h.sound_devices.begin(), h.sound_devices.end());
  if (p.webcam) devs.insert(devs.end(), h.video_devices.begin(), h.video_devices.end());
  for (size_t i = 0; i < p.device_paths.size(); ++i) {
    std::optional<oci::Device> d = h.device_at ? h.device_at(p.device_paths[i]) : std::nullopt;
    if (!d)
      throw Error(p.file + ": devices.paths[" + std::to_string(i) +
                  "]: " + backquoted(p.device_paths[i]) + " is not a device on this host");
    devs.push_back(*d);
  }
  if (!devs.empty()) s.linux->devices = devs;
  compile_groups(p, h, s);
}

}  // namespace boxapp
