// core/runtime/running_task.h
//
// Which component and task the current thread is running user code for:
// set around every call into a spout or bolt (Executor::Guarded), read by
// the worker's crash handler (worker/death_note.h) to say where a fatal
// signal struck. Two plain thread-local stores per call: no lock, no
// allocation.
#pragma once

#include <cstdint>

namespace gale::runtime {

struct RunningTask {
  const char* component = nullptr;  // the component id's characters; null: engine code
  int32_t task = -1;
};

inline thread_local RunningTask tls_running_task;

}  // namespace gale::runtime
