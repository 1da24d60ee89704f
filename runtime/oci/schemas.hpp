// Internal: the JSON member names of every model struct, in the order the runtime-spec
// documents them, plus the rules (check) that JSON types alone can't express. The checks
// are defined in spec_checks.cpp.
#pragma once

#include "oci/codec.hpp"
#include "oci/state.hpp"

namespace oci {

void read_value(const json& j, const std::string& path, Status& out);
json write_value(const Status& v);

#define OCI_CHECK(T) static void check(const T& v, const std::string& path)

template <>
struct Schema<IdMapping> {
  static constexpr auto fields() {
    return std::tuple{req("containerID", &IdMapping::container_id),
                      req("hostID", &IdMapping::host_id), req("size", &IdMapping::size)};
  }
  OCI_CHECK(IdMapping);
};

template <>
struct Schema<ConsoleSize> {
  static constexpr auto fields() {
    return std::tuple{req("height", &ConsoleSize::height), req("width", &ConsoleSize::width)};
  }
};

template <>
struct Schema<User> {
  static constexpr auto fields() {
    return std::tuple{req("uid", &User::uid), req("gid", &User::gid), opt("umask", &User::umask),
                      opt("additionalGids", &User::additional_gids),
                      opt("username", &User::username)};
  }
};

template <>
struct Schema<Capabilities> {
  static constexpr auto fields() {
    using C = Capabilities;
    return std::tuple{opt("bounding", &C::bounding), opt("effective", &C::effective),
                      opt("inheritable", &C::inheritable), opt("permitted", &C::permitted),
                      opt("ambient", &C::ambient)};
  }
  OCI_CHECK(Capabilities);
};

template <>
struct Schema<Rlimit> {
  static constexpr auto fields() {
    return std::tuple{req("type", &Rlimit::type), req("soft", &Rlimit::soft),
                      req("hard", &Rlimit::hard)};
  }
  OCI_CHECK(Rlimit);
};

template <>
struct Schema<IoPriority> {
  static constexpr auto fields() {
    return std::tuple{req("class", &IoPriority::io_class), opt("priority", &IoPriority::priority)};
  }
  OCI_CHECK(IoPriority);
};

template <>
struct Schema<Scheduler> {
  static constexpr auto fields() {
    using S = Scheduler;
    return std::tuple{req("policy", &S::policy),     opt("nice", &S::nice),
                      opt("priority", &S::priority), opt("flags", &S::flags),
                      opt("runtime", &S::runtime),   opt("deadline", &S::deadline),
                      opt("period", &S::period)};
  }
  OCI_CHECK(Scheduler);
};

template <>
struct Schema<Process> {
  static constexpr auto fields() {
    using P = Process;
    return std::tuple{opt("terminal", &P::terminal),
                      opt("consoleSize", &P::console_size),
                      opt("user", &P::user),
                      opt("args", &P::args),
                      opt("env", &P::env),
                      req("cwd", &P::cwd),
                      opt("capabilities", &P::capabilities),
                      opt("rlimits", &P::rlimits),
                      opt("noNewPrivileges", &P::no_new_privileges),
                      opt("apparmorProfile", &P::apparmor_profile),
                      opt("oomScoreAdj", &P::oom_score_adj),
                      opt("selinuxLabel", &P::selinux_label),
                      opt("ioPriority", &P::io_priority),
                      opt("scheduler", &P::scheduler)};
  }
  OCI_CHECK(Process);
};

template <>
struct Schema<Root> {
  static constexpr auto fields() {
    return std::tuple{req("path", &Root::path), opt("readonly", &Root::readonly)};
  }
  OCI_CHECK(Root);
};

template <>
struct Schema<Mount> {
  static constexpr auto fields() {
    using M = Mount;
    return std::tuple{req("destination", &M::destination),
                      opt("source", &M::source),
                      opt("type", &M::type),
                      opt("options", &M::options),
                      opt("uidMappings", &M::uid_mappings),
                      opt("gidMappings", &M::gid_mappings)};
  }
  OCI_CHECK(Mount);
};

template <>
struct Schema<Hook> {
  static constexpr auto fields() {
    return std::tuple{req("path", &Hook::path), opt("args", &Hook::args), opt("env", &Hook::env),
                      opt("timeout", &Hook::timeout)};
  }
  OCI_CHECK(Hook);
};

template <>
struct Schema<Hooks> {
  static constexpr auto fields() {
    using H = Hooks;
    return std::tuple{opt("prestart", &H::prestart),
                      opt("createRuntime", &H::create_runtime),
                      opt("createContainer", &H::create_container),
                      opt("startContainer", &H::start_container),
                      opt("poststart", &H::poststart),
                      opt("poststop", &H::poststop)};
  }
};

template <>
struct Schema<Namespace> {
  static constexpr auto fields() {
    return std::tuple{req("type", &Namespace::type), opt("path", &Namespace::path)};
  }
  OCI_CHECK(Namespace);
};

template <>
struct Schema<TimeOffset> {
  static constexpr auto fields() {
    return std::tuple{opt("secs", &TimeOffset::secs), opt("nanosecs", &TimeOffset::nanosecs)};
  }
  OCI_CHECK(TimeOffset);
};

template <>
struct Schema<TimeOffsets> {
  static constexpr auto fields() {
    return std::tuple{opt("boottime", &TimeOffsets::boottime),
                      opt("monotonic", &TimeOffsets::monotonic)};
  }
};

template <>
struct Schema<Device> {
  static constexpr auto fields() {
    using D = Device;
    return std::tuple{
        req("type", &D::type),   req("path", &D::path),          opt("major", &D::major),
        opt("minor", &D::minor), opt("fileMode", &D::file_mode), opt("uid", &D::uid),
        opt("gid", &D::gid)};
  }
  OCI_CHECK(Device);
};

template <>
struct Schema<NetDevice> {
  static constexpr auto fields() { return std::tuple{opt("name", &NetDevice::name)}; }
};

template <>
struct Schema<DeviceRule> {
  static constexpr auto fields() {
    using D = DeviceRule;
    return std::tuple{req("allow", &D::allow), opt("type", &D::type), opt("major", &D::major),
                      opt("minor", &D::minor), opt("access", &D::access)};
  }
  OCI_CHECK(DeviceRule);
};

template <>
struct Schema<MemoryResources> {
  static constexpr auto fields() {
    using M = MemoryResources;
    return std::tuple{opt("limit", &M::limit),
                      opt("reservation", &M::reservation),
                      opt("swap", &M::swap),
                      opt("kernel", &M::kernel),
                      opt("kernelTCP", &M::kernel_tcp),
                      opt("swappiness", &M::swappiness),
                      opt("disableOOMKiller", &M::disable_oom_killer),
                      opt("useHierarchy", &M::use_hierarchy),
                      opt("checkBeforeUpdate", &M::check_before_update)};
  }
};

template <>
struct Schema<CpuResources> {
  static constexpr auto fields() {
    using C = CpuResources;
    return std::tuple{opt("shares", &C::shares),
                      opt("quota", &C::quota),
                      opt("burst", &C::burst),
                      opt("period", &C::period),
                      opt("realtimeRuntime", &C::realtime_runtime),
                      opt("realtimePeriod", &C::realtime_period),
                      opt("cpus", &C::cpus),
                      opt("mems", &C::mems),
                      opt("idle", &C::idle)};
  }
};

template <>
struct Schema<PidsResources> {
  static constexpr auto fields() { return std::tuple{req("limit", &PidsResources::limit)}; }
};

template <>
struct Schema<WeightDevice> {
  static constexpr auto fields() {
    using W = WeightDevice;
    return std::tuple{req("major", &W::major), req("minor", &W::minor), opt("weight", &W::weight),
                      opt("leafWeight", &W::leaf_weight)};
  }
};

template <>
struct Schema<ThrottleDevice> {
  static constexpr auto fields() {
    using T = ThrottleDevice;
    return std::tuple{req("major", &T::major), req("minor", &T::minor), opt("rate", &T::rate)};
  }
};

template <>
struct Schema<BlockIoResources> {
  static constexpr auto fields() {
    using B = BlockIoResources;
    return std::tuple{opt("weight", &B::weight),
                      opt("leafWeight", &B::leaf_weight),
                      opt("weightDevice", &B::weight_device),
                      opt("throttleReadBpsDevice", &B::throttle_read_bps_device),
                      opt("throttleWriteBpsDevice", &B::throttle_write_bps_device),
                      opt("throttleReadIOPSDevice", &B::throttle_read_iops_device),
                      opt("throttleWriteIOPSDevice", &B::throttle_write_iops_device)};
  }
};

template <>
struct Schema<HugepageLimit> {
  static constexpr auto fields() {
    return std::tuple{req("pageSize", &HugepageLimit::page_size),
                      req("limit", &HugepageLimit::limit)};
  }
  OCI_CHECK(HugepageLimit);
};

template <>
struct Schema<InterfacePriority> {
  static constexpr auto fields() {
    return std::tuple{req("name", &InterfacePriority::name),
                      req("priority", &InterfacePriority::priority)};
  }
};

template <>
struct Schema<NetworkResources> {
  static constexpr auto fields() {
    return std::tuple{opt("classID", &NetworkResources::class_id),
                      opt("priorities", &NetworkResources::priorities)};
  }
};

template <>
struct Schema<RdmaLimit> {
  static constexpr auto fields() {
    return std::tuple{opt("hcaHandles", &RdmaLimit::hca_handles),
                      opt("hcaObjects", &RdmaLimit::hca_objects)};
  }
};

template <>
struct Schema<Resources> {
  static constexpr auto fields() {
    using R = Resources;
    return std::tuple{opt("devices", &R::devices),  opt("memory", &R::memory),
                      opt("cpu", &R::cpu),          opt("pids", &R::pids),
                      opt("blockIO", &R::block_io), opt("hugepageLimits", &R::hugepage_limits),
                      opt("network", &R::network),  opt("rdma", &R::rdma),
                      opt("unified", &R::unified)};
  }
};

template <>
struct Schema<SyscallArg> {
  static constexpr auto fields() {
    using A = SyscallArg;
    return std::tuple{req("index", &A::index), req("value", &A::value),
                      opt("valueTwo", &A::value_two), req("op", &A::op)};
  }
  OCI_CHECK(SyscallArg);
};

template <>
struct Schema<SyscallRule> {
  static constexpr auto fields() {
    using S = SyscallRule;
    return std::tuple{req("names", &S::names), req("action", &S::action),
                      opt("errnoRet", &S::errno_ret), opt("args", &S::args)};
  }
  OCI_CHECK(SyscallRule);
};

template <>
struct Schema<Seccomp> {
  static constexpr auto fields() {
    using S = Seccomp;
    return std::tuple{req("defaultAction", &S::default_action),
                      opt("defaultErrnoRet", &S::default_errno_ret),
                      opt("architectures", &S::architectures),
                      opt("flags", &S::flags),
                      opt("listenerPath", &S::listener_path),
                      opt("listenerMetadata", &S::listener_metadata),
                      opt("syscalls", &S::syscalls)};
  }
  OCI_CHECK(Seccomp);
};

template <>
struct Schema<Personality> {
  static constexpr auto fields() {
    return std::tuple{opt("domain", &Personality::domain), opt("flags", &Personality::flags)};
  }
  OCI_CHECK(Personality);
};

template <>
struct Schema<Linux> {
  static constexpr auto fields() {
    using L = Linux;
    return std::tuple{opt("namespaces", &L::namespaces),
                      opt("uidMappings", &L::uid_mappings),
                      opt("gidMappings", &L::gid_mappings),
                      opt("timeOffsets", &L::time_offsets),
                      opt("devices", &L::devices),
                      opt("netDevices", &L::net_devices),
                      opt("cgroupsPath", &L::cgroups_path),
                      opt("resources", &L::resources),
                      opt("rootfsPropagation", &L::rootfs_propagation),
                      opt("seccomp", &L::seccomp),
                      opt("sysctl", &L::sysctl),
                      opt("maskedPaths", &L::masked_paths),
                      opt("readonlyPaths", &L::readonly_paths),
                      opt("mountLabel", &L::mount_label),
                      opt("personality", &L::personality),
                      opt("intelRdt", &L::intel_rdt)};
  }
  OCI_CHECK(Linux);
};

template <>
struct Schema<Spec> {
  static constexpr auto fields() {
    using S = Spec;
    return std::tuple{req("ociVersion", &S::oci_version),
                      opt("process", &S::process),
                      opt("root", &S::root),
                      opt("hostname", &S::hostname),
                      opt("domainname", &S::domainname),
                      opt("mounts", &S::mounts),
                      opt("hooks", &S::hooks),
                      opt("annotations", &S::annotations),
                      opt("linux", &S::linux)};
  }
  OCI_CHECK(Spec);
};

template <>
struct Schema<State> {
  static constexpr auto fields() {
    using S = State;
    return std::tuple{req("ociVersion", &S::oci_version), req("id", &S::id),
                      req("status", &S::status),          opt("pid", &S::pid),
                      req("bundle", &S::bundle),          opt("annotations", &S::annotations)};
  }
  OCI_CHECK(State);
};

#undef OCI_CHECK

}  // namespace oci
