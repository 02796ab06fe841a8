// A batch job in miniature: every batch leaks a fixed amount at one site while another site
// churns (buffers kept for a while, then freed, so its live bytes go up and down). Prints the
// leak rate it achieved: "RATE <bytes per minute>" (see run_batch_trend.cmake).
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

namespace {

constexpr int kBatches = 40;
constexpr long kBatchNs = 100'000'000;
constexpr size_t kLeakPerBatch = 64 * 1024;

void* volatile g_leaked[kBatches * 16];

__attribute__((noinline)) void LeakOneBatch(int batch) {
  for (int i = 0; i < 16; ++i) {
    void* p = malloc(kLeakPerBatch / 16);
    memset(p, batch, kLeakPerBatch / 16);
    g_leaked[batch * 16 + i] = p;
  }
}

void* g_pool[8];

__attribute__((noinline)) void Churn(std::mt19937* rng) {
  for (void*& slot : g_pool) {
    if ((*rng)() % 2 == 0) {
      free(slot);
      slot = (*rng)() % 2 == 0 ? malloc(16 * 1024 + (*rng)() % (64 * 1024)) : nullptr;
    }
  }
}

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

}  // namespace

int main() {
  std::mt19937 rng(7);
  double start = Now();
  for (int batch = 0; batch < kBatches; ++batch) {
    LeakOneBatch(batch);
    Churn(&rng);
    timespec pause{0, kBatchNs};
    nanosleep(&pause, nullptr);
  }
  double minutes = (Now() - start) / 60;
  printf("RATE %.0f\n", kBatches * kLeakPerBatch / minutes);
  for (void*& slot : g_pool) free(slot);
  return 0;
}
// SPDX-License-Identifier: Apache-2.0
