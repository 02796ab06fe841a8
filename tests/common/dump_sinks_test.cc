// SPDX-License-Identifier: Apache-2.0
// StringSink and FdSink: bytes arrive complete and in order, FdSink buffers until Flush, survives
// signals and short writes, and reports failure once and for good.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "dump.h"

namespace leakscope {
namespace {

std::string Pattern(size_t size, unsigned seed) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 131 + seed) % 251);
  return s;
}

std::string ReadAll(int fd) {
  std::string out;
  char buffer[65536];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buffer, static_cast<size_t>(n));
  }
}

TEST(StringSink, AppendsEveryWrite) {
  StringSink sink;
  EXPECT_TRUE(sink.Write("ab", 2));
  EXPECT_TRUE(sink.Write("", 0));
  EXPECT_TRUE(sink.Write("c\0d", 3));
  EXPECT_EQ(sink.bytes(), std::string("abc\0d", 5));
}

TEST(FdSink, HoldsSmallWritesUntilFlush) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  FdSink sink(fds[1]);
  ASSERT_TRUE(sink.Write("hello", 5));
  int pending = -1;
  ASSERT_EQ(::ioctl(fds[0], FIONREAD, &pending), 0);
  EXPECT_EQ(pending, 0);
  ASSERT_TRUE(sink.Flush());
  ASSERT_EQ(::ioctl(fds[0], FIONREAD, &pending), 0);
  EXPECT_EQ(pending, 5);
  EXPECT_TRUE(sink.Flush());  // Nothing left: a no-op that still succeeds.
  ::close(fds[1]);
  EXPECT_EQ(ReadAll(fds[0]), "hello");
  ::close(fds[0]);
}

TEST(FdSink, WritesChunksOfEverySizeInOrder) {
  FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  int fd = fileno(file);
  std::string expected;
  {
    FdSink sink(fd);
    const size_t sizes[] = {1, 65535, 1, 65536, 0, 200000, 3, 65534, 70000, 7};
    unsigned seed = 0;
    for (size_t size : sizes) {
      std::string chunk = Pattern(size, ++seed);
      ASSERT_TRUE(sink.Write(chunk.data(), chunk.size()));
      expected += chunk;
    }
    ASSERT_TRUE(sink.Flush());
  }
  ASSERT_EQ(::lseek(fd, 0, SEEK_SET), 0);
  EXPECT_EQ(ReadAll(fd), expected);
  std::fclose(file);
}

TEST(FdSink, ReportsAFullDiskAndStaysFailed) {
  int fd = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
  if (fd < 0) GTEST_SKIP() << "no /dev/full";
  FdSink sink(fd);
  EXPECT_TRUE(sink.Write("buffered", 8));  // Not yet written: only Flush finds out.
  EXPECT_FALSE(sink.Flush());
  EXPECT_FALSE(sink.Write("x", 1));
  EXPECT_FALSE(sink.Flush());
  ::close(fd);
}

TEST(FdSink, ReportsABadDescriptorOnALargeWrite) {
  FdSink sink(-1);
  std::string big = Pattern(100000, 1);
  EXPECT_FALSE(sink.Write(big.data(), big.size()));
  EXPECT_FALSE(sink.Flush());
}

std::atomic<int> g_signals{0};
void CountSignal(int) { g_signals.fetch_add(1, std::memory_order_relaxed); }

// Without SA_RESTART, a signal arriving while write(2) blocks on a full pipe makes it return early:
// with a short count if some bytes went through, with EINTR if none did. Both must be retried.
TEST(FdSink, CompletesWritesInterruptedBySignals) {
  struct sigaction action = {}, previous = {};
  action.sa_handler = CountSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  ASSERT_EQ(::sigaction(SIGUSR1, &action, &previous), 0);

  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  std::string received;
  std::thread reader([&] {
    char buffer[4096];
    while (true) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));  // Keep the pipe full.
      ssize_t n = ::read(fds[0], buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      received.append(buffer, static_cast<size_t>(n));
    }
  });
  std::atomic<bool> done{false};
  pthread_t writer = pthread_self();
  std::thread pest([&] {
    while (!done.load()) {
      pthread_kill(writer, SIGUSR1);
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
  });

  std::string expected;
  {
    FdSink sink(fds[1]);
    for (unsigned i = 0; i < 12; ++i) {
      std::string chunk = Pattern(i % 2 == 0 ? 150000 : 1000, i);
      ASSERT_TRUE(sink.Write(chunk.data(), chunk.size()));
      expected += chunk;
    }
    ASSERT_TRUE(sink.Flush());
  }
  done = true;
  pest.join();
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  ::sigaction(SIGUSR1, &previous, nullptr);

  EXPECT_EQ(received.size(), expected.size());
  EXPECT_TRUE(received == expected);
  EXPECT_GT(g_signals.load(), 0);
}

}  // namespace
}  // namespace leakscope
