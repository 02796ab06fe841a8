// SPDX-License-Identifier: Apache-2.0
// StringSink and FdSink. FdSink allocates one buffer up front and writes with write(2) only: no
// stdio, no exceptions. (The recorder writes its dumps through preload/core/dump_file.cc instead,
// which checks before each write that the descriptor is still its own.)
#include <errno.h>
#include <unistd.h>

#include <cstring>
#include <new>

#include "dump.h"

namespace leakscope {
namespace {

// Large enough that a dump of tens of thousands of sites costs a few hundred syscalls, small enough
// to be a rounding error next to the recorder's tables.
constexpr size_t kFdSinkBufferBytes = 64 * 1024;

// write(2) until everything is out: a signal may interrupt it (EINTR) and pipes, sockets and full
// disks may take fewer bytes than asked.
bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) return false;  // Nothing written and no error: retrying could spin forever.
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

bool StringSink::Write(const void* data, size_t size) {
  bytes_.append(static_cast<const char*>(data), size);
  return true;
}

// A failed allocation leaves buffer_ null and every Write goes straight to write(2): slower, but
// the dump still gets written.
FdSink::FdSink(int fd) : fd_(fd), buffer_(new (std::nothrow) char[kFdSinkBufferBytes]) {}

FdSink::~FdSink() { delete[] buffer_; }

bool FdSink::Write(const void* data, size_t size) {
  if (failed_) return false;
  const char* bytes = static_cast<const char*>(data);
  if (buffer_ == nullptr) {
    failed_ = !WriteAll(fd_, bytes, size);
    return !failed_;
  }
  if (size > kFdSinkBufferBytes - used_) {
    if (!Flush()) return false;
    // A write at least as large as the buffer gains nothing from a copy.
    if (size >= kFdSinkBufferBytes) {
      failed_ = !WriteAll(fd_, bytes, size);
      return !failed_;
    }
  }
  std::memcpy(buffer_ + used_, bytes, size);
  used_ += size;
  return true;
}

bool FdSink::Flush() {
  if (failed_) return false;
  if (used_ > 0) {
    failed_ = !WriteAll(fd_, buffer_, used_);
    used_ = 0;
  }
  return !failed_;
}

}  // namespace leakscope
