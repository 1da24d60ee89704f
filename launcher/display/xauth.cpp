#include "display/xauth.hpp"

#include <vector>

#include "util/atomic_file.hpp"

namespace boxapp {
namespace {

// Fields are a 16-bit big-endian length and that many bytes.
class Reader {
 public:
  explicit Reader(const std::string& s) : s_(s) {}
  bool done() const { return pos_ >= s_.size(); }
  bool u16(uint16_t& v) {
    if (s_.size() - pos_ < 2) return false;
    v = static_cast<uint16_t>((static_cast<unsigned char>(s_[pos_]) << 8) |
                              static_cast<unsigned char>(s_[pos_ + 1]));
    pos_ += 2;
    return true;
  }
  bool field(std::string& out) {
    uint16_t n;
    if (!u16(n) || s_.size() - pos_ < n) return false;
    out.assign(s_, pos_, n);
    pos_ += n;
    return true;
  }

 private:
  const std::string& s_;
  size_t pos_ = 0;
};

void put_u16(std::string& out, size_t v) {
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

void put_field(std::string& out, const std::string& f) {
  put_u16(out, f.size());
  out += f;
}

}  // namespace

std::optional<XauthEntry> find_display_cookie(const std::string& file, const std::string& number,
                                              const std::string& hostname) {
  Reader r(file);
  std::optional<XauthEntry> wild, other_local;
  while (!r.done()) {
    XauthEntry e;
    if (!r.u16(e.family) || !r.field(e.address) || !r.field(e.number) || !r.field(e.name) ||
        !r.field(e.data))
      break;  // a truncated file: what came before still counts, as libXau reads it
    if (e.number != number || e.data.empty()) continue;
    if (e.family == kFamilyLocal && e.address == hostname) return e;
    if (e.family == kFamilyWild && !wild) wild = e;
    if (e.family == kFamilyLocal && !other_local) other_local = e;
  }
  return wild ? wild : other_local;
}

std::string encode_xauth(const XauthEntry& e) {
  std::string out;
  put_u16(out, e.family);
  put_field(out, e.address);
  put_field(out, e.number);
  put_field(out, e.name);
  put_field(out, e.data);
  return out;
}

void write_xauthority(const std::string& path, const XauthEntry& e) {
  boxrt::write_file_atomic(path, encode_xauth(e), 0600, boxrt::Durability::volatile_ok);
}

}  // namespace boxapp
