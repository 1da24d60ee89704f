// Every way a document can be invalid, each with the exact message a user sees.
#include <catch2/catch.hpp>

#include "oci/spec.hpp"
#include "oci/spec_error.hpp"
#include "test_support.hpp"
#include "util/sys.hpp"

using nlohmann::json;

namespace {

json base() {
  return json::parse(boxrt::read_file(testing::test_data("specs/every-field.json")));
}

// The message spec_from_json gives for base() with one JSON-patch operation applied.
std::string error_after(json op) {
  json doc = base().patch(json::array({op}));
  try {
    oci::spec_from_json(doc);
  } catch (const oci::SpecError& e) {
    return e.what();
  }
  return "accepted";
}

json replace(const std::string& pointer, json value) {
  return {{"op", "replace"}, {"path", pointer}, {"value", std::move(value)}};
}
json add(const std::string& pointer, json value) {
  return {{"op", "add"}, {"path", pointer}, {"value", std::move(value)}};
}
json drop(const std::string& pointer) {
  return {{"op", "remove"}, {"path", pointer}};
}

struct Case {
  json op;
  std::string message;
};

// Each patch of the base document is rejected with exactly its message.
void check_rejected(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    INFO("patch: " << c.op.dump());
    CHECK(error_after(c.op) == c.message);
  }
}

}  // namespace

TEST_CASE("the base document for the validation cases is valid") {
  CHECK(error_after(add("/x-unused", 1)) == "accepted");
}

TEST_CASE(
    "invalid documents are rejected with the JSON path and the reason: top level, root, process") {
  check_rejected({
      // top level
      {drop("/ociVersion"), "ociVersion: is required"},
      {replace("/ociVersion", 1), "ociVersion: must be a string, not 1"},
      {replace("/ociVersion", "2.0.0"),
       "ociVersion: unsupported version \"2.0.0\" (this runtime implements 1.2.0)"},
      {replace("/hostname", json::array()), "hostname: must be a string, not []"},
      {replace("/annotations", json{{"a", 1}}), "annotations.a: must be a string, not 1"},
      {replace("/annotations", json{{"", "x"}}), "annotations: keys must not be empty"},
      {replace("/mounts", json::object()), "mounts: must be an array, not {}"},
      // root
      {drop("/root/path"), "root.path: is required"},
      {replace("/root/path", ""), "root.path: must not be empty"},
      {replace("/root/readonly", "yes"), "root.readonly: must be true or false, not \"yes\""},
      // process
      {drop("/process/cwd"), "process.cwd: is required"},
      {replace("/process/cwd", "home"), "process.cwd: must be an absolute path, not \"home\""},
      {replace("/process/args", json::array()), "process.args: must have at least one entry"},
      {replace("/process/args/1", 7), "process.args[1]: must be a string, not 7"},
      {replace("/process/env/1", "DISPLAY"),
       "process.env[1]: must have the form NAME=VALUE, not \"DISPLAY\""},
      {replace("/process/env/1", "=1"),
       "process.env[1]: must have the form NAME=VALUE, not \"=1\""},
      {drop("/process/user/uid"), "process.user.uid: is required"},
      {replace("/process/user/uid", -1),
       "process.user.uid: must be an integer from 0 to 4294967295, not -1"},
      {replace("/process/user/gid", 4294967296),
       "process.user.gid: must be an integer from 0 to 4294967295, not 4294967296"},
      {replace("/process/user/gid", 1.5),
       "process.user.gid: must be an integer from 0 to 4294967295, not 1.5"},
      {replace("/process/user/additionalGids/2", "audio"),
       "process.user.additionalGids[2]: must be an integer from 0 to 4294967295, not \"audio\""},
      {drop("/process/consoleSize/width"), "process.consoleSize.width: is required"},
      {replace("/process/capabilities/effective/0", "KILL"),
       "process.capabilities.effective[0]: must be a capability name such as CAP_KILL, not "
       "\"KILL\""},
      {replace("/process/rlimits/1/type", "RLIMIT_FOO"),
       "process.rlimits[1].type: must be one of RLIMIT_AS, RLIMIT_CORE, RLIMIT_CPU, RLIMIT_DATA, "
       "RLIMIT_FSIZE, RLIMIT_LOCKS, RLIMIT_MEMLOCK, RLIMIT_MSGQUEUE, RLIMIT_NICE, RLIMIT_NOFILE, "
       "RLIMIT_NPROC, RLIMIT_RSS, RLIMIT_RTPRIO, RLIMIT_RTTIME, RLIMIT_SIGPENDING, RLIMIT_STACK, "
       "not \"RLIMIT_FOO\""},
      {replace("/process/rlimits/0/soft", 5000),
       "process.rlimits[0].soft: must not exceed hard (5000 > 4096)"},
      {add("/process/rlimits/-", json{{"type", "RLIMIT_NOFILE"}, {"soft", 1}, {"hard", 1}}),
       "process.rlimits[2].type: duplicate rlimit RLIMIT_NOFILE"},
      {drop("/process/rlimits/0/hard"), "process.rlimits[0].hard: is required"},
      {replace("/process/oomScoreAdj", 1001), "process.oomScoreAdj: must be from -1000 to 1000"},
      {replace("/process/ioPriority/class", "IOPRIO_CLASS_NONE"),
       "process.ioPriority.class: must be one of IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, "
       "IOPRIO_CLASS_IDLE, not \"IOPRIO_CLASS_NONE\""},
      {replace("/process/ioPriority/priority", 8),
       "process.ioPriority.priority: must be from 0 to 7"},
      {replace("/process/scheduler/policy", "SCHED_FAST"),
       "process.scheduler.policy: must be one of SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, "
       "SCHED_ISO, SCHED_IDLE, SCHED_DEADLINE, not \"SCHED_FAST\""},
      {replace("/process/scheduler/nice", 20), "process.scheduler.nice: must be from -20 to 19"},
      {replace("/process/noNewPrivileges", 1),
       "process.noNewPrivileges: must be true or false, not 1"},
  });
}

