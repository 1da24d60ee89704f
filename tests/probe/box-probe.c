/* box-probe: reports what a process inside a container sees, as one JSON object on stdout.
 * Built static (no libc in the test rootfs) and copied into test bundles.
 *
 *   box-probe            everything
 *   box-probe --wait     report, then wait for stdin to close (to inspect a live container)
 *   box-probe syscall NR ARG...   errno of syscall(NR, ARG) for each ARG, as a JSON array
 *   box-probe hugepages N     map N 2 MB huge pages and touch each, printing "touched I" after
 *                             each (a hugetlb limit kills it with SIGBUS at the first over it)
 *   box-probe alloc MB        allocate and touch MB megabytes, printing "allocated I" per MB
 *   box-probe notify MSG      send MSG to $NOTIFY_SOCKET, as sd_notify(3) does
 *
 * Keys: uid gid groups uid_map gid_map caps{eff,prm,inh,bnd,amb} no_new_privs seccomp
 *       session_keyring
 *       hostname domainname cwd fds rlimits{nofile,core,...} mounts[{target,fstype,options,
 *       super,propagation}] env umask argv
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

extern char** environ;

static void json_string(const char* s) {
  putchar('"');
  for (; *s; ++s) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

/* The whole file as a JSON string, trailing newline kept. */
static void file_string(const char* path) {
  char buf[65536];
  FILE* f = fopen(path, "re");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f) fclose(f);
  buf[n] = '\0';
  json_string(buf);
}

/* A "Name:\tvalue" line of /proc/self/status. */
static void status_field(const char* name, char* out, size_t size) {
  char line[512];
  size_t len = strlen(name);
  out[0] = '\0';
  FILE* f = fopen("/proc/self/status", "re");
  if (!f) return;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, name, len) == 0 && line[len] == ':') {
      char* v = line + len + 1;
      while (*v == '\t' || *v == ' ') ++v;
      v[strcspn(v, "\n")] = '\0';
      snprintf(out, size, "%s", v);
      break;
    }
  }
  fclose(f);
}

static void print_mounts(void) {
  char line[4096];
  FILE* f = fopen("/proc/self/mountinfo", "re");
  int first = 1;
  printf("[");
  while (f && fgets(line, sizeof line, f)) {
    /* id parent major:minor root target options [optional...] - fstype source super */
    char root[1024], target[1024], options[512], fstype[64], source[1024], super[1024];
    char propagation[256] = "";
    char* dash = strstr(line, " - ");
    if (!dash) continue;
    int consumed = 0;
    if (sscanf(line, "%*d %*d %*s %1023s %1023s %511s%n", root, target, options, &consumed) != 3)
      continue;
    /* optional fields (shared:N master:N ...) between the options and " - " */
    if (line + consumed < dash) {
      size_t len = (size_t)(dash - (line + consumed));
      if (len >= sizeof propagation) len = sizeof propagation - 1;
      memcpy(propagation, line + consumed + (line[consumed] == ' '), len);
      propagation[len - (line[consumed] == ' ' ? 1 : 0)] = '\0';
    }
    if (sscanf(dash + 3, "%63s %1023s %1023s", fstype, source, super) != 3) continue;
    printf("%s{\"target\":", first ? "" : ",");
    json_string(target);
    printf(",\"root\":");
    json_string(root);
    printf(",\"fstype\":");
    json_string(fstype);
    printf(",\"source\":");
    json_string(source);
    printf(",\"options\":");
    json_string(options);
    printf(",\"super\":");
    json_string(super);
    printf(",\"propagation\":");
    json_string(propagation);
    printf("}");
    first = 0;
  }
  if (f) fclose(f);
  printf("]");
}

static void print_fds(void) {
  DIR* d = opendir("/proc/self/fd");
  int first = 1, self = d ? dirfd(d) : -1;
  struct dirent* e;
  printf("{");
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd == self) continue;
    char path[64], target[PATH_MAX];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    target[n > 0 ? n : 0] = '\0';
    printf("%s\"%d\":", first ? "" : ",", fd);
    json_string(target);
    first = 0;
  }
  if (d) closedir(d);
  printf("}");
}

static void print_rlimits(void) {
  static const struct { const char* name; int res; } limits[] = {
      {"nofile", RLIMIT_NOFILE}, {"core", RLIMIT_CORE}, {"nproc", RLIMIT_NPROC},
      {"stack", RLIMIT_STACK},   {"memlock", RLIMIT_MEMLOCK}, {"cpu", RLIMIT_CPU}};
  printf("{");
  for (size_t i = 0; i < sizeof limits / sizeof limits[0]; ++i) {
    struct rlimit r;
    getrlimit(limits[i].res, &r);
    printf("%s\"%s\":[%llu,%llu]", i ? "," : "", limits[i].name,
           (unsigned long long)r.rlim_cur, (unsigned long long)r.rlim_max);
  }
  printf("}");
}

