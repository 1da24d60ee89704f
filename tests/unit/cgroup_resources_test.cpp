// linux.resources → cgroup v2 files: the conversions (runc's), checked value by value, since
// a hybrid host can't show most of them in a real cgroup.
#include <catch2/catch.hpp>

#include "cgroup/cgroup.hpp"
#include "util/error.hpp"

namespace {

std::map<std::string, std::string> writes_of(const oci::Resources& r,
                                             std::vector<std::string>* ignored = nullptr) {
  std::vector<std::string> dropped;
  std::map<std::string, std::string> out;
  for (const auto& w : boxrt::resource_writes(r, dropped))
    out[w.file] += (out[w.file].empty() ? "" : "|") + w.value;
  if (ignored) *ignored = dropped;
  return out;
}

}  // namespace

TEST_CASE("memory: limit, reservation, and swap as memory+swap minus memory") {
  oci::Resources r;
  r.memory = oci::MemoryResources{};
  r.memory->limit = 256 << 20;
  r.memory->reservation = 128 << 20;
  r.memory->swap = 384 << 20;
  auto w = writes_of(r);
  CHECK(w["memory.max"] == "268435456");
  CHECK(w["memory.low"] == "134217728");
  CHECK(w["memory.swap.max"] == "134217728");
  r.memory->swap = -1;
  CHECK(writes_of(r)["memory.swap.max"] == "max");
  r.memory->limit = -1;
  r.memory->swap.reset();
  CHECK(writes_of(r)["memory.max"] == "max");
  r.memory->limit = 256 << 20;
  r.memory->swap = 128 << 20;
  CHECK_THROWS_WITH(writes_of(r),
                    "linux.resources.memory.swap: 134217728 is memory plus swap and "
                    "must be >= memory.limit 268435456");
  r.memory->limit.reset();
  CHECK_THROWS_WITH(writes_of(r),
                    "linux.resources.memory.swap: needs memory.limit (cgroup v2 "
                    "limits swap on its own)");
}

TEST_CASE("cpu: shares become a weight, quota and period cpu.max, cpus and mems cpuset") {
  oci::Resources r;
  r.cpu = oci::CpuResources{};
  r.cpu->shares = 1024;
  r.cpu->quota = 50000;
  r.cpu->period = 100000;
  r.cpu->cpus = "0-1";
  r.cpu->mems = "0";
  auto w = writes_of(r);
  CHECK(w["cpu.weight"] == "39");  // runc: 1 + (1024 - 2) * 9999 / 262142
  CHECK(w["cpu.max"] == "50000 100000");
  CHECK(w["cpuset.cpus"] == "0-1");
  CHECK(w["cpuset.mems"] == "0");
  r.cpu->shares = 2;
  r.cpu->quota = -1;
  CHECK(writes_of(r)["cpu.weight"] == "1");
  CHECK(writes_of(r)["cpu.max"] == "max 100000");
  r.cpu->shares = 262144;
  CHECK(writes_of(r)["cpu.weight"] == "10000");
  r.cpu->realtime_runtime = 1000;
  std::vector<std::string> ignored;
  writes_of(r, &ignored);
  REQUIRE(ignored.size() == 1);
  CHECK(ignored[0] == "linux.resources.cpu.realtimeRuntime: cgroup v2 has no realtime CPU limits");
}

TEST_CASE("pids, blockIO, hugepages, rdma and unified") {
  oci::Resources r;
  r.pids = oci::PidsResources{};
  r.pids->limit = 0;
  CHECK(writes_of(r)["pids.max"] == "max");
  r.pids->limit = 64;
  CHECK(writes_of(r)["pids.max"] == "64");

  r.block_io = oci::BlockIoResources{};
  r.block_io->weight = 500;
  oci::ThrottleDevice t;
  t.major = 8;
  t.minor = 0;
  t.rate = 1048576;
  r.block_io->throttle_read_bps_device = std::vector<oci::ThrottleDevice>{t};
  t.rate = 0;
  r.block_io->throttle_write_iops_device = std::vector<oci::ThrottleDevice>{t};
  auto w = writes_of(r);
  CHECK(w["io.weight"] == "default 4950");  // runc: 1 + (500 - 10) * 9999 / 990
  CHECK(w["io.max"] == "8:0 rbps=1048576|8:0 wiops=max");

  r.hugepage_limits = std::vector<oci::HugepageLimit>{{"2MB", 4194304, {}}};
  CHECK(writes_of(r)["hugetlb.2MB.max"] == "4194304");
  r.hugepage_limits = std::vector<oci::HugepageLimit>{{"2 megs", 1, {}}};
  CHECK_THROWS_WITH(writes_of(r),
                    "linux.resources.hugepageLimits[0].pageSize: `2 megs` is not a "
                    "page size such as 2MB or 1GB");
  r.hugepage_limits.reset();

  r.rdma = std::map<std::string, oci::RdmaLimit>{{"mlx5_1", {3, 4, {}}}};
  CHECK(writes_of(r)["rdma.max"] == "mlx5_1 hca_handle=3 hca_object=4");

  r.unified = std::map<std::string, std::string>{{"memory.high", "1G"}};
  CHECK(writes_of(r)["memory.high"] == "1G");
  r.unified = std::map<std::string, std::string>{{"../escape", "1"}};
  CHECK_THROWS_WITH(writes_of(r),
                    "linux.resources.unified[\"../escape\"]: not a cgroup "
                    "interface file name such as memory.high");
}

TEST_CASE("what cgroup v2 can't express is listed, not dropped silently") {
  oci::Resources r;
  r.memory = oci::MemoryResources{};
  r.memory->kernel = 1 << 20;
  r.memory->swappiness = 10;
  r.network = oci::NetworkResources{};
  r.network->class_id = 7;
  std::vector<std::string> ignored;
  CHECK(writes_of(r, &ignored).empty());
  CHECK(ignored == std::vector<std::string>{
                       "linux.resources.memory.kernel: cgroup v2 has no separate kernel memory "
                       "limit",
                       "linux.resources.memory.swappiness: cgroup v2 has no per-cgroup swappiness",
                       "linux.resources.network: cgroup v2 has no net_cls or net_prio"});
}

TEST_CASE("device rules alone are not a request for limits; the annotation requires them") {
  oci::Spec spec;
  spec.linux = oci::Linux{};
  spec.linux->resources = oci::Resources{};
  oci::DeviceRule deny;
  deny.allow = false;
  deny.access = "rwm";
  spec.linux->resources->devices = std::vector<oci::DeviceRule>{deny};
  CHECK_FALSE(boxrt::requests_limits(spec));
  spec.linux->resources->pids = oci::PidsResources{};
  spec.linux->resources->pids->limit = 5;
  CHECK(boxrt::requests_limits(spec));
  CHECK_FALSE(boxrt::limits_required(spec));
  spec.annotations = std::map<std::string, std::string>{{"boxapp.resources.required", "true"}};
  CHECK(boxrt::limits_required(spec));
}
