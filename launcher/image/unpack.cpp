// A layer's tar into the store. Runs as root in the session's user namespace (boxapp-layer
// joins it), so it can give files the owners the image says, shifted into the box's layout.
//
// Attacks stopped here: an entry named `/etc/x` or `../../x` (refused: names are checked
// before anything is written); a symlink entry followed by a file "through" it, and a
// hard link naming something outside (libarchive's SECURE_* checks every component with
// lstat); device nodes, which a rootless box must never get from an image (skipped); an
// owner the user's range doesn't hold (refused, rather than a file silently owned by
// someone else). The target directory is new and private to us, so nothing else swaps a
// component under the extractor while it works.
#include "image/unpack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/openat2.h>
#include <nettle/sha2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "util/error.hpp"
#include "util/unique_fd.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;
using boxrt::unique_fd;

constexpr const char* kWhiteoutPrefix = ".wh.";
constexpr const char* kOpaqueMarker = ".wh..wh..opq";
// overlayfs mounted with userxattr, as a user namespace mounts it, reads this one.
constexpr const char* kOpaqueXattr = "user.overlay.opaque";

// The session's id for the box's root, or for the user where the box has no root of its own.
uint32_t root_owner(const IdLayout& l) {
  return *session_id_of(l, l.sub_count > 0 ? 0 : l.own);
}

std::string hex_of(const uint8_t* d, size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += digits[d[i] >> 4];
    s += digits[d[i] & 15];
  }
  return s;
}

// The blob, read through the digest as libarchive asks for it.
std::string digest_of(sha256_ctx& sha) {
  uint8_t d[SHA256_DIGEST_SIZE];
  sha256_digest(&sha, sizeof d, d);
  return "sha256:" + hex_of(d, sizeof d);
}

struct HashedReader {
  unique_fd fd;
  sha256_ctx sha;
  char buf[1 << 17];
  int error = 0;

  static la_ssize_t read(struct archive*, void* self, const void** out) {
    auto* r = static_cast<HashedReader*>(self);
    ssize_t n;
    do
      n = ::read(r->fd.get(), r->buf, sizeof r->buf);
    while (n < 0 && errno == EINTR);
    if (n < 0) return r->error = errno, -1;
    sha256_update(&r->sha, static_cast<size_t>(n), reinterpret_cast<const uint8_t*>(r->buf));
    *out = r->buf;
    return n;
  }
  // What libarchive didn't need (the tar's end padding) is part of the blob too.
  std::string finish() {
    ssize_t n;
    while ((n = ::read(fd.get(), buf, sizeof buf)) > 0)
      sha256_update(&sha, static_cast<size_t>(n), reinterpret_cast<const uint8_t*>(buf));
    return digest_of(sha);
  }
};

// The blob decompressed (libarchive's raw format through its filters), read through a
// second digest as the tar reader asks for it: the layer's diff id, the same for a layer
// whether a registry gzip'd it or a docker archive didn't, which names it in the store.
struct DiffReader {
  struct archive* outer;
  sha256_ctx sha;
  char buf[1 << 17];

  static la_ssize_t read(struct archive*, void* self, const void** out) {
    auto* r = static_cast<DiffReader*>(self);
    const la_ssize_t n = archive_read_data(r->outer, r->buf, sizeof r->buf);
    if (n > 0)
      sha256_update(&r->sha, static_cast<size_t>(n), reinterpret_cast<const uint8_t*>(r->buf));
    *out = r->buf;
    return n;
  }
  std::string finish() {
    const void* out;
    while (read(nullptr, this, &out) > 0) {
    }
    return digest_of(sha);
  }
};

using ReadArchive = std::unique_ptr<struct archive, decltype(&archive_read_free)>;
using WriteArchive = std::unique_ptr<struct archive, decltype(&archive_write_free)>;

// An entry's name made relative and checked: "./usr/bin/" → "usr/bin"; "" for the root.
// nullopt for a name that leaves the layer.
std::optional<std::string> clean_name(const char* raw) {
  std::string name = raw ? raw : "";
  if (!name.empty() && name[0] == '/') return std::nullopt;
  std::string out;
  size_t i = 0;
  while (i <= name.size()) {
    size_t end = name.find('/', i);
    if (end == std::string::npos) end = name.size();
    const std::string part = name.substr(i, end - i);
    if (part == "..") return std::nullopt;
    if (!part.empty() && part != ".") out += (out.empty() ? "" : "/") + part;
    i = end + 1;
  }
  return out;
}

