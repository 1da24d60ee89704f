// `boxapp import docker-inspect`: a container as `docker inspect` (or `podman inspect`)
// describes it, made a boxapp profile (the 2016 seeds' riddler, which made a runc config of
// it). What boxapp has a fragment for becomes the fragment (the X11 socket bind: x11; the
// PulseAudio socket or /dev/snd: pulseaudio; /dev/dri: gpu; ~/Downloads: downloads), the
// rest its own keys, and every field that couldn't be carried over a comment in the profile.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace boxapp {

struct ImportedProfile {
  std::string name;  // the app's name: --name, else the container's
  std::string toml;  // the profile's text
};

// `inspect` is the whole document (an array of containers, or one); `origin` names it in
// errors ("chrome.json: [0].HostConfig.Privileged: ..."). Refuses a privileged container,
// and a document with no container or more than one.
ImportedProfile import_docker_inspect(const nlohmann::json& inspect, const std::string& origin,
                                      const std::string& name);

}  // namespace boxapp
