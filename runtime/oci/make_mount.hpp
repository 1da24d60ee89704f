// A mount of the usual shape, for the code that writes specs (the launcher's compiler, the
// default spec, tests).
#pragma once

#include <string>
#include <utility>

#include "oci/spec.hpp"

namespace oci {

inline Mount make_mount(std::string destination, std::string type, std::string source,
                        StringList options) {
  Mount m;
  m.destination = std::move(destination);
  m.type = std::move(type);
  m.source = std::move(source);
  m.options = std::move(options);
  return m;
}

}  // namespace oci
