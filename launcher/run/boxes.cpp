#include "run/boxes.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "run/box_runtime.hpp"
#include "util/error.hpp"

namespace boxapp {

std::vector<BoxInfo> list_boxes() {
  std::vector<BoxInfo> out;
  for (const auto& v : box_runtime().list()) {
    BoxInfo b;
    b.name = v.state.id;
    if (v.state.annotations && v.state.annotations->count("org.boxapp.app"))
      b.app = v.state.annotations->at("org.boxapp.app");
    b.pid = v.state.pid.value_or(0);
    b.status = std::string(oci::to_string(v.state.status));
    b.created = v.state.extra.value("created", "");
    out.push_back(b);
  }
  return out;
}

void stop_box(const std::string& name, int grace_s) {
  boxrt::Runtime rt = box_runtime();
  auto running = [&] { return rt.state(name).state.status != oci::Status::stopped; };
  if (!running()) return;
  rt.kill(name, SIGTERM, false);
  for (int i = 0; i < grace_s * 20 && running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (running()) rt.kill(name, SIGKILL, true);
  for (int i = 0; i < 100 && running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

int exec_in_box(const std::string& name, const std::vector<std::string>& command) {
  if (command.empty())
    throw boxrt::Error("exec: give a command to run in " + boxrt::backquoted(name));
  boxrt::Runtime rt = box_runtime();
  boxrt::ExecOptions o;
  o.process = rt.default_exec_process(name);
  o.process.args = command;
  o.process.terminal = ::isatty(0) && ::isatty(1);
  return rt.exec(name, o);
}

}  // namespace boxapp
