/* SPDX-License-Identifier: Apache-2.0 */
/* libleakscope.so loads on glibc 2.17 and later: no symbol version newer than GLIBC_2.17 may be
 * needed (scripts/check-glibc-floor checks the built library). On x86-64 glibc's symbols start at
 * GLIBC_2.2.5; on AArch64, whose port arrived in glibc 2.17, every symbol's first version is
 * GLIBC_2.17 (and the floor is that first release).
 *
 * Linking on a newer glibc binds every call to the newest version of its symbol (dlsym@GLIBC_2.34,
 * stat@GLIBC_2.33 ...), both our own calls and those inside the static libstdc++/libgcc, which we
 * cannot recompile. So this file defines those functions itself, hidden (never exported, so the
 * program's calls never reach them), and the static linker binds every reference in the library
 * to these definitions first. Each is one of:
 *   - a forwarder to the same function's old version (.symver below), where glibc only moved it
 *     (libdl and libpthread merged into libc in 2.34 under new versions; the old ones remain). On
 *     glibc < 2.34 those live in libdl.so.2 and libpthread.so.0, which the library therefore
 *     NEEDs (linked --no-as-needed: preload/CMakeLists.txt).
 *   - a system call, where the function is newer than the floor or its old form differs (stat
 *     was a wrapper around __xstat before 2.33).
 *   - a safe value, for data the static libstdc++ reads (__libc_single_threaded).
 * Functions newer than the floor that the recorder wants when present (mallinfo2,
 * _dl_find_object) are looked up at run time where they are used instead.
 *
 * C, not C++: glibc's C++ declarations carry exception specifications that definitions would
 * have to repeat one by one. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HIDDEN __attribute__((visibility("hidden")))

/* The first version of glibc's symbols on this architecture. */
#if defined(__x86_64__)
#define GLIBC_BASE "GLIBC_2.2.5"
#define GLIBC_DLADDR1 "GLIBC_2.3.3" /* added after the base */
#elif defined(__aarch64__)
#define GLIBC_BASE "GLIBC_2.17"
#define GLIBC_DLADDR1 "GLIBC_2.17"
#else
#error "glibc_floor: no glibc base version for this architecture"
#endif

