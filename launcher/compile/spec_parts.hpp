// Pieces of a spec the per-concern compilers share: mounts of the usual shapes, an
// environment entry, the box's own directory on the host.
#pragma once

#include <string>

#include "compile/compile.hpp"
#include "oci/make_mount.hpp"

namespace boxapp {

using oci::make_mount;
// A folder of the host's: rbind, nosuid, nodev, and ro or rw.
oci::Mount bind_mount(const std::string& host, const std::string& container, bool read_only);
// A server's socket or a file of the box's: bind, nosuid, nodev, noexec, ro.
oci::Mount socket_bind(const std::string& host, const std::string& container);
void add_env(oci::Spec& s, const std::string& kv);
// The box's own files on the host: CompileOptions::box_dir, or where `boxapp run` puts it.
std::string box_dir(const Profile& p, const HostFacts& h, const CompileOptions& o);
// $XDG_DATA_HOME/boxapp/APP: what of the app's own outlives its box.
std::string app_data_dir(const Profile& p, const HostFacts& h);

}  // namespace boxapp
