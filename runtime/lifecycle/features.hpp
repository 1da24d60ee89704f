// The runtime's `features` document (runtime-spec features.md): what this build supports,
// for engines to check before they hand it a config.
#pragma once

#include <nlohmann/json.hpp>

namespace boxrt {

nlohmann::json runtime_features();

}  // namespace boxrt
