// core/window/runners.h
//
// Runs a plugin's WindowedBolt or WindowReducer as a Bolt: the executor
// sees an ordinary bolt that takes inputs and ticks (the plan gives a
// windowed component ticks often enough, topology::WindowConfig::TickSecs)
// and the user's code sees windows. See core/window/README.md.
#pragma once

#include <gale/bolt.h>
#include <gale/config.h>
#include <gale/plugin.h>
#include <gale/stateful_windowed_bolt.h>
#include <gale/window_reduce.h>
#include <gale/windowed_bolt.h>

#include <memory>
#include <vector>

namespace gale::window {

// Each checkpoints its window when the topology asks (`persistent: true`,
// exactly once); a StatefulWindowedBolt always does.
std::unique_ptr<Bolt> RunWindowed(std::unique_ptr<WindowedBolt> bolt);
std::unique_ptr<Bolt> RunStatefulWindowed(std::unique_ptr<StatefulWindowedBolt> bolt);
std::unique_ptr<Bolt> RunReducer(std::unique_ptr<WindowReducer> reducer);

// gale.WindowSum, gale.WindowCount, gale.WindowMin, gale.WindowMax.
const std::vector<PluginClass>& BuiltinClasses();

}  // namespace gale::window
