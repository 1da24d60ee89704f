// Replacing a file so that readers see either the old or the new contents, never a mix,
// even when the writer is killed half way.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace boxrt {

// Writes `data` to a new inode in path's directory, fsyncs it, and renames it over `path`
// (then fsyncs the directory). The new inode starts unnamed (O_TMPFILE) where the file
// system supports it, so a writer killed before the rename leaves nothing behind; elsewhere
// a hidden temporary name is used and removed on error.
void write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0644);

}  // namespace boxrt
