// `boxapp inspect NAME`: what a box is and what it was given, as JSON — its record, where
// its spec is, its address (when it has one of its own), its mounts and its grants.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace boxapp {

nlohmann::json inspect_box(const std::string& name);

}  // namespace boxapp
