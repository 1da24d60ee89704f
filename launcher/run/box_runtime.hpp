// The runtime boxapp runs its boxes with: libboxrt in-process, its state under the user's
// boxes directory (host/box_paths.hpp).
#pragma once

#include <string>

#include "lifecycle/runtime.hpp"
#include "util/user_dirs.hpp"

namespace boxapp {

// runtime_dir: the user's runtime directory, when the caller has it already.
boxrt::Runtime box_runtime(const std::string& runtime_dir = boxrt::user_runtime_dir());

}  // namespace boxapp
