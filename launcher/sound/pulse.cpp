#include "sound/pulse.hpp"

#include <dlfcn.h>
#include <pulse/context.h>
#include <pulse/error.h>
#include <pulse/introspect.h>
#include <pulse/mainloop.h>
#include <pulse/operation.h>

#include <chrono>
#include <cstring>

namespace boxapp {

std::string pulse_dir_in(const std::string& dir) {
  return dir + "/pulse";
}

std::string pulse_socket_in(const std::string& dir) {
  return pulse_dir_in(dir) + "/native";
}
namespace {

// Every reply must come within this; a hung server must not hang the app's start.
constexpr auto kTimeout = std::chrono::seconds(3);

// The part of libpulse we use, resolved from the loaded library.
struct LibPulse {
  decltype(&pa_mainloop_new) mainloop_new;
  decltype(&pa_mainloop_get_api) mainloop_get_api;
  decltype(&pa_mainloop_prepare) mainloop_prepare;
  decltype(&pa_mainloop_poll) mainloop_poll;
  decltype(&pa_mainloop_dispatch) mainloop_dispatch;
  decltype(&pa_mainloop_free) mainloop_free;
  decltype(&pa_context_new) context_new;
  decltype(&pa_context_connect) context_connect;
  decltype(&pa_context_get_state) context_get_state;
  decltype(&pa_context_disconnect) context_disconnect;
  decltype(&pa_context_unref) context_unref;
  decltype(&pa_context_errno) context_errno;
  decltype(&pa_context_load_module) load_module;
  decltype(&pa_context_unload_module) unload_module;
  decltype(&pa_context_get_module_info_list) module_info_list;
  decltype(&pa_operation_get_state) operation_get_state;
  decltype(&pa_operation_unref) operation_unref;
  decltype(&pa_strerror) strerror;
};

// Loaded once per process and kept: libpulse is not made to be unloaded.
const LibPulse* load_libpulse(std::string& why) {
  static LibPulse lib;
  static bool loaded = false;
  if (loaded) return &lib;
  void* h = ::dlopen("libpulse.so.0", RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    why = std::string("libpulse is not installed (") + ::dlerror() + ")";
    return nullptr;
  }
  bool ok = true;
  auto sym = [&](auto& fn, const char* name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(h, name));
    ok = ok && fn;
  };
  sym(lib.mainloop_new, "pa_mainloop_new");
  sym(lib.mainloop_get_api, "pa_mainloop_get_api");
  sym(lib.mainloop_prepare, "pa_mainloop_prepare");
  sym(lib.mainloop_poll, "pa_mainloop_poll");
  sym(lib.mainloop_dispatch, "pa_mainloop_dispatch");
  sym(lib.mainloop_free, "pa_mainloop_free");
  sym(lib.context_new, "pa_context_new");
  sym(lib.context_connect, "pa_context_connect");
  sym(lib.context_get_state, "pa_context_get_state");
  sym(lib.context_disconnect, "pa_context_disconnect");
  sym(lib.context_unref, "pa_context_unref");
  sym(lib.context_errno, "pa_context_errno");
  sym(lib.load_module, "pa_context_load_module");
  sym(lib.unload_module, "pa_context_unload_module");
  sym(lib.module_info_list, "pa_context_get_module_info_list");
  sym(lib.operation_get_state, "pa_operation_get_state");
  sym(lib.operation_unref, "pa_operation_unref");
  sym(lib.strerror, "pa_strerror");
  if (!ok) {
    why = "libpulse.so.0 lacks functions boxapp needs";
    return nullptr;
  }
  loaded = true;
  return &lib;
}

}  // namespace

struct PulseServer::Impl {
  const LibPulse* pa = nullptr;
  pa_mainloop* loop = nullptr;
  pa_context* ctx = nullptr;

  ~Impl() {
    if (ctx) {
      pa->context_disconnect(ctx);
      pa->context_unref(ctx);
    }
    if (loop) pa->mainloop_free(loop);
  }

  // Runs the loop until done() or the deadline; false on timeout or a broken loop.
  template <typename Done>
  bool run_until(Done done) {
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (!done()) {
      auto left = std::chrono::duration_cast<std::chrono::microseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      if (pa->mainloop_prepare(loop, static_cast<int>(left.count())) < 0 ||
          pa->mainloop_poll(loop) < 0 || pa->mainloop_dispatch(loop) < 0)
        return false;
    }
    return true;
  }

