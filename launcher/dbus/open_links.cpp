#include "dbus/open_links.hpp"

#include <sys/stat.h>

#include "host/box_paths.hpp"
#include "util/atomic_file.hpp"
#include "util/sys.hpp"
#include "xdg_open_script.hpp"

namespace boxapp {

std::string open_links_script(const HostFacts& h) {
  return boxes_dir(h.xdg_runtime_dir) + "/xdg-open";
}

void prepare_open_links(const HostFacts& h) {
  const std::string path = open_links_script(h);
  // Written again only when this boxapp's differs (an upgrade): a stat and a read per start.
  if (boxrt::try_read_file(path).value_or("") == kXdgOpenScript) return;
  boxrt::make_dirs(boxes_dir(h.xdg_runtime_dir), 0700);
  boxrt::write_file_atomic(path, kXdgOpenScript, 0755, boxrt::Durability::volatile_ok);
}

}  // namespace boxapp
