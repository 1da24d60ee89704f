#include "test_support.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") + "/boxapp-test.XXXXXX";
  if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  run_shell("rm -rf '" + path_ + "'");
}

CommandResult run_shell(const std::string& command) {
  CommandResult result;
  std::string full = command + " 2>&1";
  FILE* pipe = ::popen(full.c_str(), "re");
  if (!pipe) return result;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0)
    result.output.append(buf, n);
  int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

bool has_program(const std::string& name) {
  return run_shell("command -v '" + name + "' >/dev/null").status == 0;
}

std::optional<std::string> oci_schema_dir() {
  const char* env = std::getenv("BOXAPP_OCI_SCHEMA_DIR");
  std::string dir = env && *env ? env : BOXAPP_OCI_SCHEMA_DIR;
  struct stat st;
  if (::stat((dir + "/config-schema.json").c_str(), &st) != 0) return std::nullopt;
  return dir;
}

bool oci_schema_has(const std::string& file) {
  auto dir = oci_schema_dir();
  struct stat st;
  return dir && ::stat((*dir + "/" + file).c_str(), &st) == 0;
}

std::string oci_schema_lacks(const std::string& file) {
  return "not checked: the runtime-spec schemas at " + oci_schema_dir().value_or("(none)") +
         " have no " + file +
         " (Debian 12 ships runtime-spec 1.0.2's; configure with -Doci_schema_dir=DIR for a "
         "runtime-spec >= 1.2 checkout's schema/)";
}

std::optional<std::string> schema_errors(const nlohmann::json& doc, const std::string& schema) {
  auto dir = oci_schema_dir();
  if (!dir) return "runtime-spec schemas not found (set BOXAPP_OCI_SCHEMA_DIR)";
  TempDir tmp;
  std::ofstream(tmp / "doc.json") << doc.dump();
  // Debian's python3-jsonschema, resolving the schema's relative $refs against its directory.
  std::string script =
      "import json,sys,jsonschema,pathlib\n"
      "d=pathlib.Path(sys.argv[1]).resolve()\n"
      "s=json.load(open(d/sys.argv[2]))\n"
      "r=jsonschema.RefResolver(d.as_uri()+'/',s)\n"
      "try:\n"
      "  jsonschema.validate(json.load(open(sys.argv[3])),s,resolver=r)\n"
      "except jsonschema.ValidationError as e:\n"
      "  print('/'.join(map(str,e.absolute_path))+': '+e.message); sys.exit(1)\n";
  std::ofstream(tmp / "validate.py") << script;
  auto r = run_shell("/usr/bin/python3 -W ignore '" + tmp / "validate.py" + "' '" + *dir + "' '" +
                     schema + "' '" + tmp / "doc.json" + "'");
  if (r.status == 0) return std::nullopt;
  return r.output;
}

std::string test_data(const std::string& relative) {
  return std::string(BOXAPP_TEST_DATA) + "/" + relative;
}

}  // namespace testing
