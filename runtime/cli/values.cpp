// The values given on boxapp-runtime's command line, as the library's types.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxrt_cli {

using boxrt::Error;

// exec --cap, as runc adds it: bounding, effective and permitted, and ambient where the
// process has an inheritable set for it to be allowed in.
void add_capabilities(oci::Process& p, const std::vector<std::string>& caps) {
  if (caps.empty()) return;
  if (!p.capabilities) p.capabilities.emplace();
  auto& c = *p.capabilities;
  auto add = [](std::optional<oci::StringList>& list, const std::string& cap) {
    if (!list) list.emplace();
    if (std::find(list->begin(), list->end(), cap) == list->end()) list->push_back(cap);
  };
  for (const auto& cap : caps) {
    add(c.bounding, cap);
    add(c.effective, cap);
    add(c.permitted, cap);
    if (c.inheritable) add(c.ambient, cap);
  }
}

oci::Process exec_process(const boxrt::Runtime& rt, const Args& a,
                          const std::vector<std::string>& command) {
  if (!a.process_file.empty())
    return oci::parse_process(boxrt::read_file(a.process_file), a.process_file);
  if (command.empty()) throw Error("exec: give a command to run, or --process FILE");
  oci::Process p = rt.default_exec_process(a.id);
  p.args = command;
  p.terminal = a.tty;
  if (!a.cwd.empty()) p.cwd = a.cwd;
  for (const auto& kv : a.env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error("exec: -e " + boxrt::backquoted(kv) + ": use KEY=VALUE");
    if (!p.env) p.env.emplace();
    auto& env = *p.env;
    std::erase_if(env,
                  [&](const std::string& e) { return e.compare(0, eq + 1, kv, 0, eq + 1) == 0; });
    env.push_back(kv);
  }
  if (!a.user.empty()) {
    unsigned uid = 0, gid = 0;
    int n = std::sscanf(a.user.c_str(), "%u:%u", &uid, &gid);
    if (n < 1) throw Error("exec: -u " + boxrt::backquoted(a.user) + ": use UID[:GID]");
    if (!p.user) p.user.emplace();
    p.user->uid = uid;
    if (n == 2) p.user->gid = gid;
  }
  if (!a.additional_gids.empty()) {
    if (!p.user) p.user.emplace();
    auto& gids =
        p.user->additional_gids ? *p.user->additional_gids : p.user->additional_gids.emplace();
    gids.insert(gids.end(), a.additional_gids.begin(), a.additional_gids.end());
  }
  add_capabilities(p, a.caps);
  if (a.no_new_privs) p.no_new_privileges = true;
  if (!a.apparmor.empty()) p.apparmor_profile = a.apparmor;
  if (!a.process_label.empty()) p.selinux_label = a.process_label;
  return p;
}

std::string exec_sub_cgroup(const std::string& value) {
  // On the unified hierarchy every controller shares the one path; runc accepts the
  // CONTROLLERS: prefix there too.
  const size_t colon = value.find(':');
  std::string path = colon == std::string::npos ? value : value.substr(colon + 1);
  while (!path.empty() && path.front() == '/')
    path.erase(0, 1);
  bool ok = !path.empty();
  for (size_t start = 0; ok && start <= path.size();) {
    size_t end = std::min(path.find('/', start), path.size());
    const std::string part = path.substr(start, end - start);
    ok = part != ".." && part != "." && !part.empty();
    start = end + 1;
  }
  if (!ok)
    throw Error("exec: --cgroup " + boxrt::backquoted(value) +
                ": use a path below the container's cgroup, such as `sub` or `cpu:sub`");
  return path;
}

// "5s", "500ms", "2m", or plain seconds.
int parse_interval_ms(const std::string& s) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  const std::string unit = end ? end : "";
  double ms = unit == "ms"                  ? v
              : unit == "s" || unit.empty() ? v * 1000
              : unit == "m"                 ? v * 60000
                                            : -1;
  if (end == s.c_str() || ms < 0 || ms > 86400000)
    throw Error("events: --interval " + boxrt::backquoted(s) +
                ": use a duration such as 5s or 500ms");
  return static_cast<int>(ms);
}

// 512, 64k, 256m, 2g: bytes with an optional binary suffix; -1 for unlimited.
int64_t parse_amount(const std::string& flag, const std::string& s) {
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  std::string unit = end ? end : "";
  for (auto& c : unit)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.ends_with("b") && unit.size() == 2) unit.pop_back();
  const int64_t mult = unit.empty()  ? 1
                       : unit == "k" ? 1024
                       : unit == "m" ? 1 << 20
                       : unit == "g" ? 1 << 30
                                     : 0;
  if (end == s.c_str() || mult == 0 || (v < 0 && v != -1))
    throw Error("update: --" + flag + " " + boxrt::backquoted(s) +
                ": use a number, with k, m or g if you like, or -1");
  return v * mult;
}

oci::Resources update_resources(const Args& a) {
  oci::Resources r;
  if (!a.resources_file.empty()) {
    const bool stdin_doc = a.resources_file == "-";
    std::string text;
    if (stdin_doc) {
      std::string line;
      while (std::getline(std::cin, line))
        text += line + "\n";
    } else {
      text = boxrt::read_file(a.resources_file);
    }
    r = oci::parse_resources(text, stdin_doc ? "<stdin>" : a.resources_file);
  }
  auto has = [&](const char* f) { return a.limits.count(f) && !a.limits.at(f).empty(); };
  auto num = [&](const char* f) { return parse_amount(f, a.limits.at(f)); };
  // Flags override the file's values field by field.
  auto mem = [&]() -> oci::MemoryResources& { return r.memory ? *r.memory : r.memory.emplace(); };
  auto cpu = [&]() -> oci::CpuResources& { return r.cpu ? *r.cpu : r.cpu.emplace(); };
  if (has("memory")) mem().limit = num("memory");
  if (has("memory-swap")) mem().swap = num("memory-swap");
  if (has("memory-reservation")) mem().reservation = num("memory-reservation");
  if (has("pids-limit")) (r.pids ? *r.pids : r.pids.emplace()).limit = num("pids-limit");
  if (has("cpu-shares")) cpu().shares = static_cast<uint64_t>(num("cpu-shares"));
  if (has("cpu-quota")) cpu().quota = num("cpu-quota");
  if (has("cpu-period")) cpu().period = static_cast<uint64_t>(num("cpu-period"));
  if (has("cpuset-cpus")) cpu().cpus = a.limits.at("cpuset-cpus");
  if (has("cpuset-mems")) cpu().mems = a.limits.at("cpuset-mems");
  if (has("blkio-weight"))
    (r.block_io ? *r.block_io : r.block_io.emplace()).weight =
        static_cast<uint16_t>(num("blkio-weight"));
  if (a.resources_file.empty() && !r.memory && !r.pids && !r.cpu && !r.block_io)
    throw Error("update: give --resources FILE or a limit such as --memory or --pids-limit");
  return r;
}

}  // namespace boxrt_cli
