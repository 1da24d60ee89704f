// The runtime boxapp runs its boxes with: libboxrt in-process, its state under the user's
// boxes directory (host/box_paths.hpp).
#pragma once

#include "lifecycle/runtime.hpp"

namespace boxapp {

boxrt::Runtime box_runtime();

}  // namespace boxapp
