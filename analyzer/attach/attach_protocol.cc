// SPDX-License-Identifier: Apache-2.0
#include "attach/attach_protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "output/absl_compat.h"

namespace leakscope::analyzer::attach {
namespace {

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

bool Alive(pid_t pid) { return kill(pid, 0) == 0 || errno == EPERM; }

// The attach file we made, removed when the attempt ends: HotSpot does not remove it, and a
// stale one would start the listener of a later JVM with the same pid at its first SIGQUIT.
class AttachFile {
 public:
  AttachFile() = default;
  AttachFile(const AttachFile&) = delete;
  AttachFile& operator=(const AttachFile&) = delete;
  ~AttachFile() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  void Own(std::string path) { path_ = std::move(path); }

 private:
  std::string path_;
};

enum class Placed { kMade, kFound, kFailed, kBlocked };

// Places the trigger file at `path`. kMade: we created it, owned by the JVM's user. kFound:
// one that HotSpot accepts is there already (another client's). kBlocked: one HotSpot refuses
// is there, and HotSpot looks no further. kFailed: cannot create one here (*why says why).
Placed PlaceAttachFile(const std::string& path, uid_t uid, std::string* why) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) {
    struct stat st;
    bool owned = fstat(fd, &st) == 0 && st.st_uid == uid;
    close(fd);
    if (owned) return Placed::kMade;
    // Some filesystems (NFS with root squash, vfat) give files another owner: HotSpot would
    // ignore it and stop looking.
    unlink(path.c_str());
    *why = "files created there get another owner";
    return Placed::kFailed;
  }
  if (errno != EEXIST) {
    *why = strerror(errno);
    return Placed::kFailed;
  }
  struct stat st;
  if (lstat(path.c_str(), &st) == 0 && (st.st_uid == uid || st.st_uid == 0)) return Placed::kFound;
  *why = absl::StrCat("a file of another user is there already");
  return Placed::kBlocked;
}

}  // namespace

std::string AttachSocketPath(const TargetProcess& target) {
  return target.Reach(absl::StrCat("/tmp/.java_pid", target.status.nspid));
}

bool AttachSocketReady(const TargetProcess& target, std::string* error) {
  error->clear();
  std::string path = AttachSocketPath(target);
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) *error = absl::StrCat("cannot inspect ", path, ": ", strerror(errno));
    return false;
  }
  if (!S_ISSOCK(st.st_mode) || st.st_uid != target.status.uid) {
    *error = absl::StrCat(path, " is not the JVM's attach socket (",
                          S_ISSOCK(st.st_mode) ? "" : "not a socket, ", "owner uid ", st.st_uid,
                          ", the JVM runs as uid ", target.status.uid, ")");
    return false;
  }
  return true;
}

bool StartAttachListener(const TargetProcess& target, int timeout_ms, std::string* error) {
  const std::string name = absl::StrCat(".attach_pid", target.status.nspid);
  // HotSpot 8 to 25 look in the JVM's working directory first, then in its /tmp, and use the
  // first file they find.
  const std::string candidates[] = {target.cwd + "/" + name, target.Reach("/tmp/" + name)};
  AttachFile made;
  std::vector<std::string> failures;
  bool placed = false;
  for (const std::string& path : candidates) {
    std::string why;
    Placed result = PlaceAttachFile(path, target.status.uid, &why);
    if (result == Placed::kMade) made.Own(path);
    if (result == Placed::kMade || result == Placed::kFound) {
      placed = true;
      break;
    }
    if (result == Placed::kBlocked) {
      *error = absl::StrCat("cannot start the JVM's attach listener: ", path, ": ", why,
                            "; remove it and try again");
      return false;
    }
    failures.push_back(absl::StrCat(path, ": ", why));
  }
  if (!placed) {
    *error = absl::StrCat("cannot create the attach file: ", absl::StrJoin(failures, "; "));
    return false;
  }
  if (kill(target.pid, SIGQUIT) != 0) {
    *error = absl::StrCat("cannot signal process ", target.pid, ": ", strerror(errno));
    return false;
  }
  // The listener starts within milliseconds on an idle JVM; a loaded machine or a JVM in a long
  // safepoint can take seconds. Backoff from 20 ms to 500 ms between looks.
  const int64_t deadline = NowMs() + timeout_ms;
  for (int delay = 20;; delay = std::min(delay * 2, 500)) {
    if (AttachSocketReady(target, error)) return true;
    if (!error->empty()) return false;
    if (!Alive(target.pid)) {
      *error = absl::StrCat("process ", target.pid, " exited");
      return false;
    }
    int64_t left = deadline - NowMs();
    if (left <= 0) break;
    SleepMs(static_cast<int>(std::min<int64_t>(delay, left)));
  }
  *error = absl::StrCat("the JVM did not open its attach socket within ", timeout_ms / 1000,
                        " s of SIGQUIT (it printed a thread dump instead if its attach mechanism "
                        "is disabled, e.g. by -XX:+DisableAttachMechanism in a flags file)");
  return false;
}