int openat2_beneath(int dirfd, const std::string& path, int flags) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how));
}

// The directory `dir` inside the layer, made (owned by the box's root) where missing.
unique_fd open_dir(int rootfd, const std::string& dir, uid_t uid, gid_t gid) {
  unique_fd fd(::fcntl(rootfd, F_DUPFD_CLOEXEC, 3));
  size_t i = 0;
  while (fd && i < dir.size()) {
    size_t end = dir.find('/', i);
    if (end == std::string::npos) end = dir.size();
    const std::string part = dir.substr(i, end - i);
    if (::mkdirat(fd.get(), part.c_str(), 0755) == 0)
      (void)::fchownat(fd.get(), part.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW);
    fd.reset(openat2_beneath(fd.get(), part, O_RDONLY | O_DIRECTORY));
    i = end + 1;
  }
  return fd;
}

class LayerWriter {
 public:
  LayerWriter(const UnpackRequest& req, int rootfd)
      : req_(req), rootfd_(rootfd), disk_(archive_write_disk_new(), archive_write_free) {
    archive_write_disk_set_options(
        disk_.get(), ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                         ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                         ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
  }

  void write(struct archive* in, struct archive_entry* e, UnpackResult& result) {
    const char* raw = archive_entry_pathname(e);
    auto name = clean_name(raw);
    if (!name) refuse(raw, "its name leaves the layer");
    if (name->empty()) return;  // the layer's root: the box's root is the upper layer's
    const size_t slash = name->rfind('/');
    const std::string dir = slash == std::string::npos ? "" : name->substr(0, slash);
    const std::string base = slash == std::string::npos ? *name : name->substr(slash + 1);
    if (base.rfind(kWhiteoutPrefix, 0) == 0) return whiteout(raw, dir, base);
    const mode_t type = archive_entry_filetype(e);
    if (type == AE_IFCHR || type == AE_IFBLK) return;  // never a device from an image
    if (const char* link = archive_entry_hardlink(e)) {
      auto target = clean_name(link);
      if (!target || target->empty()) refuse(raw, "its hard link leaves the layer");
      archive_entry_set_hardlink(e, target->c_str());
    }
    archive_entry_set_uid(e, shifted(req_.uids, archive_entry_uid(e), raw, "uid"));
    archive_entry_set_gid(e, shifted(req_.gids, archive_entry_gid(e), raw, "gid"));
    // Numeric ids only: the names would be looked up in the host's /etc/passwd.
    archive_entry_set_uname(e, nullptr);
    archive_entry_set_gname(e, nullptr);
    archive_entry_set_pathname(e, name->c_str());
    if (archive_write_header(disk_.get(), e) != ARCHIVE_OK) fail_disk(raw);
    const void* buf;
    size_t size;
    la_int64_t offset;
    int rc;
    while ((rc = archive_read_data_block(in, &buf, &size, &offset)) == ARCHIVE_OK) {
      if (archive_write_data_block(disk_.get(), buf, size, offset) != ARCHIVE_OK) fail_disk(raw);
      result.bytes += size;
    }
    if (rc != ARCHIVE_EOF) throw Error(backquoted(raw) + ": " + archive_error_string(in));
    if (archive_write_finish_entry(disk_.get()) != ARCHIVE_OK) fail_disk(raw);
    ++result.entries;
  }

  void close() {
    if (archive_write_close(disk_.get()) != ARCHIVE_OK) fail_disk("(directory times)");
  }

 private:
  uint32_t shifted(const IdLayout& l, int64_t id, const char* raw, const char* kind) {
    std::optional<uint32_t> s;
    if (id >= 0 && id <= UINT32_MAX) s = session_id_of(l, static_cast<uint32_t>(id));
    if (!s)
      refuse(raw, std::string("it is owned by ") + kind + " " + std::to_string(id) +
                      ", and a box maps " + kind + "s 0-" + std::to_string(highest_box_id(l)) +
                      " only (the user's range in /etc/sub" + kind +
                      "; an admin can give a bigger one)");
    return *s;
  }

  // `.wh.NAME`: NAME of the layers below is gone, an overlayfs whiteout (a 0:0 character
  // device, which the kernel lets a user namespace make); `.wh..wh..opq`: the directory
  // hides what the layers below have in it.
  void whiteout(const char* raw, const std::string& dir, const std::string& base) {
    unique_fd parent = open_dir(rootfd_, dir, root_owner(req_.uids), root_owner(req_.gids));
    if (!parent) throw boxrt::sys_error(errno, backquoted(raw) + ": open its directory");
    if (base == kOpaqueMarker) {
      if (::fsetxattr(parent.get(), kOpaqueXattr, "y", 1, 0) != 0)
        throw boxrt::sys_error(errno, backquoted(raw) + ": mark its directory opaque");
      return;
    }
    const std::string gone = base.substr(std::strlen(kWhiteoutPrefix));
    if (gone.empty() || gone == "." || gone == "..") refuse(raw, "it whites out nothing");
    (void)::unlinkat(parent.get(), gone.c_str(), 0);
    if (::mknodat(parent.get(), gone.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0)
      throw boxrt::sys_error(errno, backquoted(raw) + ": make the whiteout");
  }

  [[noreturn]] void refuse(const char* raw, const std::string& why) {
    throw Error("entry " + backquoted(raw ? raw : "") + " refused: " + why);
  }
  [[noreturn]] void fail_disk(const char* raw) {
    // libarchive says "Write failed"; the errno it keeps says why (a full disk, a quota).
    const int err = archive_errno(disk_.get());
    std::string why = archive_error_string(disk_.get());
    if (err > 0 && why.find(std::strerror(err)) == std::string::npos)
      why += std::string(" (") + std::strerror(err) + ")";
    throw Error(backquoted(raw) + ": " + why, err);
  }

  const UnpackRequest& req_;
  int rootfd_;
  WriteArchive disk_;
};

}  // namespace

UnpackResult unpack_layer(const UnpackRequest& req) {
  auto reader = std::make_unique<HashedReader>();
  reader->fd.reset(::open(req.blob.c_str(), O_RDONLY | O_CLOEXEC));
  if (!reader->fd) boxrt::throw_errno("open " + backquoted(req.blob));
  sha256_init(&reader->sha);
  if (::mkdir(req.target.c_str(), 0755) != 0)
    boxrt::throw_errno("create " + backquoted(req.target));
  unique_fd root(::open(req.target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  // libarchive writes relative names from the working directory.
  if (!root || ::fchdir(root.get()) != 0) boxrt::throw_errno("enter " + backquoted(req.target));

  ReadArchive blob(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(blob.get());
  archive_read_support_format_raw(blob.get());
  struct archive_entry* e;
  if (archive_read_open(blob.get(), reader.get(), nullptr, HashedReader::read, nullptr) !=
          ARCHIVE_OK ||
      archive_read_next_header(blob.get(), &e) != ARCHIVE_OK)
    throw Error(std::string("not a layer: ") + archive_error_string(blob.get()));
  auto diff = std::make_unique<DiffReader>();
  diff->outer = blob.get();
  sha256_init(&diff->sha);
  ReadArchive in(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(in.get());
  archive_read_support_format_gnutar(in.get());
  if (archive_read_open(in.get(), diff.get(), nullptr, DiffReader::read, nullptr) != ARCHIVE_OK)
    throw Error(std::string("not a tar: ") + archive_error_string(in.get()));
  LayerWriter writer(req, root.get());
  UnpackResult result;
  int rc;
  while ((rc = archive_read_next_header(in.get(), &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN)
    writer.write(in.get(), e, result);
  if (rc != ARCHIVE_EOF) {
    const int err = reader->error ? reader->error : archive_errno(in.get());
    throw Error(std::string("not a whole tar: ") + archive_error_string(in.get()), err);
  }
  writer.close();
  result.diff_id = diff->finish();
  if (archive_errno(blob.get()) != 0 && archive_error_string(blob.get()))
    throw Error(std::string("not a whole layer: ") + archive_error_string(blob.get()));
  result.digest = reader->finish();
  if (!req.diff_id.empty() && result.diff_id != req.diff_id)
    throw Error("its files are " + result.diff_id + ", not the " + req.diff_id +
                " its image's config names (damaged or tampered with)");
  if (!req.digest.empty() && result.digest != req.digest)
    throw Error("its content is " + result.digest + ", not the " + req.digest +
                " its manifest names (damaged or truncated)");
  return result;
}

namespace {

int remove_entry(const char* path, const struct stat*, int type, struct FTW*) {
  const int rc = type == FTW_DP ? ::rmdir(path) : ::unlink(path);
  return rc == 0 || errno == ENOENT ? 0 : -1;
}

}  // namespace

void remove_tree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) return;
  // The work directory overlayfs leaves is mode 000: as root here, that doesn't stop us.
  if (::nftw(path.c_str(), remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0)
    boxrt::throw_errno("remove " + backquoted(path));
}

}  // namespace boxapp
