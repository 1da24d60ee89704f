#include "run/box_runtime.hpp"

#include "host/box_paths.hpp"
#include "util/user_dirs.hpp"

namespace boxapp {

boxrt::Runtime box_runtime() {
  boxrt::RuntimeOptions o;
  o.root = containers_dir(boxrt::user_runtime_dir());
  return boxrt::Runtime(o);
}

}  // namespace boxapp
