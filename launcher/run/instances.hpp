// Which box a `boxapp run` goes to. One box per app (or per APP@INSTANCE) by default: a
// second run while it runs hands its arguments to the app in that box, as a desktop app's
// second launch does (Chromium, Firefox, VLC forward them to their running instance). A
// profile with app.single_instance = false gets APP-2, APP-3...; but no two running boxes
// share a persistent home.
#pragma once

#include <optional>
#include <string>

#include "lifecycle/runtime.hpp"
#include "oci/spec.hpp"
#include "profile/profile.hpp"
#include "run/run.hpp"
#include "util/lock_file.hpp"

namespace boxapp {

struct BoxChoice {
  std::string name;        // the box's name (box_id(name) is the runtime's id)
  bool hand_over = false;  // it runs already: give it the arguments instead
};

// A stopped leftover of the chosen name is removed.
BoxChoice choose_box(boxrt::Runtime& rt, const Profile& profile, const std::string& explicit_name);

// The app's command, with the request's arguments, run in the running box; its exit status
// (0 at once when detached).
int hand_over(const std::string& name, const Profile& profile, const RunRequest& request);

// Throws when another running box has the persistent home this spec binds. Else the home's
// lock, to hold until the box is recorded (detached) or gone (in the foreground): two starts
// at once can't both pass, and a foreground box's home is taken for as long as it runs.
std::optional<boxrt::FileLock> claim_home(boxrt::Runtime& rt, const std::string& name,
                                          const oci::Spec& spec);

}  // namespace boxapp
