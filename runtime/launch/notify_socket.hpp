// NOTIFY_SOCKET through to the container, as runc passes it (systemd's Type=notify units,
// podman --sdnotify=container): the container gets a socket of its own, STATE/ID/notify/
// notify.sock bound in at /run/notify, and the runtime relays the container's READY=1 to the
// caller's NOTIFY_SOCKET with MAINPID set to the container's init.
#pragma once

#include <sys/types.h>

#include <string>

#include "init/plan.hpp"
#include "util/unique_fd.hpp"

namespace boxrt {

// The caller's NOTIFY_SOCKET, or empty.
std::string caller_notify_socket();
// Tells it `message` ("READY=1\n"), as sd_notify(3) would; false when there is none, or it
// can't be told.
bool notify_caller(const std::string& message);

// Makes STATE_DIR/notify and gives the plan its mount and NOTIFY_SOCKET: when the caller has
// a NOTIFY_SOCKET.
void plan_notify_socket(const std::string& state_dir, InitPlan& plan);

// The container's socket, bound (again) in STATE_DIR/notify; empty when the container was
// made without one. Bound before its process starts, so that no message is lost.
unique_fd bind_notify_socket(const std::string& state_dir);

// Waits for READY=1 on `sock` while the process behind `pidfd` lives, then tells `caller`
// the message, after MAINPID=pid when `main_pid`. False when the process ended first.
bool relay_ready(int sock, int pidfd, pid_t pid, const std::string& caller, bool main_pid);

}  // namespace boxrt
