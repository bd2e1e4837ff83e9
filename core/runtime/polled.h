// core/runtime/polled.h
//
// A bolt whose work also arrives from another thread: core/multilang's
// shell bolt, whose subprocess answers (emits, acks, heartbeats) on a
// reader thread. The bolt executor finds it with dynamic_cast when it is
// built, hands it a waker that ends its idle wait, and calls Poll() on its
// own thread every loop (while not blocked by backpressure), so that what
// arrived is emitted and acked on the executor thread like any other emit.
// Header only: the runtime needs no link to whoever implements it.
#pragma once

#include <functional>

namespace gale::runtime {

class Polled {
 public:
  virtual ~Polled() = default;
  // `wake` ends the executor's wait for input at once; any thread may call
  // it. Called once, before Prepare().
  virtual void SetWaker(std::function<void()> wake) = 0;
  // On the executor thread: handle what arrived since the last call.
  virtual void Poll() = 0;
  // Whether it still owes work for inputs it was given (a subprocess that
  // has not answered them yet): `gale local` does not stop while it does.
  // Any thread may call it.
  virtual bool Busy() const { return false; }
};

}  // namespace gale::runtime
