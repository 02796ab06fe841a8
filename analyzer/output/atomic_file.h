// SPDX-License-Identifier: Apache-2.0
// The one way the analyzer writes a file (html -o, report -o, unpack's dumps): a temporary file
// created exclusively next to the final name, written, fsynced and renamed over it.
//
// Why each step: O_CREAT|O_EXCL|O_NOFOLLOW on a name nobody can guess (pid and random bits)
// means a file or symbolic link planted by another user in a directory they can write (a shared
// output directory, /tmp) is never opened, truncated or written through, even by root; rename
// replaces the final name itself, so a symbolic link planted there is replaced, never followed;
// fsync before rename means a crash leaves the old file or the whole new one, never a torn one.
// A character device or FIFO already at the name (`-o /dev/null`) is written to in place.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace leakscope::analyzer {

// Writes `bytes` to `path` as above, with `mode` (less the umask) for a new file. The directory
// part of `path` is followed as given (the user named it). On failure leaves no temporary file
// behind and sets *error to "<path>: <reason>".
bool WriteFileAtomically(const std::string& path, std::string_view bytes, mode_t mode,
                         std::string* error);

// The same inside the directory open as `dir_fd`; `name` is one path component. `shown` is the
// path used in *error.
bool WriteFileAtomicallyAt(int dir_fd, const std::string& name, std::string_view bytes, mode_t mode,
                           const std::string& shown, std::string* error);

}  // namespace leakscope::analyzer
