// Precompiled for every file of the target (meson's cpp_pch): the heavy headers nearly
// every file includes. Parsing nlohmann/json alone was most of a file's compile time.
// -Db_pch=false builds without it, to check that each file includes what it uses.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>
