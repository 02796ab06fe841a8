// SPDX-License-Identifier: Apache-2.0
// Writing one dump file inside a process that may close our descriptors under us.
//
// A descriptor is only a number in a table the program shares with us. A program thread that
// calls close_range(3, ~0) closes ours too, and its next open() gets the same number: a write
// through the old number would then append our bytes to the program's file, and a close() would
// close the program's file. So every operation through the number is preceded by a check that
// it still names the file we created ((st_dev, st_ino) from fstat, compared with what we
// created), and a file is published (renamed to its final name) only when it holds exactly the
// bytes the encoder produced, and at least one.
//
// The check narrows the race but cannot close it: the program can swap the number between our
// fstat and the next system call. The dumper therefore runs this on a thread with a private
// descriptor table when it can (see private_fd_table.h), where no program thread can touch the
// number; the checks are what is left when the kernel refuses one.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "dump.h"

namespace leakscope::recorder {

struct DumpFileResult {
  bool published = false;
  // When not published: what failed ("create", "write", ...) and errno at that point (EBADF
  // when our descriptor was closed or replaced under us).
  const char* step = nullptr;
  int error = 0;
  uint64_t bytes = 0;  // bytes in the published file
};

// Encodes with `encode(sink, arg)` into `temp_path`, created exclusively (O_EXCL, O_NOFOLLOW,
// mode 0600 whatever the umask; a stale file of that name is removed first), fsyncs it, then
// renames it to `final_path` if it is complete and fsyncs the directory. On any failure the
// temporary is removed (if it is still ours) and nothing is published. `encode` returns false
// when the sink refused a write. Both paths must be in a directory of ours alone (dump_dir.h):
// the names are predictable. Uses write(2), fstat, fsync and the path calls only; allocates one
// write buffer.
DumpFileResult WriteDumpFile(const char* temp_path, const char* final_path,
                             bool (*encode)(ByteSink* sink, void* arg), void* arg);

}  // namespace leakscope::recorder
