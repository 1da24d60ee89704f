// Runs a function when the scope ends, however it ends: the undo of a step that has no
// resource type of its own (a directory made for a run that may fail).
#pragma once

#include <utility>

namespace boxrt {

template <class F>
class ScopeExit {
 public:
  explicit ScopeExit(F f) : f_(std::move(f)) {}
  ~ScopeExit() { f_(); }
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;

 private:
  F f_;
};

}  // namespace boxrt