/* box-probe syscall NR ARG...: calls syscall NR once per ARG (as its first argument) and
 * prints the errno of each call, 0 when it succeeded: [0,42,0] */
static int probe_syscall(int argc, char** argv) {
  long nr = strtol(argv[2], NULL, 0);
  printf("[");
  for (int i = 3; i < argc; ++i) {
    errno = 0;
    long rc = syscall(nr, strtoul(argv[i], NULL, 0), 0, 0);
    printf("%s%d", i > 3 ? "," : "", rc == -1 ? errno : 0);
  }
  printf("]\n");
  return 0;
}

static int probe_hugepages(long n) {
  const size_t huge = 2UL << 20;
  char* p = mmap(NULL, n * huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB,
                 -1, 0);
  if (p == MAP_FAILED) {
    printf("mmap: %s\n", strerror(errno));
    return 1;
  }
  for (long i = 0; i < n; ++i) {
    p[i * huge] = 1;
    printf("touched %ld\n", i + 1);
    fflush(stdout);
  }
  return 0;
}

static int probe_alloc(long mb) {
  for (long i = 0; i < mb; ++i) {
    char* p = malloc(1 << 20);
    if (!p) return 1;
    memset(p, 1, 1 << 20);
    printf("allocated %ld\n", i + 1);
    fflush(stdout);
  }
  return 0;
}

// sd_notify(3) by hand: MESSAGE to $NOTIFY_SOCKET as one datagram; 0 when sent.
static int probe_notify(const char* message) {
  const char* path = getenv("NOTIFY_SOCKET");
  struct sockaddr_un addr = {0};
  addr.sun_family = AF_UNIX;
  if (!path || strlen(path) >= sizeof addr.sun_path) return 2;
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  ssize_t n = fd < 0 ? -1
                     : sendto(fd, message, strlen(message), 0, (struct sockaddr*)&addr, sizeof addr);
  if (n < 0) perror("notify");
  return n < 0 ? 1 : 0;
}

int main(int argc, char** argv) {
  char buf[4096];
  if (argc > 2 && strcmp(argv[1], "notify") == 0) return probe_notify(argv[2]);
  if (argc > 2 && strcmp(argv[1], "syscall") == 0) return probe_syscall(argc, argv);
  if (argc > 2 && strcmp(argv[1], "hugepages") == 0) return probe_hugepages(atol(argv[2]));
  if (argc > 2 && strcmp(argv[1], "alloc") == 0) return probe_alloc(atol(argv[2]));
  gid_t groups[256];
  int n = getgroups(256, groups);
  struct utsname u;
  uname(&u);

  printf("{\"uid\":%u,\"gid\":%u,\"groups\":[", getuid(), getgid());
  for (int i = 0; i < n; ++i) printf("%s%u", i ? "," : "", groups[i]);
  printf("],\"uid_map\":");
  file_string("/proc/self/uid_map");
  printf(",\"gid_map\":");
  file_string("/proc/self/gid_map");
  printf(",\"caps\":{");
  const char* caps[][2] = {{"eff", "CapEff"}, {"prm", "CapPrm"}, {"inh", "CapInh"},
                           {"bnd", "CapBnd"}, {"amb", "CapAmb"}};
  for (int i = 0; i < 5; ++i) {
    status_field(caps[i][1], buf, sizeof buf);
    printf("%s\"%s\":", i ? "," : "", caps[i][0]);
    json_string(buf);
  }
  status_field("NoNewPrivs", buf, sizeof buf);
  printf("},\"no_new_privs\":%s", buf[0] ? buf : "0");
  status_field("Seccomp", buf, sizeof buf);
  printf(",\"seccomp\":%s", buf[0] ? buf : "0");
  status_field("Umask", buf, sizeof buf);
  printf(",\"umask\":");
  json_string(buf);
  /* KEYCTL_GET_KEYRING_ID of KEY_SPEC_SESSION_KEYRING, without creating one */
  printf(",\"session_keyring\":%ld", syscall(SYS_keyctl, 0, -3, 0));
  printf(",\"hostname\":");
  json_string(u.nodename);
  printf(",\"domainname\":");
  json_string(u.domainname);
  printf(",\"cwd\":");
  json_string(getcwd(buf, sizeof buf) ? buf : "");
  printf(",\"fds\":");
  print_fds();
  printf(",\"rlimits\":");
  print_rlimits();
  printf(",\"mounts\":");
  print_mounts();
  printf(",\"env\":[");
  for (char** e = environ; *e; ++e) {
    if (e != environ) putchar(',');
    json_string(*e);
  }
  printf("],\"argv\":[");
  for (int i = 0; i < argc; ++i) {
    if (i) putchar(',');
    json_string(argv[i]);
  }
  printf("]}\n");
  fflush(stdout);
  if (argc > 1 && strcmp(argv[1], "--wait") == 0)
    while (read(0, buf, sizeof buf) > 0) {
    }
  return 0;
}
