// Links open on the host: every box whose root has an xdg-open gets boxapp's in its place
// (dbus/xdg-open.sh), which hands the link to the desktop portal's OpenURI over the box's
// filtered session bus, and otherwise says what the profile lacks. The box's own would
// start a browser inside the box, on the box's private home, or fail without a reason.
#pragma once

#include <string>

#include "host/host_facts.hpp"

namespace boxapp {

// The script, one for all of the user's boxes, written once (prepare_open_links).
std::string open_links_script(const HostFacts& host);
void prepare_open_links(const HostFacts& host);

}  // namespace boxapp
