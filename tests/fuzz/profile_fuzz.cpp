// libFuzzer target: any bytes as a profile. Parsing and compiling may refuse the input with
// boxrt::Error (a clear message); anything else escaping is a bug, and so is a compiled
// spec that the runtime's own validation rejects.
#include <cstdint>
#include <string>

#include "compile/compile.hpp"
#include "profile/profile.hpp"
#include "util/error.hpp"

namespace {

boxapp::HostFacts fuzz_host() {
  boxapp::HostFacts h;
  h.uid = 1000;
  h.gid = 1000;
  h.user = "fuzz";
  h.home = "/home/fuzz";
  h.xdg_runtime_dir = "/run/user/1000";
  h.xdg_data_home = "/home/fuzz/.local/share";
  h.downloads = "/home/fuzz/Downloads";
  h.display = ":0";
  h.pulse_socket = "/run/user/1000/pulse/native";
  h.root_dirs = {"usr", "etc"};
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const boxapp::HostFacts host = fuzz_host();
  const std::string text(reinterpret_cast<const char*>(data), size);
  boxapp::Profile p;
  try {
    p = boxapp::parse_profile(text, "fuzz.toml");
  } catch (const boxrt::Error&) {
    return 0;
  }
  for (auto& m : p.mounts)
    m.optional = true;
  oci::Spec spec;
  try {
    boxapp::CompileOptions o;
    o.rootfs = "/r";
    spec = boxapp::compile_profile(p, host, o);
  } catch (const boxrt::Error&) {
    return 0;
  }
  // Must not throw: what we compile, we must also accept.
  oci::parse_spec(oci::dump_spec(spec), "compiled");
  return 0;
}
