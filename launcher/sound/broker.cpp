// The per-session sound broker (sound/sound_socket.hpp): one process, one poll loop over its
// listening socket, its clients, the pidfds of the boxes it serves and an inotify watch on
// the session directory; libpulse calls are made one at a time, each bounded (pulse.cpp).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "cgroup/service.hpp"
#include "sound/pulse.hpp"
#include "sound/sound_socket.hpp"
#include "util/fd_passing.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"
#include "util/unix_socket.hpp"

namespace boxapp {
namespace {

using boxrt::unique_fd;

// One box: the connection that asked for it (closed: -1), its module, and once it runs,
// its process.
struct Box {
  unique_fd client;
  std::optional<uint32_t> module;
  unique_fd pidfd;
};

class Broker {
 public:
  explicit Broker(std::string session_dir) : dir_(std::move(session_dir)) {}

  // Binds and listens; false when it can't (then there is no broker).
  bool listen() {
    listener_ = boxrt::listen_unix(dir_ + "/sound.sock", SOCK_SEQPACKET | SOCK_NONBLOCK);
    if (!listener_) return false;
    watch_.reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (watch_)
      ::inotify_add_watch(watch_.get(), dir_.c_str(),
                          IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
    return true;
  }

  [[noreturn]] void run() {
    collect_leftovers();
    for (;;) {
      std::vector<struct pollfd> fds = {{listener_.get(), POLLIN, 0}, {watch_.get(), POLLIN, 0}};
      std::vector<Box*> owners = {nullptr, nullptr};
      for (auto& [id, box] : boxes_) {
        if (box.client) fds.push_back({box.client.get(), POLLIN, 0}), owners.push_back(&box);
        if (box.pidfd) fds.push_back({box.pidfd.get(), POLLIN, 0}), owners.push_back(&box);
      }
      if (boxrt::retry_eintr([&] { return ::poll(fds.data(), fds.size(), -1); }) < 0) continue;
      if (fds[1].revents && session_gone()) shut_down();
      if (fds[0].revents & POLLIN) accept_client();
      for (size_t i = 2; i < fds.size(); ++i) {
        if (!fds[i].revents) continue;
        Box& box = *owners[i];
        if (box.pidfd && fds[i].fd == box.pidfd.get())
          box_ended(box);
        else if (box.client && fds[i].fd == box.client.get())
          client_spoke(box);
      }
      std::erase_if(boxes_, [](const auto& kv) { return !kv.second.client && !kv.second.pidfd; });
    }
  }

 private:
  PulseServer* server() {
    if (!server_) {
      std::string why;
      server_ = PulseServer::connect(why);
      if (!server_) last_error_ = why;
    }
    return server_.get();
  }

  std::string bundles() const { return dir_ + "/bundles"; }

  // Modules of an earlier broker (killed) or of boxes nobody watches any more.
  void collect_leftovers() {
    if (!server()) return;
    for (const auto& m : server_->socket_modules_under(bundles()))
      server_->unload_module(m.index);
  }

  void accept_client() {
    int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    boxes_[next_id_++].client.reset(fd);
  }

  // "load BOX_DIR", then the box's pidfd; an empty read is the client gone.
  void client_spoke(Box& box) {
    char buf[4096];
    if (!box.module && !box.pidfd) {
      ssize_t n = ::recv(box.client.get(), buf, sizeof buf, MSG_DONTWAIT);
      if (n <= 0) return box.client.reset();
      answer_load(box, std::string(buf, static_cast<size_t>(n)));
      return;
    }
    int fd = boxrt::receive_fd_raw(box.client.get());
    if (fd >= 0 && !box.pidfd) {
      box.pidfd.reset(fd);
      return;
    }
    if (fd >= 0) ::close(fd);
    // Gone before its box ran: nothing will use the socket.
    if (!box.pidfd) unload(box);
    box.client.reset();
  }

  void answer_load(Box& box, const std::string& request) {
    const std::string prefix = "load " + bundles() + "/";
    std::string reply;
    if (request.rfind(prefix, 0) != 0 || request.find('/', prefix.size()) != std::string::npos) {
      reply = "refused not a box of this session: " + request;
    } else if (!server()) {
      reply = "refused " + last_error_;
    } else {
      const std::string socket = pulse_socket_in(request.substr(5));
      std::string why;
      box.module = server_->load_socket_module(socket, why);
      if (!box.module && why.find("Connection terminated") != std::string::npos) {
        server_.reset();  // the server restarted since: once more, anew
        if (server()) box.module = server_->load_socket_module(socket, why);
      }
      reply = box.module ? "module " + std::to_string(*box.module) : "refused " + why;
    }
    boxrt::send_message(box.client.get(), reply);
    if (!box.module) box.client.reset();
  }

  void unload(Box& box) {
    if (box.module && server()) server_->unload_module(*box.module);
    box.module.reset();
  }

  void box_ended(Box& box) {
    unload(box);
    box.pidfd.reset();
    box.client.reset();
  }

  // Logout removes XDG_RUNTIME_DIR; or someone removed our socket: nobody finds us now.
  bool session_gone() {
    alignas(inotify_event) char buf[4096];
    bool gone = false;
    ssize_t n;
    while ((n = ::read(watch_.get(), buf, sizeof buf)) > 0)
      for (char* p = buf; p < buf + n;) {
        auto* ev = reinterpret_cast<inotify_event*>(p);
        if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) gone = true;
        if (ev->len && std::strcmp(ev->name, "sound.sock") == 0) gone = true;
        p += sizeof(inotify_event) + ev->len;
      }
    return gone;
  }

  [[noreturn]] void shut_down() {
    for (auto& [id, box] : boxes_)
      unload(box);
    ::_exit(0);
  }

  std::string dir_;
  unique_fd listener_, watch_;
  std::unique_ptr<PulseServer> server_;
  std::string last_error_;
  std::map<uint64_t, Box> boxes_;
  uint64_t next_id_ = 0;
};

}  // namespace

void sound_broker_main(const std::string& session_dir, int ready_fd) {
  boxrt::become_daemon("boxapp-sound", ready_fd);  // nothing of the launcher's but the pipe
  boxrt::leave_service_cgroup(::getpid());         // it serves every box, not the unit's alone
  Broker broker(session_dir);
  if (!broker.listen()) ::_exit(1);
  (void)!::write(ready_fd, "r", 1);
  ::close(ready_fd);
  broker.run();
}

}  // namespace boxapp
