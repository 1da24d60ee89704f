// boxapp desktop: menu entries that validate, start the box, and hand it the files they are
// given; --replace and uninstall; and files named on the command line shared read-only.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness.hpp"
#include "launcher_harness.hpp"
#include "util/sys.hpp"

using namespace itest;

namespace {

// cat in a box: its log says what it was handed.
const char* kReader = R"([app]
command = "cat"
description = "a reader"
[display]
mode = "none"
)";

// The entry's Exec, its %U replaced by `file`, as a menu would run it (the words have no
// quotes in these tests: the paths have no space).
std::vector<std::string> exec_of(const std::string& entry, const std::string& file) {
  std::istringstream in(boxrt::read_file(entry));
  std::string line, exec;
  while (std::getline(in, line))
    if (line.rfind("Exec=", 0) == 0) exec = line.substr(5);
  std::vector<std::string> words;
  std::istringstream w(exec);
  for (std::string word; w >> word;)
    words.push_back(word == "%U" ? file : word);
  return words;
}

// Waits until the box has left `ps` (a run -d --rm box removes itself).
bool gone(const Launcher& boxapp, const std::string& name) {
  for (int i = 0; i < 100; ++i) {
    if (!contains(boxapp({"ps", "-a"}).out, name + " ")) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace

TEST_CASE("desktop install: an entry that validates and opens a file through %U in the box") {
  Launcher boxapp;
  boxapp.profile("reader", kReader);
  Result r = boxapp({"desktop", "install", "reader"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::string entry = boxapp.data_home() + "/applications/boxapp-reader.desktop";
  CHECK(contains(r.out, entry));
  Result valid = run_process({"/usr/bin/desktop-file-validate", entry});
  INFO(valid.out << valid.err);
  CHECK(valid.status == 0);
  const std::string text = boxrt::read_file(entry);
  CHECK(contains(text, "Name=reader (boxed)\n"));
  CHECK(contains(text, "Comment=a reader, in a box\n"));
  CHECK(contains(text, "X-Boxapp-Profile=reader\n"));
  CHECK(contains(text, "Exec=" + boxapp_bin() + " run -d --rm reader -- %U\n"));

  // A file in a folder the box doesn't see: shared into it, read-only, for the app to open.
  testing::TempDir docs;
  ::chmod(docs.path().c_str(), 0755);
  const std::string file = docs / "letter.txt";
  std::ofstream(file) << "a letter for the box\n";
  std::vector<std::string> argv = exec_of(entry, file);
  REQUIRE(argv.size() == 7);
  argv = boxapp.command({argv.begin() + 1, argv.end()});
  Result run = run_process(argv);
  INFO(run.err);
  REQUIRE(run.status == 0);
  REQUIRE(gone(boxapp, "reader"));
  CHECK(contains(boxapp({"logs", "reader"}).out, "a letter for the box"));
  // Only that file: the folder's other files stay out, and the box can't write it.
  std::ofstream(docs / "other.txt") << "not for the box\n";
  Result other = boxapp({"run", "reader", "--", docs / "other.txt", docs / "letter.txt"});
  CHECK(contains(other.out, "not for the box"));  // named: shared too
  Result ls = boxapp({"run", "--name", "lister", "reader", "--", docs.path()});
  CHECK(ls.status != 0);  // cat of a folder; but it is there (shared), not "No such file"
  CHECK(contains(ls.err, "Is a directory"));

  CHECK(contains(boxapp({"desktop", "ls"}).out, "reader"));
  json listed = json::parse(boxapp({"desktop", "ls", "--json"}).out);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["box"] == "reader");
  CHECK(listed[0]["file"] == entry);
  REQUIRE(boxapp({"desktop", "uninstall", "reader"}).status == 0);
  CHECK(::access(entry.c_str(), F_OK) != 0);
  Result again = boxapp({"desktop", "uninstall", "reader"});
  CHECK(again.status != 0);
  CHECK(contains(again.err, "no menu entry of `reader`"));
}

TEST_CASE(
    "desktop install --replace: in place of the host app's entry, with its name, icon and "
    "types; uninstall puts the host's back") {
  Launcher boxapp;
  boxapp.profile("reader", kReader);
  // The host's own entry for cat, in a data dir of the test's.
  testing::TempDir host;
  ::mkdir((host / "applications").c_str(), 0755);
  std::ofstream(host / "applications/textreader.desktop")
      << "[Desktop Entry]\nType=Application\nName=Text Reader\nName[fr]=Lecteur\n"
         "Exec=/usr/bin/cat %F\nIcon=utilities-terminal\nCategories=Utility;\n"
         "MimeType=text/plain;\nStartupWMClass=TextReader\n";
  boxapp.env("XDG_DATA_DIRS=" + host.path());
  Result r = boxapp({"desktop", "install", "--replace", "reader"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::string shadow = boxapp.data_home() + "/applications/textreader.desktop";
  CHECK(contains(r.out, "(in place of textreader.desktop)"));
  const std::string text = boxrt::read_file(shadow);
  CHECK(contains(text, "Name=Text Reader (boxed)\n"));
  CHECK(contains(text, "Categories=Utility;\n"));
  CHECK(contains(text, "MimeType=text/plain;\n"));
  CHECK(contains(text, "StartupWMClass=TextReader\n"));
  CHECK(contains(text, "X-Boxapp-Replaces=textreader.desktop\n"));
  CHECK(run_process({"/usr/bin/desktop-file-validate", shadow}).status == 0);
  // update-desktop-database ran: the desktop opens text/plain with the box's entry.
  CHECK(contains(boxrt::read_file(boxapp.data_home() + "/applications/mimeinfo.cache"),
                 "text/plain=textreader.desktop"));
  // One entry per box: no boxapp-reader.desktop beside it.
  CHECK(::access((boxapp.data_home() + "/applications/boxapp-reader.desktop").c_str(), F_OK) != 0);
  CHECK(json::parse(boxapp({"desktop", "ls", "--json"}).out)[0]["replaces"] ==
        "textreader.desktop");
  REQUIRE(boxapp({"desktop", "uninstall", "reader"}).status == 0);
  CHECK(::access(shadow.c_str(), F_OK) != 0);

  // A file of the user's own by that name is not boxapp's to overwrite.
  std::ofstream(shadow) << "[Desktop Entry]\nType=Application\nName=Mine\nExec=cat\n";
  Result refused = boxapp({"desktop", "install", "--replace", "reader"});
  CHECK(refused.status != 0);
  CHECK(contains(refused.err, "is yours, not boxapp's"));
  CHECK(contains(boxrt::read_file(shadow), "Name=Mine"));
  // And no host entry at all: nothing to replace, nothing written.
  ::unlink(shadow.c_str());
  ::unlink((host / "applications/textreader.desktop").c_str());
  Result none = boxapp({"desktop", "install", "--replace", "reader"});
  CHECK(none.status != 0);
  CHECK(contains(none.err, "has no menu entry of its own"));
  CHECK(json::parse(boxapp({"desktop", "ls", "--json"}).out).empty());
}

TEST_CASE(
    "desktop install --all: the apps the host has that show a window; bad names write "
    "nothing") {
  Launcher boxapp;
  boxapp.profile("reader", kReader);  // no window
  boxapp.profile("viewer", "[app]\ncommand = \"cat\"\n[display]\nmode = \"x11\"\n");
  boxapp.profile("absent", "[app]\ncommand = \"no-such-viewer\"\n[display]\nmode = \"x11\"\n");
  Result all = boxapp({"desktop", "install", "--all"});
  INFO(all.err);
  REQUIRE(all.status == 0);
  const json listed = json::parse(boxapp({"desktop", "ls", "--json"}).out);
  std::vector<std::string> boxes;
  for (const auto& e : listed)
    boxes.push_back(e["box"]);
  CHECK(std::find(boxes.begin(), boxes.end(), "viewer") != boxes.end());
  CHECK(std::find(boxes.begin(), boxes.end(), "reader") == boxes.end());
  CHECK(std::find(boxes.begin(), boxes.end(), "absent") == boxes.end());
  // Every name is checked before anything is written.
  Result bad = boxapp({"desktop", "install", "reader", "nosuchapp"});
  CHECK(bad.status != 0);
  CHECK(contains(bad.err, "nosuchapp"));
  CHECK(::access((boxapp.data_home() + "/applications/boxapp-reader.desktop").c_str(), F_OK) != 0);
  Result neither = boxapp({"desktop", "install"});
  CHECK(neither.status != 0);
  CHECK(contains(neither.err, "name the apps, or give --all"));
}

TEST_CASE("a file handed to a running box that doesn't see it is bound into it, read-only") {
  Launcher boxapp;
  // `boxapp holder -- FILE` while it runs: `sh FILE` in the box, as a second click hands a
  // running app the file it was given.
  boxapp.profile("holder", "[app]\ncommand = \"sh\"\nargs = [\"-c\", \"sleep 30\"]\n");
  REQUIRE(boxapp({"run", "-d", "holder"}).status == 0);
  testing::TempDir docs;
  ::chmod(docs.path().c_str(), 0755);
  std::ofstream(docs / "late.sh") << "echo read in the box\n";
  std::ofstream(docs / "beside.txt") << "not handed over\n";
  CHECK(boxapp({"exec", "holder", "cat", docs / "late.sh"}).status != 0);  // not there yet
  Result r = boxapp({"run", "holder", "--", docs / "late.sh"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "read in the box\n");
  // Read-only, and only that file.
  Result write = boxapp({"exec", "holder", "sh", "-c", "echo changed >> " + docs / "late.sh"});
  CHECK(write.status != 0);
  CHECK(boxrt::read_file(docs / "late.sh") == "echo read in the box\n");
  CHECK(boxapp({"exec", "holder", "cat", docs / "beside.txt"}).status != 0);
  // Recorded: inspect shows it, and a second hand-over binds nothing more.
  CHECK(contains(boxapp({"inspect", "holder"}).out, docs / "late.sh"));
  CHECK(boxapp({"run", "holder", "--", docs / "late.sh"}).out == "read in the box\n");
  Result mounts = boxapp({"exec", "holder", "cat", "/proc/self/mountinfo"});
  std::istringstream lines(mounts.out);
  size_t n = 0;
  for (std::string line; std::getline(lines, line);)
    n += contains(line, " " + docs / "late.sh" + " ");
  CHECK(n == 1);  // one mount of it, not one per hand-over
  CHECK(boxapp({"rm", "-f", "-t", "1", "holder"}).status == 0);
}
