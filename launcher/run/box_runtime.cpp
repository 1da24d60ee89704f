#include "run/box_runtime.hpp"

#include "host/box_paths.hpp"

namespace boxapp {

boxrt::Runtime box_runtime(const std::string& runtime_dir) {
  boxrt::RuntimeOptions o;
  o.root = containers_dir(runtime_dir);
  return boxrt::Runtime(o);
}

}  // namespace boxapp
