#include "host/box_paths.hpp"

#include <filesystem>

#include "ns/session.hpp"

namespace boxapp {

std::string boxes_dir(const std::string& runtime_dir) {
  return boxrt::session_dir_under(runtime_dir);
}

std::string bundle_dir(const std::string& runtime_dir, const std::string& name) {
  return boxes_dir(runtime_dir) + "/bundles/" + name;
}

void remove_bundle_dir(const std::string& runtime_dir, const std::string& name) {
  std::error_code ignored;
  std::filesystem::remove_all(bundle_dir(runtime_dir, name), ignored);
}

std::string containers_dir(const std::string& runtime_dir) {
  return boxes_dir(runtime_dir) + "/containers";
}

std::string host_root_dir(const std::string& runtime_dir) {
  return boxes_dir(runtime_dir) + "/host-root";
}

}  // namespace boxapp
