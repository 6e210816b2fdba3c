#include "thread_pool.hpp"

#include <algorithm>

namespace pyiscc {

ThreadPool::ThreadPool(int workers) : workers_(std::max(1, workers)) {
  for (int w = 1; w < workers_; ++w) threads_.emplace_back([this, w] { loop(w); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::run(std::ptrdiff_t n, const std::function<void(std::ptrdiff_t)>& fn) {
  if (workers_ == 1 || n <= 1) {
    for (std::ptrdiff_t i = 0; i < n; ++i) fn(i);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fn_ = &fn;
    n_ = n;
    pending_ = workers_ - 1;
    error_ = nullptr;
    ++generation_;
  }
  wake_.notify_all();
  std::exception_ptr mine;
  try {
    for (std::ptrdiff_t i = 0; i < n; i += workers_) fn(i);
  } catch (...) {
    mine = std::current_exception();
  }
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return pending_ == 0; });
  fn_ = nullptr;
  if (mine) std::rethrow_exception(mine);
  if (error_) std::rethrow_exception(error_);
}

void ThreadPool::loop(int w) {
  std::uint64_t seen = 0;
  for (;;) {
    const std::function<void(std::ptrdiff_t)>* fn;
    std::ptrdiff_t n;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      fn = fn_;
      n = n_;
    }
    std::exception_ptr err;
    try {
      for (std::ptrdiff_t i = w; i < n; i += workers_) (*fn)(i);
    } catch (...) {
      err = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (err && !error_) error_ = err;
      if (--pending_ == 0) done_.notify_one();
    }
  }
}

}  // namespace pyiscc