  // Waits for an operation; false when it never finished.
  bool wait(pa_operation* op) {
    if (!op) return false;
    bool ok = run_until([&] { return pa->operation_get_state(op) != PA_OPERATION_RUNNING; });
    ok = ok && pa->operation_get_state(op) == PA_OPERATION_DONE;
    pa->operation_unref(op);
    return ok;
  }

  std::string last_error() const { return pa->strerror(pa->context_errno(ctx)); }
};

PulseServer::PulseServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PulseServer::~PulseServer() = default;

std::unique_ptr<PulseServer> PulseServer::connect(std::string& why) {
  auto impl = std::make_unique<Impl>();
  impl->pa = load_libpulse(why);
  if (!impl->pa) return nullptr;
  const LibPulse& pa = *impl->pa;
  impl->loop = pa.mainloop_new();
  if (impl->loop) impl->ctx = pa.context_new(pa.mainloop_get_api(impl->loop), "boxapp");
  if (!impl->ctx) {
    why = "libpulse: out of memory";
    return nullptr;
  }
  if (pa.context_connect(impl->ctx, nullptr, PA_CONTEXT_NOAUTOSPAWN, nullptr) < 0) {
    why = "connect to the sound server: " + impl->last_error();
    return nullptr;
  }
  auto state = [&] { return pa.context_get_state(impl->ctx); };
  bool settled = impl->run_until([&] {
    auto s = state();
    return s == PA_CONTEXT_READY || s == PA_CONTEXT_FAILED || s == PA_CONTEXT_TERMINATED;
  });
  if (!settled || state() != PA_CONTEXT_READY) {
    why = "connect to the sound server: " +
          (settled ? impl->last_error() : std::string("no answer within 3 s"));
    return nullptr;
  }
  return std::unique_ptr<PulseServer>(new PulseServer(std::move(impl)));
}

std::optional<uint32_t> PulseServer::load_socket_module(const std::string& socket,
                                                        std::string& why) {
  if (socket.find_first_of("\"\\") != std::string::npos) {
    why = "the socket path " + socket + " has a quote or backslash in it";
    return std::nullopt;
  }
  const std::string args = "socket=\"" + socket + "\" auth-anonymous=1";
  struct Reply {
    uint32_t index = PA_INVALID_INDEX;
  } reply;
  auto cb = [](pa_context*, uint32_t idx, void* data) { static_cast<Reply*>(data)->index = idx; };
  pa_operation* op =
      impl_->pa->load_module(impl_->ctx, "module-native-protocol-unix", args.c_str(), cb, &reply);
  if (!impl_->wait(op) || reply.index == PA_INVALID_INDEX) {
    why = "load module-native-protocol-unix: " + impl_->last_error();
    return std::nullopt;
  }
  return reply.index;
}

bool PulseServer::unload_module(uint32_t index) {
  int success = 0;
  auto cb = [](pa_context*, int ok, void* data) { *static_cast<int*>(data) = ok; };
  return impl_->wait(impl_->pa->unload_module(impl_->ctx, index, cb, &success)) && success;
}

std::vector<PulseModule> PulseServer::socket_modules_under(const std::string& dir) {
  struct Query {
    std::string prefix;
    std::vector<PulseModule> found;
  } q{dir.back() == '/' ? dir : dir + "/", {}};
  auto cb = [](pa_context*, const pa_module_info* info, int eol, void* data) {
    auto& query = *static_cast<Query*>(data);
    if (eol || !info || !info->name || !info->argument) return;
    if (std::strcmp(info->name, "module-native-protocol-unix") != 0) return;
    // Our own argument form: socket="PATH" ...
    std::string_view arg = info->argument;
    constexpr std::string_view key = "socket=\"";
    if (arg.substr(0, key.size()) != key) return;
    arg.remove_prefix(key.size());
    std::string_view path = arg.substr(0, arg.find('"'));
    if (path.substr(0, query.prefix.size()) == query.prefix)
      query.found.push_back({info->index, std::string(path)});
  };
  impl_->wait(impl_->pa->module_info_list(impl_->ctx, cb, &q));
  return q.found;
}

}  // namespace boxapp
