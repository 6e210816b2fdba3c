// The one thread pool of the kernels (Algorithm 1's per-BS local steps, Algorithm 2's per-BS
// groups of sub-problems): persistent threads and a static partition of the work.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pyiscc {

// Calls fn(i) for i in [0, n) on `workers` threads: index i always runs on worker
// owner(i, workers) = i mod workers (worker 0 is the calling thread), so a kernel that writes only
// index i's own outputs gives the same bits for every worker count.  The threads live as long as
// the pool; run() blocks until every index is done and rethrows the first exception of a worker.
// One run() at a time (the pool is not reentrant).
class ThreadPool {
 public:
  explicit ThreadPool(int workers);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int workers() const { return workers_; }
  static int owner(std::ptrdiff_t i, int workers) { return static_cast<int>(i % workers); }

  void run(std::ptrdiff_t n, const std::function<void(std::ptrdiff_t)>& fn);

 private:
  void loop(int w);

  int workers_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(std::ptrdiff_t)>* fn_ = nullptr;
  std::ptrdiff_t n_ = 0;
  int pending_ = 0;
  std::uint64_t generation_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace pyiscc
