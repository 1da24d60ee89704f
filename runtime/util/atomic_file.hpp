// Replacing a file so that readers see either the old or the new contents, never a mix,
// even when the writer is killed half way.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace boxrt {

enum class Durability {
  // fsync the file and the directory: the new contents survive a power cut.
  synced,
  // Only atomic against a killed writer. For files that don't outlive a reboot anyway
  // (container state under XDG_RUNTIME_DIR or /run), where two fsyncs would cost
  // milliseconds on every container start.
  volatile_ok,
};

// Writes `data` to a new inode in path's directory and renames it over `path`. The new
// inode starts unnamed (O_TMPFILE) where the file system supports it, so a writer killed
// before the rename leaves nothing behind; elsewhere a hidden temporary name is used and
// removed on error.
void write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0644,
                       Durability durability = Durability::synced);

}  // namespace boxrt
