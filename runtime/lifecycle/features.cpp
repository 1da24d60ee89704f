#include "lifecycle/features.hpp"

#include <seccomp.h>
#include <sys/capability.h>

#include <cctype>

#include "init/mount_options.hpp"
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
  // Only what works today.
  const json seccomp_flags = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                              "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                              "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  return {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", std::string(oci::kVersion)},
      {"hooks",
       {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
      {"mountOptions", known_mount_options()},
      {"linux",
       {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "user", "uts", "time"}},
        {"capabilities", caps},
        {"cgroup", {{"v1", false}, {"v2", true}, {"systemd", true}, {"systemdUser", true}}},
        {"seccomp",
         {{"enabled", true},
          {"actions",
           {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
            "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE",
            "SCMP_ACT_TRAP"}},
          {"operators",
           {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
            "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"}},
          {"archs",
           {"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64",
            "SCMP_ARCH_ARM"}},
          {"knownFlags", seccomp_flags},
          {"supportedFlags", seccomp_flags}}},
        {"apparmor", {{"enabled", false}}},
        {"selinux", {{"enabled", false}}},
        {"intelRdt", {{"enabled", false}}},
        {"mountExtensions", {{"idmap", {{"enabled", false}}}}}}},
      {"annotations",
       {{"org.boxapp.runtime.version", "0.1.0"},
        {"run.oci.keep_original_groups", "1"},
        {"io.github.seccomp.libseccomp.version",
         std::to_string(seccomp_version()->major) + "." + std::to_string(seccomp_version()->minor) +
             "." + std::to_string(seccomp_version()->micro)}}},
  };
}

}  // namespace boxrt
