// The compiled-filter cache (seccomp.hpp). One file per profile:
//   "boxrt-seccomp 2\n" FLAGS "\n" KEY-LENGTH "\n" KEY BPF-INSTRUCTIONS
#include <seccomp.h>
#include <sys/stat.h>

#include <cstring>

#include "init/seccomp.hpp"
#include "oci/schemas.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/name_hash.hpp"
#include "util/sys.hpp"

namespace boxrt {
namespace {

// 2: filters are binary trees (seccomp.cpp); files of version 1 are chains, made again.
constexpr std::string_view kMagic = "boxrt-seccomp 2\n";

std::string cache_key(const oci::Seccomp& spec) {
  const scmp_version* v = seccomp_version();
  return "libseccomp " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
         std::to_string(v->micro) + "\n" + oci::write_value(spec).dump();
}

// A file name, not a check: the file holds the whole key.
std::string file_name(const std::string& key) {
  return name_hash(key) + ".bpf";
}

std::optional<SeccompProgram> load(const std::string& path, const std::string& key) {
  std::string text;
  try {
    text = read_file(path);
  } catch (const Error&) {
    return std::nullopt;
  }
  if (!text.starts_with(kMagic)) return std::nullopt;
  size_t pos = kMagic.size();
  char* end = nullptr;
  unsigned long flags = std::strtoul(text.c_str() + pos, &end, 10);
  if (*end != '\n') return std::nullopt;
  pos = static_cast<size_t>(end - text.c_str()) + 1;
  unsigned long key_len = std::strtoul(text.c_str() + pos, &end, 10);
  if (*end != '\n') return std::nullopt;
  pos = static_cast<size_t>(end - text.c_str()) + 1;
  if (key_len != key.size() || text.compare(pos, key_len, key) != 0) return std::nullopt;
  pos += key_len;
  const size_t bytes = text.size() - pos;
  if (bytes == 0 || bytes % sizeof(struct sock_filter) != 0) return std::nullopt;
  SeccompProgram prog;
  prog.flags = static_cast<unsigned>(flags);
  prog.code.resize(bytes / sizeof(struct sock_filter));
  std::memcpy(prog.code.data(), text.data() + pos, bytes);
  return prog;
}

void store(const std::string& dir, const std::string& path, const std::string& key,
           const SeccompProgram& prog) {
  std::string text(kMagic);
  text += std::to_string(prog.flags) + "\n" + std::to_string(key.size()) + "\n" + key;
  text.append(reinterpret_cast<const char*>(prog.code.data()),
              prog.code.size() * sizeof(struct sock_filter));
  try {
    // The state root itself is made only when the first container is claimed, after this.
    const std::string root = dir.substr(0, dir.rfind('/'));
    if (::mkdir(root.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("mkdir " + root);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("mkdir " + dir);
    write_file_atomic(path, text, 0600, Durability::volatile_ok);
  } catch (const Error& e) {
    log_debug(std::string("seccomp cache: not stored: ") + e.what());  // only slower next time
  }
}

}  // namespace

SeccompProgram compile_seccomp_cached(const oci::Seccomp& spec, const std::string& dir,
                                      bool* from_cache) {
  const std::string key = cache_key(spec);
  const std::string path = dir + "/" + file_name(key);
  if (auto prog = load(path, key)) {
    if (from_cache) *from_cache = true;
    return *prog;
  }
  SeccompProgram prog = compile_seccomp(spec);
  store(dir, path, key, prog);
  if (from_cache) *from_cache = false;
  return prog;
}

}  // namespace boxrt