TEST_CASE(
    "invalid documents are rejected with the JSON path and the reason: mounts, hooks, linux") {
  check_rejected({
      // mounts
      {drop("/mounts/1/destination"), "mounts[1].destination: is required"},
      {replace("/mounts/1/options/0", false), "mounts[1].options[0]: must be a string, not false"},
      {replace("/mounts/2/uidMappings/0/size", 0), "mounts[2].uidMappings[0].size: must be > 0"},
      // hooks
      {replace("/hooks/prestart/0/path", "boxapp-netns"),
       "hooks.prestart[0].path: must be an absolute path, not \"boxapp-netns\""},
      {replace("/hooks/prestart/0/timeout", 0),
       "hooks.prestart[0].timeout: must be >= 1 (seconds)"},
      {drop("/hooks/poststop/0/path"), "hooks.poststop[0].path: is required"},
      // linux
      {replace("/linux/uidMappings/1/size", 0), "linux.uidMappings[1].size: must be > 0"},
      {replace("/linux/uidMappings/1/hostID", 4294967295u),
       "linux.uidMappings[1].size: hostID + size must be at most 4294967295"},
      {replace("/linux/uidMappings/0/containerID", 4294967000u),
       "linux.uidMappings[0].size: containerID + size must be at most 4294967295"},
      {replace("/ociVersion", "latest"),
       "ociVersion: must be a version such as 1.2.0, not \"latest\""},
      {drop("/linux/gidMappings/0/containerID"), "linux.gidMappings[0].containerID: is required"},
      {replace("/linux/namespaces/2/type", "pidns"),
       "linux.namespaces[2].type: must be one of mount, pid, network, uts, ipc, user, cgroup, "
       "time, "
       "not \"pidns\""},
      {replace("/linux/namespaces/2/type", "user"),
       "linux.namespaces[2].type: duplicate namespace user"},
      {replace("/linux/namespaces/7/path", "netns/box0"),
       "linux.namespaces[7].path: must be an absolute path, not \"netns/box0\""},
      {replace("/linux/timeOffsets/boottime/nanosecs", 1000000000),
       "linux.timeOffsets.boottime.nanosecs: must be below 1000000000"},
      {replace("/linux/devices/0/type", "x"),
       "linux.devices[0].type: must be one of c, b, u, p, not \"x\""},
      {drop("/linux/devices/0/major"),
       "linux.devices[0].major: is required for a device of type c"},
      {replace("/linux/devices/0/fileMode", 4096),
       "linux.devices[0].fileMode: must be a file mode (at most 07777 = 4095)"},
      {replace("/linux/devices/1/path", "dev/myfifo"),
       "linux.devices[1].path: must be an absolute path, not \"dev/myfifo\""},
      {replace("/linux/rootfsPropagation", "recursive"),
       "linux.rootfsPropagation: must be one of private, shared, slave, unbindable, rprivate, "
       "rshared, rslave, runbindable, not \"recursive\""},
      {replace("/linux/sysctl/net.ipv4.ip_forward", 1),
       "linux.sysctl[\"net.ipv4.ip_forward\"]: must be a string, not 1"},
      {replace("/linux/maskedPaths", "/proc/kcore"),
       "linux.maskedPaths: must be an array, not \"/proc/kcore\""},
      {replace("/linux/personality/domain", "LINUX64"),
       "linux.personality.domain: must be one of LINUX, LINUX32, not \"LINUX64\""},
  });
}

