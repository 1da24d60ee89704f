#include "ns/idmap.hpp"

#include <fcntl.h>

#include <fstream>
#include <sstream>

#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxrt {

std::vector<IdRange> subordinate_ranges(const std::string& file, const std::string& user,
                                        uint32_t id) {
  std::vector<IdRange> out;
  std::ifstream in(file);
  std::string line;
  const std::string id_text = std::to_string(id);
  while (std::getline(in, line)) {
    auto c1 = line.find(':');
    auto c2 = line.find(':', c1 == std::string::npos ? c1 : c1 + 1);
    if (c1 == std::string::npos || c2 == std::string::npos) continue;
    std::string owner = line.substr(0, c1);
    if (owner != user && owner != id_text) continue;
    try {
      IdRange r;
      r.outside = static_cast<uint32_t>(std::stoul(line.substr(c1 + 1, c2 - c1 - 1)));
      r.count = static_cast<uint32_t>(std::stoul(line.substr(c2 + 1)));
      if (r.count > 0) out.push_back(r);
    } catch (const std::exception&) {
      continue;  // a malformed line; newuidmap would ignore it too
    }
  }
  return out;
}

std::optional<IdRange> subordinate_range(const std::string& file, const std::string& user,
                                         uint32_t id) {
  auto all = subordinate_ranges(file, user, id);
  if (all.empty()) return std::nullopt;
  return all.front();
}

std::vector<IdRange> parse_id_map(const std::string& text) {
  std::vector<IdRange> out;
  std::istringstream in(text);
  uint64_t a, b, c;
  while (in >> a >> b >> c)
    out.push_back({static_cast<uint32_t>(a), static_cast<uint32_t>(b), static_cast<uint32_t>(c)});
  return out;
}

std::vector<IdRange> as_ranges(const std::vector<oci::IdMapping>& mappings) {
  std::vector<IdRange> out;
  for (const auto& m : mappings)
    out.push_back({m.container_id, m.host_id, m.size});
  return out;
}

std::vector<IdRange> translate_to_namespace(const std::vector<oci::IdMapping>& mappings,
                                            const std::vector<IdRange>& ns,
                                            const std::string& member, const char* kind) {
  std::vector<IdRange> out;
  for (size_t i = 0; i < mappings.size(); ++i) {
    uint64_t host = mappings[i].host_id, inside = mappings[i].container_id;
    uint64_t left = mappings[i].size;
    // A range may straddle several extents of the namespace's own map: split it.
    while (left > 0) {
      const IdRange* hit = nullptr;
      for (const auto& e : ns)
        if (host >= e.outside && host < uint64_t{e.outside} + e.count) hit = &e;
      if (!hit)
        throw Error(
            member + "[" + std::to_string(i) + "]: host " + kind + " " + std::to_string(host) +
            " is not yours to map (not your own id and not in your /etc/sub" + kind + " range)");
      uint64_t n = std::min<uint64_t>(left, uint64_t{hit->outside} + hit->count - host);
      out.push_back({static_cast<uint32_t>(inside),
                     static_cast<uint32_t>(hit->inside + (host - hit->outside)),
                     static_cast<uint32_t>(n)});
      host += n;
      inside += n;
      left -= n;
    }
  }
  return out;
}

std::string format_id_map(const std::vector<IdRange>& ranges) {
  std::string out;
  for (const auto& r : ranges)
    out += std::to_string(r.inside) + " " + std::to_string(r.outside) + " " +
           std::to_string(r.count) + "\n";
  return out;
}

std::string describe_id_map(const std::vector<IdRange>& ranges) {
  std::string out;
  for (const auto& r : ranges)
    out += (out.empty() ? "" : ", ") + std::to_string(r.inside) + " " + std::to_string(r.outside) +
           " " + std::to_string(r.count);
  return out.empty() ? "none" : out;
}

namespace {

void write_proc_file(pid_t pid, const char* name, const std::string& text) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  unique_fd fd = open_file(path, O_WRONLY);
  // One write(2): the kernel accepts a map only whole, in a single write.
  ssize_t n = retry_eintr([&] { return ::write(fd.get(), text.data(), text.size()); });
  if (n < 0) {
    throw_errno("write " + backquoted(describe_id_map(parse_id_map(text))) + " to " +
                backquoted(path));
  }
}

}  // namespace

void write_id_maps(pid_t pid, const std::vector<IdRange>& uids, const std::vector<IdRange>& gids,
                   bool deny_setgroups) {
  if (deny_setgroups) write_proc_file(pid, "setgroups", "deny");
  if (!uids.empty()) write_proc_file(pid, "uid_map", format_id_map(uids));
  if (!gids.empty()) write_proc_file(pid, "gid_map", format_id_map(gids));
}

}  // namespace boxrt
