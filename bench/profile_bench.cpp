// Profile load + compile time: PROFILE N times, as `boxapp run` does it before anything else
// (search path, extends and includes, parse, host facts, compile).
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "compile/compile.hpp"
#include "profile/profile.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: profile-bench PROFILE [N]\n");
    return 2;
  }
  const int n = argc > 2 ? std::atoi(argv[2]) : 2000;
  boxapp::HostFacts host = boxapp::gather_host_facts();
  host.display = ":0";  // what the profile asks for, whatever this machine has
  host.pulse_socket = host.xdg_runtime_dir + "/pulse/native";
  boxapp::CompileOptions o;
  o.rootfs = "/nonexistent";
  size_t bytes = 0;
  auto run = [&](bool with_facts) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      boxapp::Profile p = boxapp::load_profile(boxapp::find_profile(argv[1]));
      for (auto& m : p.mounts)
        m.optional = true;
      boxapp::HostFacts h = with_facts ? boxapp::gather_host_facts() : host;
      h.display = host.display;
      h.pulse_socket = host.pulse_socket;
      bytes += boxapp::compile_profile(p, h, o).mounts->size();
    }
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
               .count() /
           n;
  };
  run(false);  // warm up
  double compile_only = run(false), with_facts = run(true);
  std::printf(
      "profile %s: load + compile %.1f us, with reading the host facts %.1f us "
      "(mean of %d; %zu)\n",
      argv[1], compile_only, with_facts, n, bytes);
  return 0;
}
