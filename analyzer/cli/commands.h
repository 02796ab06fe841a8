// SPDX-License-Identifier: Apache-2.0
// The subcommands of the leakscope command. Each takes its arguments (after the subcommand name)
// and returns the process exit status.
#pragma once

#include <string>
#include <vector>

namespace leakscope::analyzer {

int ReportCommand(const std::vector<std::string>& args);
int DiffCommand(const std::vector<std::string>& args);
int TrendCommand(const std::vector<std::string>& args);
// `self_exe` is the path of the running leakscope binary (to find ../lib/libleakscope.so).
int RunCommand(const std::vector<std::string>& args, const std::string& self_exe);
int SparkConfCommand(const std::vector<std::string>& args, const std::string& self_exe);
int UnpackCommand(const std::vector<std::string>& args);
int HtmlCommand(const std::vector<std::string>& args);
// `self_exe` as for RunCommand (the recorder library to load).
int AttachCommand(const std::vector<std::string>& args, const std::string& self_exe);
int DumpCommand(const std::vector<std::string>& args);
int ExportCommand(const std::vector<std::string>& args);

}  // namespace leakscope::analyzer