TEST_CASE("invalid documents are rejected with the JSON path and the reason: resources, seccomp") {
  check_rejected({
      // linux.resources
      {drop("/linux/resources/devices/0/allow"), "linux.resources.devices[0].allow: is required"},
      {replace("/linux/resources/devices/1/access", "rwx"),
       "linux.resources.devices[1].access: must be made of r, w and m, not \"rwx\""},
      {replace("/linux/resources/devices/1/type", "u"),
       "linux.resources.devices[1].type: must be one of a, c, b, not \"u\""},
      {replace("/linux/resources/memory/limit", "2G"),
       "linux.resources.memory.limit: must be an integer from -9223372036854775808 to "
       "9223372036854775807, not \"2G\""},
      {replace("/linux/resources/memory/swappiness", -1),
       "linux.resources.memory.swappiness: must be an integer from 0 to 18446744073709551615, not "
       "-1"},
      {drop("/linux/resources/pids/limit"), "linux.resources.pids.limit: is required"},
      {replace("/linux/resources/blockIO/weight", 70000),
       "linux.resources.blockIO.weight: must be an integer from 0 to 65535, not 70000"},
      {drop("/linux/resources/blockIO/throttleReadBpsDevice/0/minor"),
       "linux.resources.blockIO.throttleReadBpsDevice[0].minor: is required"},
      {replace("/linux/resources/hugepageLimits/0/pageSize", "2M"),
       "linux.resources.hugepageLimits[0].pageSize: must look like 2MB or 1GB, not \"2M\""},
      {drop("/linux/resources/network/priorities/0/priority"),
       "linux.resources.network.priorities[0].priority: is required"},
      {replace("/linux/resources/unified/memory.high", 5),
       "linux.resources.unified[\"memory.high\"]: must be a string, not 5"},
      // linux.seccomp
      {drop("/linux/seccomp/defaultAction"), "linux.seccomp.defaultAction: is required"},
      {replace("/linux/seccomp/defaultAction", "SCMP_ACT_DENY"),
       "linux.seccomp.defaultAction: must be one of SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, "
       "SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_ERRNO, SCMP_ACT_TRACE, SCMP_ACT_ALLOW, "
       "SCMP_ACT_LOG, SCMP_ACT_NOTIFY, not \"SCMP_ACT_DENY\""},
      {replace("/linux/seccomp/architectures/1", "SCMP_ARCH_Z80"),
       "linux.seccomp.architectures[1]: must be one of SCMP_ARCH_X86, SCMP_ARCH_X86_64, "
       "SCMP_ARCH_X32, SCMP_ARCH_ARM, SCMP_ARCH_AARCH64, SCMP_ARCH_LOONGARCH64, SCMP_ARCH_M68K, "
       "SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64, SCMP_ARCH_MIPS64N32, SCMP_ARCH_MIPSEL, "
       "SCMP_ARCH_MIPSEL64, SCMP_ARCH_MIPSEL64N32, SCMP_ARCH_PPC, SCMP_ARCH_PPC64, "
       "SCMP_ARCH_PPC64LE, SCMP_ARCH_S390, SCMP_ARCH_S390X, SCMP_ARCH_SH, SCMP_ARCH_SHEB, "
       "SCMP_ARCH_PARISC, SCMP_ARCH_PARISC64, SCMP_ARCH_RISCV64, not \"SCMP_ARCH_Z80\""},
      {replace("/linux/seccomp/flags/0", "SECCOMP_FILTER_FLAG_NONE"),
       "linux.seccomp.flags[0]: must be one of SECCOMP_FILTER_FLAG_TSYNC, "
       "SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW, "
       "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, not \"SECCOMP_FILTER_FLAG_NONE\""},
      {replace("/linux/seccomp/syscalls/0/names", json::array()),
       "linux.seccomp.syscalls[0].names: must have at least one entry"},
      {drop("/linux/seccomp/syscalls/2/action"), "linux.seccomp.syscalls[2].action: is required"},
      {replace("/linux/seccomp/syscalls/1/args/0/op", "SCMP_CMP_IN"),
       "linux.seccomp.syscalls[1].args[0].op: must be one of SCMP_CMP_NE, SCMP_CMP_LT, "
       "SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ, not "
       "\"SCMP_CMP_IN\""},
      {replace("/linux/seccomp/syscalls/1/args/0/index", 6),
       "linux.seccomp.syscalls[1].args[0].index: must be from 0 to 5"},
      {replace("/linux/seccomp/syscalls/2/errnoRet", -1),
       "linux.seccomp.syscalls[2].errnoRet: must be an integer from 0 to 4294967295, not -1"},
  });
}

