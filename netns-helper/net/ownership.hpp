// Whether a network namespace is ours to plumb: the kernel lets us move a veth end into it
// only while its owning user namespace is ours or a descendant of ours (docs/design.md). A
// rootless runtime's container, started outside the session, is a sibling: asked here first,
// so that the answer is advice rather than netlink's EPERM.
#pragma once

namespace boxnet {

bool within_our_user_namespace(int netns_fd);

}  // namespace boxnet
