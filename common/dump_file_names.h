// SPDX-License-Identifier: Apache-2.0
// Where dumps are and what they are called: the contract between the recorder, which writes the
// files, and the analyzer and tests, which find them. One spelling of every name and of the
// default directory, so that the three cannot drift apart (docs/dump-format.md, "Files").
//
//   <dir>/leakscope.<pid>.<seq>.dump          a dump, seq counting from 0 per process
//   <dir>/.leakscope.<pid>.<seq>.dump.tmp     the hidden temporary it is written under
//   <dir>/leakscope.<pid>.trigger             touched to ask process pid for a dump (its first
//                                             line, when any, labels the dump: dump_label.h)
//   <runtime>/leakscope.<pid>.status          where process pid records (status_format.h);
//                                             <runtime> is the default directory below
//   <parent>/leakscope-<uid>                  the private directory of user uid
//
// No allocation in the formatters and parsers: the recorder uses them where it must not allocate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace leakscope::dump_files {

// Writes the file name (no directory) into out; false when it does not fit.
bool FormatDumpName(char* out, size_t size, int pid, uint64_t seq);
bool FormatTempName(char* out, size_t size, int pid, uint64_t seq);
bool FormatTriggerName(char* out, size_t size, int pid);
bool FormatStatusName(char* out, size_t size, int pid);
// The hidden temporary a status file is written under: .leakscope.<pid>.status.tmp
bool FormatStatusTempName(char* out, size_t size, int pid);

// Parses a file name (no directory): digits only, a pid above 0, nothing before or after.
bool ParseDumpName(const char* name, int* pid, uint64_t* seq);
bool ParseTempName(const char* name, int* pid, uint64_t* seq);

// leakscope-<uid>: the name of a user's private dump directory under a shared parent.
std::string PrivateDirectoryName(unsigned uid);

// The default dump directory of user uid: <$TMPDIR, if absolute, else /tmp>/leakscope-<uid>.
std::string DefaultDumpDirectory(unsigned uid);

}  // namespace leakscope::dump_files
