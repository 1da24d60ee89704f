// What a pull or a build shows while it runs, on stderr: on a terminal one line redrawn in
// place, a bar with layers and bytes (or the build's current step); otherwise (a log, a
// pipe) one plain line per layer or step, which reads well afterwards. Nothing when quiet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace boxapp {

class Progress {
 public:
  explicit Progress(bool quiet);
  ~Progress();  // a line left drawn is ended
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  bool on_terminal() const { return tty_; }
  // A line that stays (a heading, a result): above the redrawn one on a terminal.
  void say(const std::string& line);
  // A line the bar stands for on a terminal (a layer that landed): printed elsewhere only.
  void note(const std::string& line) {
    if (!tty_) say(line);
  }
  // Layers: `done` of `count` are in, `bytes` of `total` (0: not known); `what` the one under
  // way. On a terminal a bar; otherwise nothing (note() prints each layer as it lands).
  void layers(size_t done, size_t count, uint64_t bytes, uint64_t total, const std::string& what);
  // A long step's current stage (a build's): redrawn on a terminal, a line otherwise.
  void step(const std::string& text);

 private:
  void draw(const std::string& text);
  bool quiet_, tty_;
  bool drawn_ = false;
};

std::string megabytes(uint64_t bytes);

}  // namespace boxapp
