// Precompiled for every file of the target (meson's cpp_pch), as runtime/pch's.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>
