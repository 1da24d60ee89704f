// The oldest runtime-spec version a document needs: what a bundle exported for other
// runtimes declares, since runtimes refuse versions newer than theirs (crun 1.8 stops at
// 1.2.0 with "unknown version specified").
#pragma once

#include <string>

#include "oci/spec.hpp"

namespace oci {

// "1.0.2", "1.1.0" or kVersion, by the newest field the spec sets.
std::string lowest_version(const Spec& spec);

}  // namespace oci