/* FORWARD(ret, name, params, args): a hidden `name` that calls name@GLIBC_BASE. */
#define FORWARD(ret, name, params, args)                            \
  extern ret leakscope_old_##name params;                           \
  __asm__(".symver leakscope_old_" #name "," #name "@" GLIBC_BASE); \
  HIDDEN ret name params { return leakscope_old_##name args; }

/* dlsym's RTLD_NEXT is relative to its caller: these forwarders are in this library, like every
 * caller of them, so "next" still means "after libleakscope.so". */
FORWARD(void*, dlsym, (void* handle, const char* name), (handle, name))
FORWARD(int, dladdr, (const void* address, Dl_info* info), (address, info))
/* Versioned 2.3.3 on x86-64, its first version (libdl.so.2 before glibc 2.34, libc.so.6 since). */
extern int leakscope_old_dladdr1(const void* address, Dl_info* info, void** extra, int flags);
__asm__(".symver leakscope_old_dladdr1,dladdr1@" GLIBC_DLADDR1);
HIDDEN int dladdr1(const void* address, Dl_info* info, void** extra, int flags) {
  return leakscope_old_dladdr1(address, info, extra, flags);
}
FORWARD(int, pthread_create,
        (pthread_t * thread, const pthread_attr_t* attr, void* (*start)(void*), void* arg),
        (thread, attr, start, arg))
FORWARD(int, pthread_join, (pthread_t thread, void** result), (thread, result))
FORWARD(int, pthread_once, (pthread_once_t * once, void (*init)(void)), (once, init))
FORWARD(int, pthread_attr_setstacksize, (pthread_attr_t * attr, size_t size), (attr, size))
FORWARD(int, pthread_rwlock_rdlock, (pthread_rwlock_t * lock), (lock))
FORWARD(int, pthread_rwlock_unlock, (pthread_rwlock_t * lock), (lock))
FORWARD(int, pthread_rwlock_timedwrlock, (pthread_rwlock_t * lock, const struct timespec* until),
        (lock, until))
/* glibc's, not a raw rt_sigprocmask: it keeps its own cancellation and setxid signals unblocked,
 * and a thread blocking SIGSETXID would hang the process's next setuid(). */
FORWARD(int, pthread_sigmask, (int how, const sigset_t* set, sigset_t* old), (how, set, old))
/* The static libstdc++ refers to it (weakly) to learn whether threads exist. */
FORWARD(int, __pthread_key_create, (pthread_key_t * key, void (*destructor)(void*)),
        (key, destructor))

/* The static libstdc++ (GCC 11+) skips atomic reference counting while this says the process
 * is single-threaded. 0 means "maybe threaded, always be atomic": always right, if a few
 * nanoseconds slower in a single-threaded program. */
HIDDEN char __libc_single_threaded = 0;

/* The kernel's struct stat is glibc's on x86-64 and on AArch64 (the generic layout), so the
 * system calls fill it as glibc would. AArch64 has no stat or lstat system call, only the
 * generic table's newfstatat. syscall(2) itself returns -1 and sets errno on failure. */
#if defined(__x86_64__)
HIDDEN int stat(const char* path, struct stat* out) { return (int)syscall(SYS_stat, path, out); }
HIDDEN int lstat(const char* path, struct stat* out) { return (int)syscall(SYS_lstat, path, out); }
#else
HIDDEN int stat(const char* path, struct stat* out) {
  return (int)syscall(SYS_newfstatat, AT_FDCWD, path, out, 0);
}
HIDDEN int lstat(const char* path, struct stat* out) {
  return (int)syscall(SYS_newfstatat, AT_FDCWD, path, out, AT_SYMLINK_NOFOLLOW);
}
#endif
HIDDEN int fstat(int fd, struct stat* out) { return (int)syscall(SYS_fstat, fd, out); }

/* Only the calling thread is ever named (the dumper names itself). */
HIDDEN int pthread_setname_np(pthread_t thread, const char* name) {
  if (strlen(name) > 15) return ERANGE;
  if (!pthread_equal(thread, pthread_self())) return ENOSYS;
  return prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0) == 0 ? 0 : errno;
}

/* Random bytes for the static libstdc++ (std::random_device). getrandom(2) is Linux 3.17+; on an
 * older kernel, or before the entropy pool is ready, /dev/urandom serves. */
static int FillRandom(void* buffer, size_t length) {
  unsigned char* p = buffer;
  while (length > 0) {
    long n = syscall(SYS_getrandom, p, length, 0x0001 /* GRND_NONBLOCK */);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    p += n;
    length -= (size_t)n;
  }
  if (length == 0) return 0;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  while (length > 0) {
    ssize_t n = read(fd, p, length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    p += n;
    length -= (size_t)n;
  }
  close(fd);
  return length == 0 ? 0 : -1;
}
HIDDEN int getentropy(void* buffer, size_t length) {
  if (length > 256) {
    errno = EIO;
    return -1;
  }
  if (FillRandom(buffer, length) != 0) {
    errno = EIO;
    return -1;
  }
  return 0;
}
HIDDEN uint32_t arc4random(void) {
  uint32_t value = 0;
  if (FillRandom(&value, sizeof value) != 0) {
    /* Never fails, like glibc's: the clock and an address, mixed. Only libstdc++'s
     * random_device asks, and the recorder never uses one. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    uint64_t x = (uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 32) ^ (uintptr_t)&now;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    value = (uint32_t)x;
  }
  return value;
}

/* The static libgcc's unwinder (used only if an exception were thrown inside the library, which
 * is built without them) finds unwind tables through _dl_find_object when GCC was built on glibc
 * 2.35+. "Not found" makes it find nothing, which ends such an unwind with std::terminate, as
 * any exception in the recorder would anyway. */
struct dl_find_object;
HIDDEN int _dl_find_object(void* pc, struct dl_find_object* out) {
  (void)pc;
  (void)out;
  return -1;
}
