#pragma once

#include <string>

#include "util/error.hpp"

namespace oci {

// A document that is not a valid runtime-spec document. what() is "<path>: <reason>";
// the path is a JSON path such as `process.rlimits[2].type` or `linux.sysctl["net.ipv4.x"]`.
class SpecError : public boxrt::Error {
 public:
  SpecError(std::string path, std::string reason)
      : boxrt::Error((path.empty() ? std::string("(document)") : path) + ": " + reason),
        path_(std::move(path)),
        reason_(std::move(reason)) {}

  const std::string& path() const noexcept { return path_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string path_;
  std::string reason_;
};

}  // namespace oci
