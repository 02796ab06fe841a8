// Whether the calling thread is running a signal handler, told from its own stack: code that
// may have interrupted anything (a malloc holding its arena's lock, the recorder's own dump
// holding the dump mutex) must not do work that takes those locks again.
#pragma once

#include "thread_state.h"

namespace leakscope::recorder {

enum class SignalContext {
  kNone,       // no handler runs on this thread
  kHandler,    // a handler runs on this thread: on the alternate stack, or below a signal frame
  kCannotTell  // the walk ended before it could see either way
};

// Finds out with sigaltstack(2) and one walk of this thread's stack (stack_walker.h) of up to
// 512 frames (4 KiB of the caller's stack): a handler on the alternate stack, or the kernel's
// signal frame on the way out, says kHandler; a walk that reaches the stack's outermost frame
// says kNone. A walk that ends at JIT code (a return address in no module) says kNone too: the
// frames up to there are proven, and a handler sits below the code it interrupted, so it would
// have been met first. Any other end is kCannotTell. For rare calls (the _exit hooks), not for
// the fast path.
SignalContext FindSignalContext(const ReentrancyGuard& guard);

}  // namespace leakscope::recorder
