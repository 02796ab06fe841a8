// SPDX-License-Identifier: Apache-2.0
#include "thread_state.h"

namespace leakscope::recorder {

// Defined on its own, not in recorder.cc: everything that runs in a hook's thread (the Java part,
// the real-function resolver) reads it, and none of them should depend on the recorder for that.
__thread ThreadState t_state __attribute__((tls_model("initial-exec")));

}  // namespace leakscope::recorder
