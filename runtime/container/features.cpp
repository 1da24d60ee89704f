#include "container/features.hpp"

#include <sys/capability.h>

#include <cctype>

#include "container/mount_options.hpp"
#include "oci/spec.hpp"

namespace boxrt {

nlohmann::json runtime_features() {
  using nlohmann::json;
  json caps = json::array();
  for (int c = 0; c <= CAP_LAST_CAP; ++c) {
    char* name = cap_to_name(c);
    std::string upper = name ? name : "";
    cap_free(name);
    for (auto& ch : upper)
      ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (upper.rfind("CAP_", 0) == 0) caps.push_back(upper);
  }
  // Only what works today: hooks, cgroups, seccomp, AppArmor and SELinux come with the
  // runtime hardening work and say "not enabled" until then.
  return {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", std::string(oci::kVersion)},
      {"hooks", json::array()},
      {"mountOptions", known_mount_options()},
      {"linux",
       {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "user", "uts", "time"}},
        {"capabilities", caps},
        {"cgroup", {{"v1", false}, {"v2", false}, {"systemd", false}, {"systemdUser", false}}},
        {"seccomp", {{"enabled", false}}},
        {"apparmor", {{"enabled", false}}},
        {"selinux", {{"enabled", false}}},
        {"intelRdt", {{"enabled", false}}},
        {"mountExtensions", {{"idmap", {{"enabled", false}}}}}}},
      {"annotations",
       {{"org.boxapp.runtime.version", "0.1.0"}, {"run.oci.keep_original_groups", "1"}}},
  };
}

}  // namespace boxrt
