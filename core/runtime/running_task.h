// core/runtime/running_task.h
//
// Which component and task the current thread is running user code for:
// set around every call into a spout or bolt (Executor::Guarded), read by
// the worker's crash handler (worker/death_note.h) to say where a fatal
// signal struck. Two plain thread-local stores per call: no lock, no
// allocation.
//
// Two variables rather than one struct: Guarded saves the outer pair and
// restores it around every call, and a struct was copied with one 16-byte
// load of what two narrower stores had just written, which the core cannot
// forward from its store buffer: the load waited for both stores to reach
// the cache, every call (perf, chained W1: 7% of the thread on the stores
// before it, in SpoutExecutor::Run and BoltExecutor::ExecuteNow).
#pragma once

#include <cstdint>

namespace gale::runtime {

// The component id's characters; null: engine code.
inline thread_local const char* tls_running_component = nullptr;
inline thread_local int32_t tls_running_task = -1;

}  // namespace gale::runtime
