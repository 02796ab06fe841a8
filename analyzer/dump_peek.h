// Reads only the process record of a dump (who and which seq), so `trend` can order a series
// before parsing each file in full, one at a time. Full validation stays with ParseDump.
#pragma once

#include <string>

#include "dump.h"

namespace leakscope {

// Reads the file header and the records up to the first kProcess record. On failure returns
// false with *error "<path>: <what broke>".
bool PeekProcess(const std::string& path, ProcessInfo* process, std::string* error);

}  // namespace leakscope
