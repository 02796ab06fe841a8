// SPDX-License-Identifier: Apache-2.0
// Decompresses a gzip'd buffer (pprof output) for tests that look inside it.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace leakscope {

// The decompressed bytes of `gzipped` (at most 1 MiB), or "" after a test failure.
inline std::string Gunzip(const std::string& gzipped) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) {
    ADD_FAILURE() << "inflateInit2 failed";
    return "";
  }
  std::string body(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gzipped.data()));
  zs.avail_in = static_cast<uInt>(gzipped.size());
  zs.next_out = reinterpret_cast<Bytef*>(body.data());
  zs.avail_out = static_cast<uInt>(body.size());
  int rc = inflate(&zs, Z_FINISH);
  body.resize(zs.total_out);
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    ADD_FAILURE() << "not a complete gzip stream (inflate returned " << rc << ")";
    return "";
  }
  return body;
}

}  // namespace leakscope
