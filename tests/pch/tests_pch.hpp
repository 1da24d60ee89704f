// Precompiled for every file of the test targets (meson's cpp_pch): Catch2's single header
// and nlohmann/json are most of a test file's compile time.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>