TEST_CASE("a document that is not an object is rejected at the top") {
  CHECK_THROWS_WITH(oci::spec_from_json(json::array()), "(document): must be an object, not []");
}

TEST_CASE("null counts as absent for optional members but not for required ones") {
  CHECK(error_after(replace("/hostname", nullptr)) == "accepted");
  CHECK(error_after(replace("/ociVersion", nullptr)) == "ociVersion: must be a string, not null");
}

TEST_CASE("parse_spec names the file, line and column of a JSON syntax error") {
  std::string text = "{\n  \"ociVersion\": \"1.0.0\",\n  \"root\": {\"path\": rootfs}\n}\n";
  CHECK_THROWS_WITH(oci::parse_spec(text, "bundle/config.json"),
                    "bundle/config.json:3:20: invalid JSON: syntax error while parsing value - "
                    "invalid literal; last read: '\"path\": r'");
}

TEST_CASE("parse_spec prefixes model errors with the document's name") {
  CHECK_THROWS_WITH(oci::parse_spec(R"({"ociVersion": "1.0.0", "root": {}})", "b/config.json"),
                    "b/config.json: root.path: is required");
}

TEST_CASE("load_spec of a missing file names it") {
  CHECK_THROWS_WITH(oci::load_spec("/nonexistent/config.json"),
                    "open `/nonexistent/config.json`: No such file or directory");
}
