// cgroup v2: the container's own cgroup inside the part of the tree delegated to us, its
// limits, freezing, killing and removal. Hosts where that is impossible (cgroup v1, hybrid
// with the controllers on v1, a tree we may not write) run containers without a cgroup.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "oci/spec.hpp"
#include "util/unique_fd.hpp"

namespace boxrt {

// Where the cgroup2 tree is mounted and which part of it we may write.
struct CgroupHost {
  std::string mount;      // e.g. /sys/fs/cgroup (or /sys/fs/cgroup/unified on a hybrid host)
  std::string own;        // our cgroup, relative to mount: "/user.slice/..."
  std::string delegated;  // the topmost ancestor of `own` we may write; empty when none
};

// nullopt when no cgroup2 hierarchy is mounted at all.
std::optional<CgroupHost> find_cgroup_host();

// One write into a cgroup's interface file, and the spec field it comes from.
struct CgroupWrite {
  std::string file;   // "memory.max"
  std::string value;  // "268435456"
  std::string field;  // "linux.resources.memory.limit"
};

// linux.resources as cgroup v2 file writes (runc's conversions: cpu shares → weight, blkio
// weight → io weight, memory+swap → swap alone). Fields v2 has no file for go to `ignored`
// as "path: why". Device rules are not here: v2 filters devices with eBPF, see cgroup.cpp.
std::vector<CgroupWrite> resource_writes(const oci::Resources& resources,
                                         std::vector<std::string>& ignored);

// True when linux.resources asks for any limit (device rules alone do not count: the
// default spec has them and a rootless container can't create devices anyway).
bool requests_limits(const oci::Spec& spec);

// True when the spec's annotation boxapp.resources.required is "true": a container that
// can't get its limits must fail instead of running without them.
bool limits_required(const oci::Spec& spec);
// As runc: a spec that names a cgroupsPath or sets limits gets them, or fails, unless its
// annotation boxapp.resources.required says otherwise ("false"). boxapp-runtime's default;
// boxapp's own boxes warn and run (docs/design.md, "The runtime's state and cgroups").
// Marks the spec kRequiredAsRunc.
void require_resources_as_runc(oci::Spec& spec);
// Whether a limit that could not be applied fails the start: when limits are required, except
// (under runc's rule) one whose controller this host keeps on cgroup v1.
bool problem_is_fatal(const oci::Spec& spec, const std::string& problem);

inline constexpr const char* kRequiredAnnotation = "boxapp.resources.required";
inline constexpr const char* kRequiredAsRunc = "runc";  // set by require_resources_as_runc
// Ends the message for a controller missing from v2 because the host has it on v1.
inline constexpr const char* kHeldByV1 = " (this host has it on cgroup v1)";

// A container's cgroup, created before clone so the init starts inside it.
struct ContainerCgroup {
  std::string path;  // absolute directory, e.g. /sys/fs/cgroup/boxapp/ID
  unique_fd dir;     // for clone3's CLONE_INTO_CGROUP
};

// Creates the cgroup from linux.cgroupsPath (absolute: from the tree's root; relative: from
// our delegated subtree; none: DELEGATED/boxapp/ID) with the controllers it needs, and
// applies the limits. Where the host can't, warns (once per reason) and returns nullopt —
// or throws when limits_required(spec). Leaves nothing behind when it throws.
std::optional<ContainerCgroup> create_container_cgroup(const oci::Spec& spec,
                                                       const std::string& id);

// Applies linux.resources to the container's cgroup `dir` (one systemd made, say): problems
// are warnings, or an error when limits_required(spec).
void apply_container_resources(const std::string& dir, const oci::Spec& spec);

// For a container that gets no cgroup for `why`: a warning when it asked for limits, an
// error when it requires them.
void no_cgroup(const oci::Spec& spec, const std::string& why);

// Applies resources to an existing cgroup; throws on the first write that fails.
void update_cgroup(const std::string& path, const oci::Resources& resources);

// Freezes (true) or thaws the cgroup and waits until the kernel says it is done.
void freeze_cgroup(const std::string& path, bool frozen);
bool cgroup_frozen(const std::string& path);

// The host pids in the cgroup (cgroup.procs).
std::vector<int> cgroup_pids(const std::string& path);

// Kills everything in it (cgroup.kill, or SIGKILL to each pid on kernels before 5.14), waits
// until it is empty, and removes it. False when it would not go away.
bool destroy_cgroup(const std::string& path);

}  // namespace boxrt
