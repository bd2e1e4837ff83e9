// worker/death_note.h
//
// Why a worker died, written where its supervisor reads it after reaping the
// process (supervisor/worker_launcher.h, ReadDeathNote), so that the cause
// reaches `gale info`, the REST API and the UI instead of staying in a log on
// the supervisor's machine.
//
// Two writers: the worker itself when it gives up (an error from the plugin
// loader, an exception from Open/Prepare, ...), and a crash handler for
// SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT that writes the signal, the
// component and task whose code was running (core/runtime/running_task.h)
// and a stack trace, then lets the signal kill the process as before (the
// exit status stays the signal's).
//
// The note is text, one "key: value" a line, the stack last:
//   cause: spout 'lines' task 3's Open threw: cannot open lines.file /x
//   component: lines
//   task: 3
//   stack:
//   /path/libplugin.so(_ZN9LineSpout4OpenE...+0x2a) [0x7f...]
#pragma once

#include "core/common/status.h"

#include <cstdint>
#include <string>

namespace gale::worker {

// Opens (emptying) the note at `path` and installs the crash handler. Call
// once, early in main().
Status InstallDeathNote(const std::string& path);

// Writes the cause of an orderly fatal exit; `component` "" and `task` -1
// when it is not a task's doing. Nothing without InstallDeathNote().
void WriteDeathNote(const std::string& cause, const std::string& component = "", int32_t task = -1);

}  // namespace gale::worker
