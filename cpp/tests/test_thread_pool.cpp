// ThreadPool (cpp/thread_pool.hpp): coverage, static partition, worker-count independence.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <map>
#include <stdexcept>
#include <thread>
#include <vector>

#include "thread_pool.hpp"

namespace pyiscc {
namespace {

TEST(ThreadPool, EveryIndexVisitedExactlyOnce) {
  for (int workers = 1; workers <= 4; ++workers) {
    ThreadPool pool(workers);
    for (std::ptrdiff_t n : {0, 1, 2, 5, 17, 100}) {
      std::vector<std::atomic<int>> visits(static_cast<std::size_t>(n));
      for (auto& v : visits) v = 0;
      pool.run(n, [&](std::ptrdiff_t i) { ++visits[static_cast<std::size_t>(i)]; });
      for (std::ptrdiff_t i = 0; i < n; ++i)
        EXPECT_EQ(visits[static_cast<std::size_t>(i)].load(), 1) << "n=" << n << " workers=" << workers << " i=" << i;
    }
  }
}

TEST(ThreadPool, StaticPartitionIsTheSameForTheSameSizes) {
  const int workers = 3;
  const std::ptrdiff_t n = 20;
  ThreadPool pool(workers);
  auto map_threads = [&] {
    std::vector<std::thread::id> who(static_cast<std::size_t>(n));
    pool.run(n, [&](std::ptrdiff_t i) { who[static_cast<std::size_t>(i)] = std::this_thread::get_id(); });
    return who;
  };
  const auto first = map_threads(), second = map_threads();
  EXPECT_EQ(first, second);
  std::map<int, std::thread::id> thread_of_owner;
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    const int owner = ThreadPool::owner(i, workers);
    EXPECT_EQ(owner, i % workers);
    auto [it, inserted] = thread_of_owner.emplace(owner, first[static_cast<std::size_t>(i)]);
    if (!inserted) {
      EXPECT_EQ(it->second, first[static_cast<std::size_t>(i)]) << "i=" << i;
    }
  }
  EXPECT_EQ(thread_of_owner.size(), static_cast<std::size_t>(workers));
  EXPECT_EQ(thread_of_owner.at(0), std::this_thread::get_id());  // owner 0: the caller
}

TEST(ThreadPool, ResultsAreBitIdenticalForOneToFourWorkers) {
  const std::ptrdiff_t n = 37;
  auto compute = [&](int workers) {
    ThreadPool pool(workers);
    std::vector<double> out(static_cast<std::size_t>(n));
    for (int round = 0; round < 3; ++round) {  // several runs on the same pool
      pool.run(n, [&](std::ptrdiff_t i) {
        double s = out[static_cast<std::size_t>(i)];
        for (int j = 1; j <= 1000; ++j) s += std::sin(0.001 * static_cast<double>(j * (i + 1) + round)) / j;
        out[static_cast<std::size_t>(i)] = s;
      });
    }
    return out;
  };
  const auto serial = compute(1);
  for (int workers = 2; workers <= 4; ++workers) {
    const auto threaded = compute(workers);
    EXPECT_EQ(0, std::memcmp(serial.data(), threaded.data(), serial.size() * sizeof(double)))
        << "workers=" << workers;
  }
}

TEST(ThreadPool, RethrowsAWorkersExceptionAndStaysUsable) {
  ThreadPool pool(3);
  EXPECT_THROW(pool.run(10, [](std::ptrdiff_t i) {
                 if (i == 4) throw std::runtime_error("index 4");
               }),
               std::runtime_error);
  std::atomic<int> count{0};
  pool.run(10, [&](std::ptrdiff_t) { ++count; });
  EXPECT_EQ(count.load(), 10);
}

}  // namespace
}  // namespace pyiscc