void SleepMs(int ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1'000'000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

bool ParseLoadReply(std::string_view reply, LoadReply* out) {
  std::vector<absl::string_view> lines = absl::StrSplit(AV(reply), '\n');
  int status;
  if (lines.empty() || !absl::SimpleAtoi(lines[0], &status)) return false;
  LoadReply result;
  absl::string_view second = lines.size() > 1 ? lines[1] : absl::string_view();
  absl::ConsumePrefix(&second, "return code: ");
  if (!second.empty() && absl::SimpleAtoi(second, &result.agent_code)) {
    result.loaded = true;
  } else {
    std::vector<absl::string_view> text;
    for (size_t i = 1; i < lines.size(); ++i) {
      absl::string_view line = absl::StripAsciiWhitespace(lines[i]);
      // "<library> was not loaded." repeats what the caller says already; the reason follows.
      if (!line.empty() && !absl::EndsWith(line, " was not loaded.")) text.push_back(line);
    }
    result.message = absl::StrJoin(text, " ");
    result.not_live_phase = absl::StrContains(result.message, "only permitted in the live phase");
    if (result.message.empty()) {
      result.message = status == 101 ? "it does not speak attach protocol version 1"
                                     : absl::StrCat("status ", status, " and no reason");
    }
  }
  *out = std::move(result);
  return true;
}

bool SendLoad(const std::string& socket_path, const std::string& library,
              const std::string& options, int timeout_ms, std::string* reply, std::string* error) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(address.sun_path)) {
    *error = absl::StrCat("the socket path ", socket_path, " is too long");
    return false;
  }
  memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = absl::StrCat("socket: ", strerror(errno));
    return false;
  }
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    *error = absl::StrCat("cannot connect to the JVM's attach socket ", socket_path, ": ",
                          strerror(errno));
    return false;
  }
  // "1\0load\0<library>\0true\0<options>\0": "true" says the path is absolute.
  std::string request;
  for (const std::string& part :
       {std::string("1"), std::string("load"), library, std::string("true"), options}) {
    request += part;
    request += '\0';
  }
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = absl::StrCat("cannot send the load command: ", strerror(errno));
      return false;
    }
    sent += static_cast<size_t>(n);
  }
  // The JVM closes the connection after its reply: read until then. Agent_OnAttach runs before
  // the reply, so the wait includes the agent's start.
  reply->clear();
  const int64_t deadline = NowMs() + timeout_ms;
  for (;;) {
    int64_t left = deadline - NowMs();
    pollfd p{fd, POLLIN, 0};
    int ready = left > 0 ? poll(&p, 1, static_cast<int>(left)) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      *error = absl::StrCat("no complete reply from the JVM within ", timeout_ms / 1000, " s");
      return false;
    }
    char buffer[4096];
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = absl::StrCat("cannot read the JVM's reply: ", strerror(errno));
      return false;
    }
    if (n == 0) break;
    if (reply->size() < (1u << 20)) reply->append(buffer, static_cast<size_t>(n));
  }
  if (reply->empty()) {
    *error = "the JVM closed the connection without a reply (it refused our uid and gid?)";
    return false;
  }
  return true;
}

bool LoadWhenLive(pid_t pid, const std::string& socket_path, const std::string& library,
                  const std::string& options, int reply_timeout_ms, int live_wait_ms,
                  LoadReply* load, std::string* error) {
  const int64_t give_up = NowMs() + live_wait_ms;
  for (;;) {
    std::string reply;
    if (!SendLoad(socket_path, library, options, reply_timeout_ms, &reply, error)) return false;
    if (!ParseLoadReply(reply, load)) {
      *error = absl::StrCat("unexpected reply from the JVM: '", reply.substr(0, 200), "'");
      return false;
    }
    if (load->loaded || !load->not_live_phase || NowMs() >= give_up) return true;
    SleepMs(200);
    if (!Alive(pid)) {
      *error = absl::StrCat("process ", pid, " exited before its JVM could load the agent");
      return false;
    }
  }
}

}  // namespace leakscope::analyzer::attach
