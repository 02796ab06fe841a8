// SPDX-License-Identifier: Apache-2.0
// Finding dump files and ordering them by process: what every command that reads several dumps
// (trend, html) does before reading them.
#pragma once

#include <string>
#include <vector>

#include "dump.h"

namespace leakscope::analyzer {

// Lists the dump files in `path`: the path itself when it is a file, else every "*.dump" below
// it (recursively: container log directories nest), sorted. False when it does not exist.
bool ExpandDumpPath(const std::string& path, std::vector<std::string>* files, std::string* error);

// One dump file and its process header.
struct DumpEntry {
  std::string path;
  ProcessInfo process;
};

// `files` grouped by process (pid, recorder instance) as AnalyzeTrend reads them: groups by pid
// then instance, each in seq order (equal seqs keep their file order). A file whose header cannot
// be read gets one line in *errors (may be null) and is left out.
std::vector<std::vector<DumpEntry>> GroupDumpsByProcess(const std::vector<std::string>& files,
                                                        std::vector<std::string>* errors);

}  // namespace leakscope::analyzer
