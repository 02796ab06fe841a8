// SPDX-License-Identifier: Apache-2.0
#include "status_format.h"

#include <cstdlib>

namespace leakscope::status_file {

std::string Format(const Status& status) {
  std::string text = "leakscope_status=1\n";
  text += "pid=" + std::to_string(status.pid) + "\n";
  text += "dir=" + status.dir + "\n";
  text += "trigger=" + status.trigger + "\n";
  text += "via=" + status.via + "\n";
  text += "version=" + status.version + "\n";
  return text;
}

bool Parse(std::string_view text, Status* out, std::string* error) {
  Status status;
  bool format_seen = false;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    size_t equals = line.find('=');
    if (equals == std::string_view::npos) continue;
    std::string_view key = line.substr(0, equals);
    std::string value(line.substr(equals + 1));
    if (key == "leakscope_status") {
      if (value != "1") {
        *error = "status file format " + value + " is not one this leakscope reads (1)";
        return false;
      }
      format_seen = true;
    } else if (key == "pid") {
      char* rest = nullptr;
      long pid = strtol(value.c_str(), &rest, 10);
      if (value.empty() || *rest != '\0' || pid <= 0 || pid > 0x7fffffff) {
        *error = "bad pid '" + value + "'";
        return false;
      }
      status.pid = static_cast<int>(pid);
    } else if (key == "dir") {
      status.dir = value;
    } else if (key == "trigger") {
      status.trigger = value;
    } else if (key == "via") {
      status.via = value;
    } else if (key == "version") {
      status.version = value;
    }
  }
  if (!format_seen) {
    *error = "not a leakscope status file (no leakscope_status=1)";
    return false;
  }
  if (status.pid == 0 || status.dir.empty() || status.dir[0] != '/' || status.trigger.empty() ||
      status.trigger[0] != '/') {
    *error = "incomplete status file (pid, and absolute dir and trigger, are required)";
    return false;
  }
  *out = std::move(status);
  return true;
}

}  // namespace leakscope::status_file
