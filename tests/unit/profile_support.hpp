// What the profile tests share: a fixed host to compile against, and a profile search path
// of the test's own.
#pragma once

#include <string>

#include "host/host_facts.hpp"

namespace testing {

// Search path for the tests: one directory, and nothing of the user's.
struct ProfilePath {
  explicit ProfilePath(const std::string& dir);
  ~ProfilePath();
};

// A host with everything, and fixed ids and paths, so compiled specs are reproducible.
boxapp::HostFacts test_host();

}  // namespace testing
